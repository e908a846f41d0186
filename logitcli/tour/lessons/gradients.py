"""How the loss moves the logits: ∂L/∂x = (p - q) / D, its rows summing to 0, and one step of descent.

The article's version (`article_section`) and the version on the user's numbers (`your_section`).
"""

from __future__ import annotations

import numpy as np

from logitcli import steps
from logitcli.inputs.batch import Batch
from logitcli.steps import Calculation
from logitcli.tour import article
from logitcli.tour.data import (
    Block,
    CalcTable,
    Curve,
    Prose,
    Section,
)
from logitcli.tour.writer import (
    SLOPE_HALF_RANGE,
    Writer,
    class_names,
    marked_curve,
    num,
    only,
    targets_text,
    top_classes,
)

SECTION = "grad"


def _with_grad(x: np.ndarray, targets: np.ndarray, reduction: str = "mean") -> Calculation:
    """Cross-entropy and its gradient with respect to the logits, as `xent --grad` computes them."""
    loss = steps.cross_entropy(x, targets, reduction=reduction)
    return steps.with_gradient(loss, steps.cross_entropy_grad(x, targets, reduction=reduction))


def _grad_table(
    w: Writer, calc: Calculation, batch: Batch, targets: np.ndarray, top_k: int | None = None, caption: str = ""
) -> CalcTable:
    """softmax p, target q, p - q, the gradient and each example's loss (and their mean), checked against autograd."""
    wanted = ("softmax", "grad_target", "grad_difference", "grad", "loss", "mean", "sum")
    names = [n for n in wanted if n in {s.name for s in calc.steps}]
    return CalcTable(caption, only(calc, *names), batch, w.grad_check(calc, batch.values, targets), top_k)


def _pushes(w: Writer, calc: Calculation, batch: Batch, targets: np.ndarray) -> list[Prose]:
    """Which kept example gets the smallest push at its target, and which the largest."""
    rows = np.flatnonzero(targets != steps.DEFAULT_IGNORE_INDEX)
    if not len(rows) or calc.grad is None:
        return []
    p = calc.step("softmax").values[rows, targets[rows]]
    g = calc.grad[rows, targets[rows]]
    names, classes = batch.example_names(), class_names(w, batch)

    def example(i: int) -> str:
        return w.word("example_class", example=names[rows[i]], name=classes[int(targets[rows[i]])])

    best, worst = int(np.argmax(p)), int(np.argmin(p))
    if len(rows) == 1:
        return w.say("grad", "push_one", best=example(best), best_p=num(p[best]), best_g=num(g[best]))
    return w.say(
        "grad",
        "push",
        best=example(best),
        best_p=num(p[best]),
        best_g=num(g[best]),
        worst=example(worst),
        worst_p=num(p[worst]),
        worst_g=num(g[worst]),
    )


def _rows_sum_to_zero(w: Writer, calc: Calculation) -> list[Prose]:
    assert calc.grad is not None
    sums = np.abs(calc.grad.sum(axis=1))
    return w.say("grad", "read", row_sum=f"{float(sums[np.isfinite(sums)].max(initial=0.0)):.1e}")


def _confident(w: Writer) -> list[Block]:
    """A confident model right and wrong (reduction none, so each row is just p - q)."""
    x, t = article.CONFIDENT_LOGITS, article.CONFIDENT_TARGETS
    calc = _with_grad(x, t, reduction="none")
    batch = Batch(x, classes=article.BEAR_CLASSES, inputs=[w.word("grad_right"), w.word("grad_wrong")])
    p, g = calc.step("softmax").values, calc.grad
    assert g is not None
    return [
        *w.say("grad", "confident_intro"),
        _grad_table(w, calc, batch, t),
        *w.say(
            "grad",
            "confident",
            right_p=num(p[0, t[0]]),
            right_g=num(g[0, t[0]]),
            wrong_p=num(p[1, t[1]]),
            wrong_g=num(g[1, t[1]]),
            wrong_top=num(g[1, t[0]]),
        ),
    ]


