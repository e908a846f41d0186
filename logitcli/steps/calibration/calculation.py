"""`calibrate` as one Calculation: per example, per bin, the summary, the libraries side by side, the fit.

Which examples take part: every example whose probabilities are numbers (a row of logits holding NaN, or
+inf, has a NaN softmax) and whose target is not the ignore index; the others are left out of every metric,
with a note naming them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from logitcli.steps.calculation import DEFAULT_IGNORE_INDEX, Calculation, Note, Step, quiet
from logitcli.steps.calibration import outcomes as outcome
from logitcli.steps.calibration.binning import Bins, measure, on_edges
from logitcli.steps.calibration.conventions import CONVENTIONS, LOGITCLI, Convention
from logitcli.steps.calibration.smooth import smooth_ece
from logitcli.steps.calibration.temperature import TemperatureFit, fit_temperature

MODES: tuple[str, ...] = ("top-label", "binary", "classwise")
RELPLOT_VERSION = "1.0.3"


@dataclass(frozen=True)
class Settings:
    """What the user asked for: the mode, the binning and the convention (None: logitcli's own)."""

    mode: str = "top-label"
    n_bins: int | None = None
    strategy: str = "uniform"
    convention: str | None = None
    probs: bool = False
    temperature: float = 1.0
    ignore_index: int = DEFAULT_IGNORE_INDEX

    @property
    def rule(self) -> Convention:
        return CONVENTIONS[self.convention] if self.convention else LOGITCLI

    @property
    def bins(self) -> int:
        return self.n_bins if self.n_bins is not None else self.rule.n_bins


@dataclass(frozen=True)
class Measured:
    """The numbers of one pass: outcomes, bins and the summary metrics over the kept examples."""

    outcomes: outcome.Outcomes
    bins: Bins
    metrics: dict[str, float]
    bandwidth: float
    probabilities: np.ndarray | None = None


def check_settings(settings: Settings, n_classes: int) -> None:
    """Refuse what no rule can do, with what to do instead (ValueError: the CLI's one line)."""
    if settings.mode not in MODES:
        raise ValueError(f"unknown mode {settings.mode!r}: use top-label, --binary or --classwise")
    if settings.n_bins is not None and not 1 <= settings.n_bins <= 10_000:
        raise ValueError(f"--bins takes 1 to 10000 bins, got {settings.n_bins}")
    if settings.strategy not in ("uniform", "quantile"):
        raise ValueError(f"unknown --strategy {settings.strategy!r}: use uniform or quantile")
    rule = settings.rule
    if settings.strategy == "quantile" and not rule.quantile:
        raise ValueError(f"{rule.library} has only equal-width bins: leave out --strategy quantile, or --convention")
    if settings.convention and settings.mode not in rule.tasks and settings.mode != "classwise":
        raise ValueError(f"{rule.library}'s {rule.call} measures top-label calibration only: leave out --binary")
    if not math.isfinite(settings.temperature) or settings.temperature <= 0:
        raise ValueError(f"--temperature must be a positive number, got {settings.temperature:g}")
    if settings.mode == "binary" and n_classes != 1:
        raise ValueError(
            f"--binary takes one logit (or probability) per example, got {n_classes} per example: "
            "leave out --binary for top-label calibration, or add --classwise"
        )


def measure_all(values: np.ndarray, targets: np.ndarray, settings: Settings) -> Measured:
    """Outcomes, bins and metrics under the chosen rule."""
    t = settings.temperature
    if settings.mode == "binary":
        found = outcome.binary(values, targets, settings.ignore_index, t, settings.probs)
    else:
        found = outcome.top_label(values, targets, settings.ignore_index, t, settings.probs)
    kept = found.kept
    if not kept.any():
        raise ValueError(
            f"no example left to measure: all {len(kept)} are left out (NaN in the logits, or the ignore index "
            f"{settings.ignore_index} as target); give examples with numbers and class targets"
        )
    float32 = settings.mode in settings.rule.float32
    probabilities = None
    if settings.mode == "classwise":
        probabilities = outcome.classwise_probabilities(values, t, settings.probs)
        bins, smece, bandwidth = _classwise(probabilities[kept], found.target[kept], settings)
    else:
        conf, hit = found.confidence[kept], found.correct[kept]
        bins = measure(conf, hit, settings.rule, settings.bins, settings.strategy, float32)
        smece, bandwidth = smooth_ece(conf, hit)
    with quiet():
        metrics = {
            "n": int(kept.sum()),
            "accuracy": _mean(found.correct[kept]),
            "mean_confidence": _mean(found.confidence[kept]),
            "ece": bins.ece,
            "rmsce": bins.rmsce,
            "mce": bins.mce,
            "smece": smece,
            "brier": _mean(found.brier[kept]),
            "nll": _mean(found.nll[kept]),
        }
    return Measured(found, bins, metrics, bandwidth, probabilities)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else math.nan


def _classwise(probabilities: np.ndarray, targets: np.ndarray, settings: Settings) -> tuple[Bins, float, float]:
    """Each class's probability against 1[target = class], binned alone; the errors averaged over classes.

    The table pools the classes: counts and means over every (example, class) pair in the bin, and each
    bin's weighted gap is the mean over classes of that class's share, so the column sums to the ECE.
    """
    n, c = probabilities.shape
    per_class = [
        measure(probabilities[:, k], (targets == k).astype(np.float64), settings.rule, settings.bins, settings.strategy)
        for k in range(c)
    ]
    smooth = [smooth_ece(probabilities[:, k], (targets == k).astype(np.float64)) for k in range(c)]
    count = sum(b.count for b in per_class)
    with quiet():
        conf = sum(np.nan_to_num(b.confidence) * b.count for b in per_class) / count
        acc = sum(np.nan_to_num(b.accuracy) * b.count for b in per_class) / count
    first = per_class[0]
    pooled = Bins(
        lower=first.lower,
        upper=first.upper,
        count=count,
        confidence=conf,
        accuracy=acc,
        n=n * c,
        outside=sum(b.outside for b in per_class),
        ece=float(np.mean([b.ece for b in per_class])),
        rmsce=float(np.mean([b.rmsce for b in per_class])),
        mce=float(np.mean([b.mce for b in per_class])),
        closed=first.closed,
    )
    return pooled, float(np.mean([s for s, _ in smooth])), float(np.mean([w for _, w in smooth]))


def calibration(
    values: np.ndarray,
    targets: np.ndarray,
    settings: Settings | None = None,
    *,
    compare: bool = False,
    fit: bool = False,
    example_names: list[str] | None = None,
) -> Calculation:
    """The calibration of (N, C) logits (or probabilities, or (N, 1) binary logits) against class targets."""
    settings = settings or Settings()
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("calibrate takes one row per example")
    if 0 in x.shape:
        raise ValueError("no numbers to calibrate: give at least one example, with one value per class")
    check_settings(settings, x.shape[1])
    if fit and settings.probs:
        raise ValueError("--fit divides logits by T and needs logits: leave out --probs and give the logits")
    targets = np.asarray(targets)
    _check_targets(targets, x.shape, settings)
    if settings.probs:
        _check_probabilities(x, settings.mode)
    found = measure_all(x, targets, settings)
    o = found.outcomes
    steps = _example_steps(o, settings) + _summary_steps(found.metrics)
    notes = _notes(o, found, settings, example_names)
    rule = settings.rule
    details: dict[str, object] = {
        "mode": settings.mode,
        "convention": rule.name,
        "rule": rule.rule(),
        "n_bins": settings.bins,
        "strategy": settings.strategy,
        "float32": settings.mode in rule.float32,
        "ignore_index": settings.ignore_index,
        "temperature_applied": settings.temperature,
        "n_examples": len(o.kept),
        "n_kept": int(o.kept.sum()),
        "left_out": [int(i) for i in np.flatnonzero(o.unusable)],
        "smece_bandwidth": found.bandwidth,
        "bins": found.bins.records(),
    }
    if compare:
        details["compare"] = compare_libraries(x, targets, settings, found)
    if fit:
        fitted = fit_for(x, targets, o.kept, settings)
        details["temperature"] = _fit_record(fitted, x, targets, settings, found)
    return Calculation("calibrate", tuple(steps), dict(found.metrics), tuple(notes), details)


def _check_targets(targets: np.ndarray, shape: tuple[int, int], settings: Settings) -> None:
    n, c = shape
    if targets.shape != (n,):
        raise ValueError(f"got {targets.size} target(s) for {n} example(s): give one class index per example")
    kept = targets != settings.ignore_index
    classes = 2 if settings.mode == "binary" else c
    bad = kept & ((targets < 0) | (targets >= classes))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        what = "0 or 1" if settings.mode == "binary" else f"a class index from 0 to {c - 1}"
        raise ValueError(f"target {int(targets[first])} (example {first}) is not {what}")


def _check_probabilities(p: np.ndarray, mode: str) -> None:
    """--probs: numbers in [0, 1], each row summing to 1 (within 1e-6) unless binary."""
    with quiet():
        outside = ~((p >= 0) & (p <= 1)) & ~np.isnan(p)
    if outside.any():
        row, col = (int(i) for i in np.argwhere(outside)[0])
        raise ValueError(
            f"--probs: {p[row, col]:g} (example {row}) is not a probability in [0, 1]; "
            "give logits without --probs and calibrate takes the softmax itself"
        )
    if mode != "binary":
        with quiet():
            sums = p.sum(axis=1)
        off = ~np.isnan(sums) & (np.abs(sums - 1.0) > 1e-6)
        if off.any():
            row = int(np.flatnonzero(off)[0])
            raise ValueError(
                f"--probs: example {row}'s probabilities sum to {sums[row]:.9g}, not 1 (within 1e-6); "
                "give logits without --probs and calibrate takes the softmax itself"
            )


def _example_steps(o: outcome.Outcomes, settings: Settings) -> list[Step]:
    binary = settings.mode == "binary"
    kept = o.kept.astype(np.float64)
    return [
        Step(
            "confidence",
            "P(class 1)" if binary else "confidence",
            o.confidence,
            "sigmoid(x / T)" if binary else "max_c softmax(x / T)_c",
            probability=True,
        ),
        Step("prediction", "prediction", o.prediction.astype(np.float64), "P ≥ 0.5" if binary else "argmax_c x_c"),
        Step("target", "target", o.target.astype(np.float64), "0 or 1" if binary else "class index"),
        Step("correct", "outcome" if binary else "correct", o.correct, "y" if binary else "1[prediction = target]"),
        Step("kept", "kept", kept, "1 if measured (no NaN, not ignored)", secondary=True),
    ]


SUMMARY = (
    ("accuracy", "accuracy", "mean of correct"),
    ("mean_confidence", "mean confidence", "mean of confidence"),
    ("ece", "ECE", "Σ_b n_b/N · |acc_b - conf_b|"),
    ("rmsce", "RMSCE", "sqrt(Σ_b n_b/N · (acc_b - conf_b)²)"),
    ("mce", "MCE", "max_b |acc_b - conf_b|"),
    ("smece", "smECE", "kernel-smoothed |E[y - f | f]|, bandwidth σ = smECE(σ)"),
    ("brier", "Brier", "mean Σ_c (p_c - 1[c = target])² (halved for 2 classes, as sklearn)"),
    ("nll", "NLL", "mean -log p[target] (xent's mean)"),
)


def _summary_steps(metrics: dict[str, float]) -> list[Step]:
    return [Step(name, title, np.float64(metrics[name]), formula) for name, title, formula in SUMMARY]


def _notes(o: outcome.Outcomes, found: Measured, settings: Settings, names: list[str] | None) -> list[Note]:
    notes = []
    unusable = np.flatnonzero(o.unusable)
    if unusable.size:
        labels = [names[i] if names else f"#{i}" for i in unusable[:10]]
        which = ", ".join(labels) + (f" and {unusable.size - 10} more" if unusable.size > 10 else "")
        notes.append(
            Note(
                "calibrate_left_out",
                f"{unusable.size} example(s) left out of every metric: their probabilities are NaN "
                f"(a NaN in the logits, or +inf): {which}.",
                {"count": int(unusable.size), "which": which},
            )
        )
    ignored = int(((o.target == settings.ignore_index) & ~o.unusable).sum())
    if ignored:
        notes.append(
            Note(
                "calibrate_ignored",
                f"{ignored} example(s) with target {settings.ignore_index} (the ignore index) left out of every "
                "metric.",
                {"count": ignored, "index": settings.ignore_index},
            )
        )
    if found.bins.outside:
        notes.append(
            Note(
                "calibrate_no_bin",
                f"{found.bins.outside} confidence(s) of exactly 0 fall in no bin under {settings.rule.library}'s rule "
                "(bins (a, b]) but still count in N.",
                {"count": found.bins.outside},
            )
        )
    m = found.metrics
    if m["n"] and settings.mode == "top-label" and math.isfinite(m["mean_confidence"]):
        gap = m["mean_confidence"] - m["accuracy"]
        if gap > 0:
            words = f"over-confident: mean confidence {m['mean_confidence']:.4f} > accuracy {m['accuracy']:.4f}"
        elif gap < 0:
            words = f"under-confident: mean confidence {m['mean_confidence']:.4f} < accuracy {m['accuracy']:.4f}"
        else:
            words = "neither over- nor under-confident on average: mean confidence = accuracy"
        notes.append(Note("calibrate_direction", f"The model is {words}.", {"gap": gap}))
    return notes


# ----------------------------------------------------------------------------- the libraries side by side


def compare_libraries(x: np.ndarray, targets: np.ndarray, settings: Settings, found: Measured) -> list[dict]:
    """One row per library with its own defaults: the number it would report for these predictions, and
    what in these predictions makes the rules part (confidences on an edge, at 0 or at 1.0)."""
    o = found.outcomes
    kept = o.kept
    rows = []
    for rule in CONVENTIONS.values():
        row: dict[str, object] = {
            "name": rule.name,
            "library": rule.library,
            "version": rule.version,
            "call": rule.binary_call if settings.mode == "binary" else rule.call,
            "n_bins": rule.n_bins,
            "rule": rule.rule(),
        }
        task = settings.mode
        float32 = task in rule.float32
        if task == "binary" and task not in rule.tasks:
            row |= {"ece": None, "why": f"{rule.library} measures top-label calibration only"}
        elif task == "classwise":
            assert found.probabilities is not None
            own = Settings(mode=task, convention=rule.name)
            per_class = _classwise(found.probabilities[kept], o.target[kept], own)
            row |= {"ece": per_class[0].ece, "why": f"{rule.library} has no classwise measure: its rule on each class"}
        else:
            conf, hit, reason = _library_inputs(rule, x, o, settings)
            if conf is None:
                row |= {"ece": None, "why": reason}
            else:
                bins = measure(conf, hit, rule, rule.n_bins, "uniform", float32)
                found_at = on_edges(conf, rule, rule.n_bins, float32)
                examples = np.flatnonzero(kept)  # positions among the measured examples -> example indices
                edges = {key: [int(i) for i in examples[at]] for key, at in found_at.items()}
                why = reason or _why(rule, edges, float32)
                row |= {"ece": bins.ece, "rmsce": bins.rmsce, "mce": bins.mce, "why": why, "examples": edges}
        rows.append(row)
    smece = found.metrics["smece"]
    rows.append(
        {
            "name": "relplot",
            "library": "relplot",
            "version": RELPLOT_VERSION,
            "call": "smECE(f, y)",
            "n_bins": None,
            "rule": "no bins: a reflected Gaussian kernel",
            "ece": smece,
            "why": f"smooth ECE, bandwidth σ = {found.bandwidth:.4g}",
        }
    )
    return rows


def _library_inputs(rule: Convention, x: np.ndarray, o: outcome.Outcomes, settings: Settings) -> tuple:
    """The (confidence, outcome) pairs the library measures, as a user would call it, or None and why not."""
    kept = o.kept
    conf, hit = o.confidence[kept], o.correct[kept]
    if rule.name == "netcal" and settings.mode == "top-label":
        distinct = np.unique(o.target[kept])
        c = x.shape[1]
        if distinct.size <= 2:  # netcal then takes the problem for a binary one
            if c > 2:
                return None, None, f"netcal stops: {distinct.size} distinct target(s) make it assume a binary problem"
            probs = outcome.classwise_probabilities(x[kept], settings.temperature, settings.probs)
            return probs[:, -1], o.target[kept].astype(np.float64), "≤ 2 distinct targets: netcal measures P(class 1)"
    return conf, hit, ""


def _why(rule: Convention, edges: dict[str, list[int]], float32: bool) -> str:
    """What in these predictions this rule treats its own way, naming up to three examples of each."""
    parts = [f"{rule.n_bins} bins"]
    if edges["on_edge"]:
        side = "lower" if rule.closed == "left" else "upper"
        parts.append(f"{_count(edges['on_edge'])} on an edge ({side} bin closed)")
    if edges["at_one"] and rule.one_bin:
        cast = f", {len(edges['rounded_to_one'])} by float32 rounding" if edges["rounded_to_one"] else ""
        parts.append(f"{_count(edges['at_one'])} at 1.0 in an extra bin{cast}")
    if edges["at_zero"] and rule.zero_in_no_bin:
        parts.append(f"{_count(edges['at_zero'])} at 0 in no bin")
    if float32:
        parts.append("float32")
    return "; ".join(parts)


def _count(examples: list[int]) -> str:
    """`2 (#0, #4)`, or `5 (#0, #1, #2, ...)`."""
    shown = ", ".join(f"#{i}" for i in examples[:3]) + (", ..." if len(examples) > 3 else "")
    return f"{len(examples)} ({shown})"


# ----------------------------------------------------------------------------- the temperature fit


def fit_for(x: np.ndarray, targets: np.ndarray, kept: np.ndarray, settings: Settings) -> TemperatureFit:
    """The exact fit on the logits (divided by --temperature first); binary logits as the pair [0, x]."""
    scaled = x / settings.temperature if settings.temperature != 1.0 else x
    if settings.mode == "binary":
        scaled = np.concatenate([np.zeros_like(scaled), scaled], axis=1)
    return fit_temperature(scaled, np.where(kept, targets, 0).astype(np.int64), kept)


def _fit_record(fitted: TemperatureFit, x: np.ndarray, targets: np.ndarray, settings: Settings, before: Measured):
    """`temperature` in JSON: T*, the search, and NLL, ECE, smECE and Brier before and after."""
    probe = fitted.at_one
    record: dict[str, object] = {
        "status": fitted.status,
        "T": fitted.temperature,
        "reason": FIT_REASONS[fitted.status],
        "nll_at_1": probe.nll,
        "derivative_at_1": probe.slope,
        "derivative_at_beta_0": fitted.at_zero_slope,
        "derivative_at_beta_inf": fitted.at_infinity_slope,
        "search": [{"T": p.temperature, "beta": p.beta, "nll": p.nll, "derivative": p.slope} for p in fitted.search],
    }
    keys = ("nll", "ece", "smece", "brier", "accuracy", "mean_confidence")
    record["before"] = {k: before.metrics[k] for k in keys}
    if fitted.best is not None and fitted.temperature is not None:
        total = settings.temperature * fitted.temperature
        after = measure_all(x, targets, replace(settings, temperature=total))
        record |= {
            "beta": fitted.best.beta,
            "derivative_at_T": fitted.best.slope,
            "curvature_at_T": fitted.best.curvature,
            "T_total": total,
            "after": {k: after.metrics[k] for k in keys},
            "bins_after": after.bins.records(),
        }
    return record


FIT_REASONS = {
    "found": "the NLL's derivative in 1/T changes sign: one finite T minimises it",
    "to_zero": "every example's target has the top logit: the NLL keeps falling as T -> 0, no finite T is best",
    "infinite": "the NLL's derivative in 1/T is >= 0 at 1/T = 0: the best T is infinite (or negative)",
    "flat": "every row's logits are equal: the NLL does not depend on T",
}
