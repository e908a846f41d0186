"""The sigmoid: each logit its own probability, the curve, and undoing it with the logit function.

The article's version (`article_section`) and the version on the user's numbers (`your_section`).
"""

from __future__ import annotations

import numpy as np

from logitcli import steps
from logitcli.inputs.batch import Batch
from logitcli.output.render import format_distinct
from logitcli.steps import Calculation
from logitcli.tour import article
from logitcli.tour.data import (
    Block,
    Curve,
    Prose,
    Section,
)
from logitcli.tour.writer import (
    CURVE_HALF_RANGE,
    Writer,
    class_names,
    marked_curve,
    num,
    top_classes,
)

SECTION = "sigmoid"


def _sigmoid_curve(w: Writer, marks: list[tuple[str, float]]) -> Curve:
    """The sigmoid itself, for the sigmoid section."""
    return marked_curve(
        w, lambda x: steps.sigmoid(x).result, marks, CURVE_HALF_RANGE, w.texts["sigmoid"]["curve_caption"]
    )


def _sigmoid_landmarks(w: Writer) -> list[Prose]:
    """sigmoid at -4, 0 and 4: the three points the article reads off its plot."""
    at = steps.sigmoid(np.array([[-4.0, 0.0, 4.0]])).result[0]
    return w.say("sigmoid", "curve", at_minus_4=num(at[0]), at_zero=num(at[1]), at_plus_4=num(at[2]))


def _sigmoid_inverse(w: Writer, calc: Calculation, row: int, col: int) -> list[Prose]:
    x = calc.step("logits").values[row, col]
    one_plus = calc.step("one_plus_exp_neg_x").values[row, col]
    p = calc.step("sigmoid").values[row, col]
    return w.say("sigmoid", "inverse", x=num(x), one_plus=format_distinct(one_plus), p=format_distinct(p))


def article_section(w: Writer) -> Section:
    x = article.SIGMOID_LOGIT
    calc = steps.sigmoid(x)
    p = calc.result[0, 0]
    blocks: list[Block] = [
        *w.say("sigmoid", "intro", x=num(x[0, 0])),
        w.table("", calc, Batch(x), x),
        *w.say("sigmoid", "result", x=num(x[0, 0]), p=num(p), printed=f"{article.SIGMOID_PRINTED:.4f}"),
        *_sigmoid_landmarks(w),
        _sigmoid_curve(w, [(w.word("mark_article"), float(x[0, 0]))]),
        *_sigmoid_inverse(w, calc, 0, 0),
        *w.say("sigmoid", "notice", "notice"),
    ]
    return w.section("sigmoid", blocks, result=calc.result)


def your_section(w: Writer, batch: Batch, targets: np.ndarray | None, k: int | None) -> Section:
    x = batch.values
    calc = steps.sigmoid(x)
    shown = top_classes(batch, 0, k)
    names = class_names(w, batch)
    marks = [(w.word("mark_yours", name=names[i]), float(x[0, i])) for i in shown if not np.isnan(x[0, i])]
    blocks: list[Block] = [
        *w.say("sigmoid", "yours"),
        w.table("", calc, batch, x, top_k=k),
        *w.notes(calc, batch),
        *_sigmoid_landmarks(w),
        _sigmoid_curve(w, marks),
        *_sigmoid_inverse(w, calc, 0, shown[0]),
        *w.say("sigmoid", "notice", "notice"),
    ]
    return w.section("sigmoid", blocks, yours=True, result=batch.shaped(calc.result))
