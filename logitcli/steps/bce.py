"""binary_cross_entropy_with_logits: each logit its own yes/no question."""

from __future__ import annotations

import numpy as np

from logitcli.steps.calculation import (
    Calculation,
    Note,
    Step,
    broadcast_like,
    check_reduction,
    quiet,
    reduce_loss,
)
from logitcli.steps.gradient import Gradient, grad_step
from logitcli.steps.sigmoid import log_sigmoid, stable_sigmoid

#: What bce's targets are, in JSON's `targets_kind`: one 0/1 or probability per entry of the input.
TARGETS_KIND = "per-entry probabilities"
#: The factor pos_weight puts on the y = 1 part, named where it first appears (the gradient's `f·σ - pw·y` uses it).
POS_FACTOR = "f = 1 + (pw - 1)·y"


def binary_cross_entropy(
    logits: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    pos_weight: np.ndarray | None = None,
    reduction: str = "mean",
) -> Calculation:
    """PyTorch's binary_cross_entropy_with_logits, in PyTorch's own arithmetic.

    loss = w · [(1 - y) · x - (1 + (pw - 1) · y) · log σ(x)], which is -w · [pw · y · log σ + (1 - y) · log(1 - σ)]
    written so that no exp overflows. PyTorch evaluates exactly this form, so an infinite logit gives what
    IEEE arithmetic gives (0 · inf = nan, inf - inf = nan), and so do we. `weight` and `pos_weight` broadcast
    against the logits as PyTorch broadcasts them (a scalar, one per class, (N, 1), (N, C)).
    """
    x, y = binary_arguments(logits, targets, reduction, "logits")
    w = None if weight is None else broadcast_like(weight, x.shape, "--weight")
    pw = None if pos_weight is None else broadcast_like(pos_weight, x.shape, "--pos-weight")
    probs = stable_sigmoid(x)
    log_p = log_sigmoid(x)
    log_not_p = log_sigmoid(-x)
    steps = [
        Step("logits", "x", x, "the logits"),
        Step("target", "y", y, "0/1 or probability"),
        Step("sigmoid", "sigmoid", probs, "1 / (1 + exp(-x))", probability=True),
        Step("log_sigmoid", "log σ", log_p, "log sigmoid(x) = -softplus(-x)"),
        Step("log_one_minus_sigmoid", "log(1 - σ)", log_not_p, "log(1 - sigmoid(x)) = -softplus(x)"),
    ]
    with quiet():
        if pw is None:
            loss = (1.0 - y) * x - log_p
            formula = "(1 - y)·x - log σ   (= -[y·log σ + (1 - y)·log(1 - σ)])"
        else:
            log_weight = (pw - 1.0) * y + 1.0
            steps.append(Step("pos_weight", "pw", np.array(pw), "pos_weight, broadcast to the logits"))
            steps.append(Step("log_weight", POS_FACTOR, log_weight, "weight of the log σ term"))
            loss = (1.0 - y) * x - log_weight * log_p
            formula = "(1 - y)·x - [1 + (pw - 1)·y]·log σ   (= -[pw·y·log σ + (1 - y)·log(1 - σ)])"
        if w is not None:
            steps.append(Step("weight", "w", np.array(w), "weight, broadcast to the logits"))
            loss = loss * w
            formula = "w · [" + formula.split("   ")[0] + "]"
    steps.append(Step("loss", "loss", loss, formula))
    result = reduce_elementwise(loss, reduction, steps)
    details = {
        "reduction": reduction,
        "targets": y,
        "targets_kind": TARGETS_KIND,
        "denominator": float(loss.size),
        "denominator_is": "number of logits",
    }
    return Calculation("bce", tuple(steps), result, _target_notes(y), details)


def _target_notes(y: np.ndarray) -> tuple[Note, ...]:
    """PyTorch takes any real target; outside [0, 1] the formula still runs, but it is no longer a probability."""
    with quiet():
        outside = (y < 0) | (y > 1)
    if not outside.any():
        return ()
    return (
        Note(
            "bce_targets_not_probabilities",
            "Some targets are outside [0, 1]: PyTorch accepts them and runs the same formula, but they are not "
            "probabilities, so the loss is no longer a cross-entropy (it can be negative).",
        ),
    )


def binary_cross_entropy_grad(
    logits: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    pos_weight: np.ndarray | None = None,
    reduction: str = "mean",
) -> Gradient:
    """∂L/∂logits of binary_cross_entropy_with_logits: w · [(1 + (pw - 1)·y)·σ(x) - pw·y] / N.

    Without pos_weight the bracket is σ(x) - y: the log in the loss cancels the sigmoid's slope. The
    values follow PyTorch's backward formula in its order: t = pw·y, (t + 1 - y)·σ - t, times w, / N.
    """
    x, y = binary_arguments(logits, targets, reduction, "logits")
    w = None if weight is None else broadcast_like(weight, x.shape, "--weight")
    sigma = stable_sigmoid(x)
    steps: list[Step] = []
    with quiet():
        if pos_weight is None:
            grad = sigma - y
            title = bracket = "σ - y"
        else:
            t = broadcast_like(pos_weight, x.shape, "--pos-weight") * y
            factor = (t + 1.0) - y
            grad = factor * sigma - t
            title, bracket = "f·σ - pw·y", "(1 + (pw - 1)·y)·σ - pw·y"
            steps.append(Step("grad_pos_factor", POS_FACTOR, factor, "pos_weight scales the y = 1 part"))
        steps.append(Step("grad_difference", title, grad, bracket))
        if w is not None:
            grad = grad * w
            bracket = f"w · ({bracket})"
            steps.append(Step("grad_weighted", f"w·({title})", grad, bracket))
        if reduction == "mean":
            grad = grad / np.float64(x.size)
            steps.append(grad_step(grad, f"({bracket}) / {x.size}: the mean's denominator (number of logits)"))
    last = steps.pop()
    steps.append(last if last.name == "grad" else grad_step(last.values, last.formula))
    return Gradient(tuple(steps), grad)


def binary_arguments(
    inputs: np.ndarray, targets: np.ndarray, reduction: str, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets as float64 arrays of one shape, as every bce function (and its gradient) needs them."""
    x = np.asarray(inputs, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    check_reduction(reduction)
    if y.shape != x.shape:
        raise ValueError(
            f"targets have {y.size} value(s) but there are {x.size} {what}: "
            "bce needs one 0/1 (or probability) target per input"
        )
    return x, y


def reduce_elementwise(loss: np.ndarray, reduction: str, steps: list[Step]) -> np.ndarray | float:
    """An element-wise loss reduced as PyTorch reduces it (the mean over every element), its step appended."""
    if reduction == "none":
        return loss
    result, reduced = reduce_loss(loss.reshape(-1), reduction, float(loss.size))
    assert reduced is not None
    steps.append(reduced)
    return result
