"""Can you trust the softmax? Calibration and temperature: the step after the gradient.

The article's version runs on a synthetic validation set, made so that the truth is known: labels drawn from a
calibrated model's softmax, then its logits multiplied by 2.5. That model is over-confident by construction and
the best temperature is near 2.5. The section shows the reliability diagram before and after the exact fit, the
ECE under torchmetrics' rule and under scikit-learn's side by side, and why they differ. On the user's numbers
(with --targets), the same on theirs.
"""

from __future__ import annotations

import numpy as np

from logitcli.inputs.batch import Batch
from logitcli.steps.calibration import CONVENTIONS, Settings, calibration, measure
from logitcli.steps.calibration.conventions import LOGITCLI
from logitcli.tour.data import Block, Comparison, ComparisonRow, Reliability, Section
from logitcli.tour.writer import Writer, num

SECTION = "calibration"
#: The synthetic validation set: its size, its seed and how much the calibrated logits are sharpened.
EXAMPLES, CLASSES, SEED, SHARPEN, SPREAD = 2000, 10, 0, 2.5, 1.5
DIAGRAM_BINS = 10
RULES = ("torchmetrics", "sklearn")


def synthetic_validation_set(seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(logits, labels): labels drawn from softmax(z) of a calibrated model z, logits = 2.5·z (synthetic)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=SPREAD, size=(EXAMPLES, CLASSES))
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    labels = (rng.uniform(size=(EXAMPLES, 1)) > np.cumsum(p, axis=1)).sum(axis=1)
    return z * SHARPEN, np.minimum(labels, CLASSES - 1)


def article_section(w: Writer) -> Section:
    x, t = synthetic_validation_set()
    blocks = [*w.say(SECTION, "intro", n=EXAMPLES, c=CLASSES, scale=SHARPEN), *_lesson(w, x, t, truth=True)]
    return w.section(SECTION, blocks, result=_result(x, t))


def your_section(w: Writer, batch: Batch, targets: np.ndarray | None, k: int | None) -> Section:
    if targets is None:
        blocks = [*w.say(SECTION, "needs_targets", "note"), *w.say(SECTION, "notice", "notice")]
        return w.section(SECTION, blocks, yours=True)
    try:
        lesson, result = _lesson(w, batch.values, targets, truth=False), _result(batch.values, targets)
    except ValueError:  # no example left to measure (NaN probabilities, ignored targets): say so, keep the tour
        blocks = [*w.say(SECTION, "nothing_to_measure", "note"), *w.say(SECTION, "notice", "notice")]
        return w.section(SECTION, blocks, yours=True)
    blocks = [*w.say(SECTION, "yours", n=batch.n_examples), *lesson]
    return w.section(SECTION, blocks, yours=True, result=result)


def _result(x: np.ndarray, t: np.ndarray) -> dict:
    calc = calibration(x, t, fit=True)
    return {"metrics": calc.result, "temperature": calc.details["temperature"]["T"]}


def _diagram(w: Writer, x: np.ndarray, t: np.ndarray, temperature: float, key: str, **values: object) -> Reliability:
    calc = calibration(x, t, Settings(n_bins=DIAGRAM_BINS, temperature=temperature))
    kept = calc.step("kept").values == 1
    bins = measure(calc.step("confidence").values[kept], calc.step("correct").values[kept], LOGITCLI, DIAGRAM_BINS)
    texts = w.texts[SECTION]
    return Reliability(texts[key].format(**values), bins, texts["legend"], texts["too_narrow"], texts["axis"])


def _lesson(w: Writer, x: np.ndarray, t: np.ndarray, truth: bool) -> list[Block]:
    """Before, the ECE under two rules, the fit, after: the same on the article's numbers and on the user's."""
    base = calibration(x, t, fit=True)
    m = base.result
    fit = base.details["temperature"]
    direction = "over" if m["mean_confidence"] > m["accuracy"] else "under"
    blocks: list[Block] = [
        *w.say(SECTION, f"before_{direction}", acc=num(m["accuracy"]), conf=num(m["mean_confidence"])),
        _diagram(w, x, t, 1.0, "diagram_before"),
        *w.say(SECTION, "ece"),
    ]
    temperatures = [1.0] + ([fit["T"]] if fit["T"] is not None else [])
    series = []
    for temperature in temperatures:
        values = [calibration(x, t, Settings(convention=r, temperature=temperature)).result["ece"] for r in RULES]
        values.append(calibration(x, t, Settings(temperature=temperature)).result["smece"])
        label = w.texts[SECTION]["column_before" if temperature == 1.0 else "column_after"].format(T=num(temperature))
        series.append(ComparisonRow(label, np.array(values)))
    columns = [w.texts[SECTION][f"rule_{r}"].format(bins=CONVENTIONS[r].n_bins) for r in RULES]
    columns.append(w.texts[SECTION]["rule_smece"])
    blocks.append(Comparison(w.texts[SECTION]["comparison"], columns, tuple(series)))
    ece = series[0].values
    if len(series) > 1:
        later = series[1].values
        blocks += w.say(
            SECTION,
            "why_differ",
            first=num(ece[0]),
            second=num(ece[1]),
            first_after=num(later[0]),
            second_after=num(later[1]),
            smooth=num(ece[2]),
            smooth_after=num(later[2]),
        )
    else:
        blocks += w.say(SECTION, "why_differ_no_fit", first=num(ece[0]), second=num(ece[1]), smooth=num(ece[2]))
    if fit["T"] is None:
        blocks += w.say(SECTION, f"fit_none_{fit['status']}")
    else:
        after = fit["after"]
        blocks += w.say(
            SECTION,
            "fit",
            nll=num(fit["nll_at_1"]),
            slope=f"{fit['derivative_at_1']:.4g}",
            T=f"{fit['T']:.6f}",
            slope_at=f"{fit['derivative_at_T']:.1e}",
            steps=len(fit["search"]),
            nll_after=num(after["nll"]),
        )
        if truth:
            blocks += w.say(SECTION, "truth", scale=SHARPEN, T=f"{fit['T']:.4f}")
        blocks.append(_diagram(w, x, t, fit["T"], "diagram_after", T=num(fit["T"])))
        blocks += w.say(SECTION, "after", ece=num(after["ece"]), before=num(m["ece"]), acc=num(after["accuracy"]))
    blocks += w.say(SECTION, "notice", "notice")
    return blocks
