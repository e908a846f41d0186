"""Confidences into bins under one convention, and the calibration errors the bins give.

ECE (l1) = Σ_b (n_b / N) · |acc_b - conf_b|, RMSCE (l2) = sqrt(Σ_b (n_b / N) · (acc_b - conf_b)²) and
MCE (max) = max_b |acc_b - conf_b| over the bins that hold an example. N counts every example measured,
including one that falls in no bin (gpleiss' exact 0), as each library counts it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from logitcli.steps.calculation import quiet
from logitcli.steps.calibration.conventions import Convention, bin_edges, bin_index

NETCAL_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Bins:
    """Per bin: its edges, how many examples, their mean confidence and accuracy (nan when empty).

    `n` is the ECE's denominator; `outside` how many examples fell in no bin. With torchmetrics' rule the
    last entry is its extra bin [1, 1] for confidences of exactly 1.0.
    """

    lower: np.ndarray
    upper: np.ndarray
    count: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    n: int
    outside: int
    ece: float
    rmsce: float
    mce: float
    closed: str

    @property
    def gap(self) -> np.ndarray:
        """accuracy - confidence: below 0 the model is over-confident in that bin."""
        with quiet():
            return self.accuracy - self.confidence

    @property
    def weighted_gap(self) -> np.ndarray:
        """(n_b / N) · |gap|: each bin's share of the ECE (0 for an empty bin)."""
        with quiet():
            share = self.count / max(self.n, 1) * np.abs(self.gap)
        return np.where(self.count > 0, share, 0.0)

    def records(self) -> list[dict[str, object]]:
        """The table as JSON records, one per bin."""
        gap, weighted = self.gap, self.weighted_gap
        return [
            {
                "lower": float(self.lower[b]),
                "upper": float(self.upper[b]),
                "closed": self.closed if self.lower[b] < self.upper[b] else "[]",
                "count": int(self.count[b]),
                "confidence": float(self.confidence[b]),
                "accuracy": float(self.accuracy[b]),
                "gap": float(gap[b]),
                "weighted_gap": float(weighted[b]),
            }
            for b in range(len(self.count))
        ]


def measure(
    confidences: np.ndarray,
    correct: np.ndarray,
    convention: Convention,
    n_bins: int,
    strategy: str = "uniform",
    float32: bool = False,
) -> Bins:
    """Bin (confidence, correct) pairs by `convention`'s rule and compute ECE, RMSCE and MCE from the bins.

    `float32` repeats torchmetrics' multiclass arithmetic: confidences cast to float32, then every sum and
    quotient in float32, the sums accumulated one example at a time as `scatter_add_` does.
    """
    conf = np.asarray(confidences, dtype=np.float64)
    hit = np.asarray(correct, dtype=np.float64)
    if convention.clip:
        conf = np.clip(conf, NETCAL_EPS, 1.0 - NETCAL_EPS)
    dtype = np.float32 if float32 else np.float64
    conf = conf.astype(dtype)
    edges = bin_edges(convention, n_bins, strategy, conf.astype(np.float64), float32)
    index = bin_index(conf, edges, convention)
    n_slots = n_bins + 1 if convention.one_bin else n_bins
    inside = index >= 0
    placed = index[inside]
    count = np.bincount(placed, minlength=n_slots)
    if float32:
        conf_sum = np.zeros(n_slots, np.float32)
        hit_sum = np.zeros(n_slots, np.float32)
        np.add.at(conf_sum, placed, conf[inside])
        np.add.at(hit_sum, placed, hit[inside].astype(np.float32))
    else:
        conf_sum = np.bincount(placed, weights=conf[inside], minlength=n_slots)
        hit_sum = np.bincount(placed, weights=hit[inside], minlength=n_slots)
    counted = count.astype(dtype)
    with quiet():
        mean_conf = conf_sum / counted
        accuracy = hit_sum / counted
    lower, upper = edges[:-1], edges[1:]
    if convention.one_bin:
        lower, upper = np.append(lower, edges[-1]), np.append(upper, edges[-1])
    ece, rmsce, mce = _errors(mean_conf, accuracy, counted, len(conf), dtype)
    return Bins(
        lower=lower,
        upper=upper,
        count=count,
        confidence=mean_conf.astype(np.float64),
        accuracy=accuracy.astype(np.float64),
        n=len(conf),
        outside=int((~inside).sum()),
        ece=ece,
        rmsce=rmsce,
        mce=mce,
        closed="[)" if convention.closed == "left" else "(]",
    )


def _errors(mean_conf: np.ndarray, accuracy: np.ndarray, count: np.ndarray, n: int, dtype: type) -> tuple:
    """l1, l2 and max over the bins, in `dtype`; an empty bin adds nothing (its gap counts as 0)."""
    with quiet():
        gap = np.nan_to_num(np.abs(accuracy - mean_conf)).astype(dtype)
        share = (count / dtype(n)).astype(dtype) if n else np.zeros_like(count)
        ece = float(np.sum(gap * share, dtype=dtype))
        squares = float(np.sum(gap * gap * share, dtype=dtype))
    rmsce = float(np.sqrt(dtype(squares))) if squares > 0 else 0.0
    mce = float(gap.max()) if gap.size else 0.0
    return ece, rmsce, mce


def on_edges(
    confidences: np.ndarray, convention: Convention, n_bins: int, float32: bool = False
) -> dict[str, np.ndarray]:
    """Which confidences sit exactly on an inner edge of this rule, at exactly 0 and at 1.0 (after a float32
    cast where the rule casts), as positions: the examples two rules may put in different bins."""
    conf = np.asarray(confidences, dtype=np.float64)
    cast = conf.astype(np.float32).astype(np.float64) if float32 else conf
    edges = bin_edges(convention, n_bins, "uniform", cast, float32)
    return {
        "on_edge": np.flatnonzero(np.isin(cast, edges[1:-1])),
        "at_one": np.flatnonzero(cast == 1.0),
        "rounded_to_one": np.flatnonzero((cast == 1.0) & (conf != 1.0)),
        "at_zero": np.flatnonzero(cast == 0.0),
    }