def _descent(w: Writer, calc: Calculation, batch: Batch, targets: np.ndarray, top_k: int | None) -> list[Block]:
    """One step of gradient descent on the logits, the table, and the loss after it checked against PyTorch."""
    lr = article.DESCENT_LR
    descent = steps.descend(calc, batch.values, lr, lambda z: steps.cross_entropy(z, targets))
    after = steps.cross_entropy(descent.after, targets)
    key = "descent_after" if float(descent.loss_after) < float(descent.loss_before) else "descent_no_fall"
    return [
        *w.say("grad", "descent", lr=f"{lr:g}"),
        CalcTable("", steps.descent_calculation(descent), batch, None, top_k),
        *w.say("grad", key, before=num(descent.loss_before), after=num(descent.loss_after)),
        w.check(after, descent.after, targets),
    ]


def _slope_curve(w: Writer, marks: list[tuple[str, float]]) -> Curve:
    """σ'(x), wide enough for x = ±10: where it vanishes."""
    caption = w.texts["grad"]["curve_caption"]
    return marked_curve(w, lambda x: steps.sigmoid_grad(x).values, marks, SLOPE_HALF_RANGE, caption, (0.0, 0.25))


def _sigmoid_slope(w: Writer, marks: list[tuple[str, float]]) -> list[Block]:
    """The sigmoid's derivative vanishes for large |x|; binary cross-entropy's log cancels it."""
    at = steps.sigmoid_grad(article.SLOPE_POINTS).values[0]
    bce = steps.binary_cross_entropy_grad(article.WRONG_LOGIT, article.WRONG_LABEL, reduction="sum")
    return [
        *w.say("grad", "sigmoid", at_zero=num(at[0]), at_2=num(at[1]), at_5=num(at[2]), at_10=num(at[3])),
        _slope_curve(w, marks),
        *w.say("grad", "sigmoid_after", bce_at=num(bce.values[0, 0])),
    ]


def article_section(w: Writer) -> Section:
    x, t = article.BEAR_LOGITS, article.BEAR_TARGETS
    batch = Batch(x, classes=article.BEAR_CLASSES)
    calc = _with_grad(x, t)
    blocks: list[Block] = [
        *w.say("grad", "intro"),
        _grad_table(w, calc, batch, t),
        *_rows_sum_to_zero(w, calc),
        *_pushes(w, calc, batch, t),
        *w.say("grad", "alike"),
        *_confident(w),
        *_descent(w, calc, batch, t, None),
        *_sigmoid_slope(w, [(w.word("mark_article"), float(article.SIGMOID_LOGIT[0, 0]))]),
        *w.say("grad", "notice", "notice"),
    ]
    return w.section("grad", blocks, result=calc.grad)


def your_section(w: Writer, batch: Batch, targets: np.ndarray | None, k: int | None) -> Section:
    names = class_names(w, batch)
    shown = [i for i in top_classes(batch, 0, k) if not np.isnan(batch.values[0, i])]
    marks = [(w.word("mark_yours", name=names[i]), float(batch.values[0, i])) for i in shown]
    blocks: list[Block] = []
    result = None
    if targets is None:
        blocks += w.say("grad", "needs_targets", "note")
    else:
        calc = _with_grad(batch.values, targets)
        blocks += [
            *w.say("grad", "yours", targets=targets_text(targets)),
            _grad_table(w, calc, batch, targets, k),
            *w.notes(calc, batch),
            *_rows_sum_to_zero(w, calc),
            *_pushes(w, calc, batch, targets),
            *_confident(w),
            *_descent(w, calc, batch, targets, k),
        ]
        result = batch.shaped(calc.grad)
    blocks += [*_sigmoid_slope(w, marks), *w.say("grad", "notice", "notice")]
    return w.section("grad", blocks, yours=True, result=result)
