"""The temperature that minimises the mean NLL of softmax(logits / T), found exactly.

With β = 1/T the mean NLL is L(β) = mean_i [log Σ_c exp(β·x_ic) - β·x_i,target], a convex function of β:
L'(β) = mean_i (E_p[x_i] - x_i,target) and L''(β) = mean_i Var_p(x_i) ≥ 0, p = softmax(β·x_i). So the best
β is the one root of L', found by Newton's method kept inside a bracket where L' changes sign (a bisection
step whenever Newton would leave it), until the bracket is as narrow as float64 allows. No generic optimiser,
no starting point that can stop it early.

A root exists exactly when L'(0) < 0 < L'(∞):
- L'(0) = mean(mean_c x_ic - x_i,target) ≥ 0: the logits do not point at the targets on average; the NLL
  grows for every positive β, so the best T is infinite (or negative: the logits flipped).
- L'(∞) = mean(max_c x_ic - x_i,target) = 0: every example's target has the top logit; the NLL keeps
  falling as T → 0 and no finite T is best.

Each evaluation reads the logits once in chunks of rows, so the memory beside the input stays small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from logitcli.steps.calculation import quiet
from logitcli.steps.calibration.outcomes import chunks

MAX_ITERATIONS = 200
CONVERGED_ULPS = 4


@dataclass(frozen=True)
class Probe:
    """L and its first two derivatives (in β = 1/T) at one β."""

    beta: float
    nll: float
    slope: float
    curvature: float

    @property
    def temperature(self) -> float:
        return math.inf if self.beta == 0 else 1.0 / self.beta


@dataclass(frozen=True)
class TemperatureFit:
    """The fit: `status` is "found", "to_zero" (no finite T: every target on top), "infinite" (T = ∞ or
    negative) or "flat" (the NLL does not depend on T). `temperature` is T* when found, else None."""

    status: str
    temperature: float | None
    at_one: Probe
    at_zero_slope: float
    at_infinity_slope: float
    search: list[Probe] = field(default_factory=list)
    best: Probe | None = None


class Logits:
    """The rows that take part, read in chunks: per row its max and x_target - max, taken once."""

    def __init__(self, values: np.ndarray, targets: np.ndarray, kept: np.ndarray) -> None:
        self.values, self.kept = values, kept
        self.n = int(kept.sum())
        n_rows, n_cols = values.shape
        self.parts = []
        for rows in chunks(n_rows, n_cols):
            mask = kept[rows]
            if mask.any():
                x = values[rows][mask] if not mask.all() else values[rows]
                t = targets[rows][mask]
                top = x.max(axis=1)
                picked = x[np.arange(len(x)), t] - top
                self.parts.append((rows, mask, top, picked, t))

    def rows(self):
        for rows, mask, top, picked, t in self.parts:
            x = self.values[rows]
            yield (x if mask.all() else x[mask]), top, picked, t

    def slope_limits(self) -> tuple[float, float]:
        """L'(0) = mean(mean_c x - x_target) and L'(∞) = mean(max_c x - x_target)."""
        at_zero = at_infinity = 0.0
        for x, top, picked, _ in self.rows():
            with quiet():
                at_zero += float(np.sum(x.mean(axis=1) - top - picked))
            at_infinity += float(np.sum(-picked))
        return at_zero / self.n, at_infinity / self.n

    def probe(self, beta: float) -> Probe:
        """L(β), L'(β), L''(β) in one pass: with d = x - max and e = exp(β·d), E_p[d] = Σ e·d / Σ e.

        Two chunk-sized buffers are reused for every chunk, so a probe allocates almost nothing."""
        nll = slope = curvature = 0.0
        d = e = None
        for x, top, picked, _ in self.rows():
            if d is None or d.shape != x.shape:
                d, e = np.empty_like(x), np.empty_like(x)
            np.subtract(x, top[:, None], out=d)
            np.multiply(d, beta, out=e)
            np.exp(e, out=e)
            total = e.sum(axis=1)
            with quiet():
                np.multiply(e, d, out=e)
                first = e.sum(axis=1) / total
                second = np.einsum("ij,ij->i", e, d) / total
                nll += float(np.sum(np.log(total) - beta * picked))
                slope += float(np.sum(first - picked))
                curvature += float(np.sum(second - first * first))
        return Probe(beta, nll / self.n, slope / self.n, curvature / self.n)


def fit_temperature(values: np.ndarray, targets: np.ndarray, kept: np.ndarray) -> TemperatureFit:
    """T* = 1/β* with L'(β*) = 0, or the reason no finite positive T exists."""
    logits = Logits(values, np.where(kept, targets, 0).astype(np.int64), kept)
    at_one = logits.probe(1.0)
    at_zero, at_infinity = logits.slope_limits()
    if at_zero >= 0 and at_infinity <= 0:
        return TemperatureFit("flat", None, at_one, at_zero, at_infinity)
    if at_zero >= 0:
        return TemperatureFit("infinite", None, at_one, at_zero, at_infinity)
    if at_infinity <= 0:
        return TemperatureFit("to_zero", None, at_one, at_zero, at_infinity)
    search = [at_one]
    low, high = 0.0, math.inf
    probe = at_one
    for _ in range(MAX_ITERATIONS):
        if probe.slope == 0:
            low = high = probe.beta
            break
        if probe.slope < 0:
            low = probe.beta
        else:
            high = probe.beta
        step = _next_beta(probe, low, high)
        if step is None:
            break
        probe = logits.probe(step)
        search.append(probe)
    best = min(search, key=lambda p: (abs(p.slope), p.nll))
    return TemperatureFit("found", best.temperature, at_one, at_zero, at_infinity, search, best)


def _next_beta(probe: Probe, low: float, high: float) -> float | None:
    """Newton's step if it stays inside (low, high), else the bracket's middle (doubling while unbounded);
    None when Newton's step is within a few units in the last place of β, or the bracket is that narrow:
    float64 cannot place the root any better."""
    newton = probe.beta - probe.slope / probe.curvature if probe.curvature > 0 else math.nan
    if abs(newton - probe.beta) <= CONVERGED_ULPS * math.ulp(probe.beta):
        return None
    if math.isinf(high):
        return newton if low < newton < 4 * max(low, 1.0) else 2 * max(low, 1.0)
    if high - low <= CONVERGED_ULPS * math.ulp(high):
        return None
    return newton if low < newton < high else (low + high) / 2
