"""The softmax: logits that compete for one distribution, the max-shift, the article's misprints, temperature.

The article's version (`article_section`) and the version on the user's numbers (`your_section`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from logitcli import steps
from logitcli.inputs.batch import Batch
from logitcli.steps import Calculation
from logitcli.tour import article
from logitcli.tour.data import (
    Bars,
    Block,
    Check,
    Comparison,
    ComparisonRow,
    Section,
)
from logitcli.tour.writer import (
    Writer,
    class_names,
    num,
    nums,
    top_classes,
)

SECTION = "softmax"


def _misprint_comparison(w: Writer, calc: Calculation) -> Comparison:
    """The article's exps, sum and softmax beside the true ones; a cell is flagged where 4 decimals differ."""
    true_exp = np.append(calc.step("exp").values[0], calc.step("sum_exp").values[0])
    printed_exp = np.append(article.SOFTMAX_PRINTED_EXPS, article.SOFTMAX_PRINTED_SUM)
    true_p = calc.result[0]

    def row(label: str, values: np.ndarray, truth: np.ndarray | None = None) -> ComparisonRow:
        if truth is None:
            return ComparisonRow(label, values, np.zeros(len(values), dtype=bool))
        differs = np.array([num(a) != num(b) for a, b in zip(values, truth, strict=True)])
        return ComparisonRow(label, values, differs)

    rows = (
        row(w.word("comparison_true", step="exp(x)"), true_exp),
        row(w.word("comparison_printed", step="exp(x)"), printed_exp, true_exp),
        row(w.word("comparison_true", step="softmax"), true_p),
        row(w.word("comparison_printed", step="softmax"), article.SOFTMAX_PRINTED, true_p),
        row(w.word("comparison_own"), article.SOFTMAX_PRINTED_EXPS_OVER_SUM, true_p),
    )
    columns = [*article.SOFTMAX_CLASSES, "Σ"]
    return Comparison(w.texts["softmax"]["comparison_caption"], columns, rows, w.word("comparison_legend"))


def _temperature_bars(w: Writer, x: np.ndarray, classes: list[str], top_k: int | None) -> tuple[Bars, list[Check]]:
    """softmax(x / T) for the tour's temperatures on one example, and each checked against torch.softmax."""
    calcs = [steps.softmax(x, temperature=t) for t in article.TEMPERATURES]
    labels = [w.word("temperature_label", t=f"{t:g}") for t in article.TEMPERATURES]
    series = tuple((label, calc.result[0]) for label, calc in zip(labels, calcs, strict=True))
    bars = Bars(w.texts["softmax"]["temperature_caption"], classes, series, w.word("class_header"), top_k)
    checks = [w.check(calc, x) for calc in calcs]
    if all(one.result is None for one in checks):  # no torch: say so once, not once per temperature
        return bars, checks[:1]
    return bars, [replace(one, text=f"{label}: {one.text}") for label, one in zip(labels, checks, strict=True)]


def article_section(w: Writer) -> Section:
    x = article.SOFTMAX_LOGITS
    calc = steps.softmax(x)
    probs = calc.result[0]
    top = int(np.argmax(probs))
    pick_x = article.PICK_ONE_LOGITS
    pick = steps.softmax(pick_x)
    bars, checks = _temperature_bars(w, pick_x, class_names(w, Batch(pick_x)), None)
    pick_top = int(np.argmax(pick.result[0]))
    at_t = [p for _, p in bars.series]
    blocks: list[Block] = [
        *w.say("softmax", "intro"),
        w.table("", calc, Batch(x, classes=article.SOFTMAX_CLASSES), x),
        *w.say(
            "softmax",
            "result",
            sum=num(calc.step("sum_exp").values[0]),
            probs=nums(probs),
            top_class=article.SOFTMAX_CLASSES[top],
            top_p=num(probs[top]),
        ),
        *w.say(
            "softmax",
            "misprint",
            "note",
            printed_exp=num(article.SOFTMAX_PRINTED_EXPS[0]),
            x0=num(x[0, 0]),
            true_exp=num(calc.step("exp").values[0, 0]),
            printed_sum=num(article.SOFTMAX_PRINTED_SUM),
            true_sum=num(calc.step("sum_exp").values[0]),
            printed_softmax=nums(article.SOFTMAX_PRINTED),
            true_softmax=nums(probs),
            own_ratio=nums(article.SOFTMAX_PRINTED_EXPS_OVER_SUM),
        ),
        _misprint_comparison(w, calc),
        *w.say(
            "softmax",
            "pick_one",
            logits=nums(pick_x),
            exps=nums(pick.step("exp").values),
            sum=num(pick.step("sum_exp").values[0]),
            probs=nums(pick.result),
            printed_exps=f"[{', '.join(f'{v:.2f}' for v in article.PICK_ONE_PRINTED_EXPS)}]",
            printed=f"[{', '.join(f'{v:.2f}' for v in article.PICK_ONE_PRINTED)}]",
        ),
        w.table("", pick, Batch(pick_x), pick_x),
        *w.say("softmax", "pick_one_after"),
        *w.say("softmax", "temperature"),
        bars,
        *checks,
        *w.say(
            "softmax",
            "temperature_after",
            p_sharp=num(at_t[0][pick_top]),
            p_plain=num(at_t[1][pick_top]),
            p_flat=num(at_t[2][pick_top]),
        ),
        *w.say("softmax", "code_note", "note"),
        *w.say("softmax", "notice", "notice"),
    ]
    return w.section("softmax", blocks, result=calc.result)


def your_section(w: Writer, batch: Batch, targets: np.ndarray | None, k: int | None) -> Section:
    x = batch.values
    calc = steps.softmax(x)
    top = top_classes(batch, 0, 1)[0]
    example = batch.example_names()[0]
    bars, checks = _temperature_bars(w, x[:1], class_names(w, batch), k)
    blocks: list[Block] = [
        *w.say("softmax", "yours"),
        w.table("", calc, batch, x, top_k=k),
        *w.notes(calc, batch),
        *w.say(
            "softmax",
            "yours_result",
            example=example,
            top_class=class_names(w, batch)[top],
            top_p=num(calc.result[0, top]),
        ),
        *w.say("softmax", "yours_temperature", example=example),
        bars,
        *checks,
        *w.say("softmax", "notice", "notice"),
    ]
    return w.section("softmax", blocks, yours=True, result=batch.shaped(calc.result))
