"""binary_cross_entropy_with_logits: each logit its own yes/no question."""

from __future__ import annotations

import numpy as np

from logitcli.steps.calculation import Calculation, Step, check_reduction, quiet, reduce_loss
from logitcli.steps.gradient import Gradient, grad_step
from logitcli.steps.sigmoid import log_sigmoid, stable_sigmoid


def binary_cross_entropy(
    logits: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    pos_weight: np.ndarray | None = None,
    reduction: str = "mean",
) -> Calculation:
    """PyTorch's binary_cross_entropy_with_logits, with log sigmoid computed as -softplus(-x).

    loss = -w · [pos_weight · y · log sigmoid(x) + (1 - y) · log(1 - sigmoid(x))], each class on its own.
    `weight` broadcasts over the logits (one per class, or one per entry); `pos_weight` is one per class.
    """
    x = np.asarray(logits, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    check_reduction(reduction)
    if y.shape != x.shape:
        raise ValueError(
            f"targets have {y.size} value(s) but there are {x.size} logits: "
            "bce needs one 0/1 (or probability) target per logit"
        )
    if (y < 0).any() or (y > 1).any():
        raise ValueError("bce targets must be 0, 1 or probabilities in between")
    w = _broadcast_weight(weight, x.shape, "--weight")
    pw = _broadcast_weight(pos_weight, x.shape, "--pos-weight")
    probs = stable_sigmoid(x)
    log_p = log_sigmoid(x)
    log_not_p = log_sigmoid(-x)
    with quiet():
        loss = -w * (pw * y * log_p + (1.0 - y) * log_not_p)
    steps = [
        Step("logits", "x", x, "the logits"),
        Step("target", "y", y, "0/1 or probability"),
        Step("sigmoid", "sigmoid", probs, "1 / (1 + exp(-x))", probability=True),
        Step("log_sigmoid", "log σ", log_p, "log sigmoid(x) = -softplus(-x)"),
        Step("log_one_minus_sigmoid", "log(1 - σ)", log_not_p, "log(1 - sigmoid(x)) = -softplus(x)"),
        Step("loss", "loss", loss, "-w · [pw · y · log σ + (1 - y) · log(1 - σ)]"),
    ]
    result: np.ndarray | float = loss
    if reduction != "none":
        flat_loss, reduced = reduce_loss(loss.reshape(-1), reduction, float(loss.size))
        result = flat_loss
        assert reduced is not None
        steps.append(reduced)
    details = {"reduction": reduction, "denominator": float(loss.size), "denominator_is": "number of logits"}
    return Calculation("bce", tuple(steps), result, (), details)


def _broadcast_weight(weight: np.ndarray | None, shape: tuple[int, int], option: str) -> np.ndarray:
    """One value per class (broadcast over examples) or one per entry; 1 when not given."""
    if weight is None:
        return np.ones(shape)
    weight = np.asarray(weight, dtype=np.float64)
    if weight.shape == (shape[1],) or weight.shape == shape:
        return np.broadcast_to(weight, shape)
    raise ValueError(
        f"{option} has {weight.size} value(s) but the logits have {shape[1]} class(es): give one per class"
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
    x = np.asarray(logits, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    check_reduction(reduction)
    if y.shape != x.shape:
        raise ValueError(
            f"targets have {y.size} value(s) but there are {x.size} logits: "
            "bce needs one 0/1 (or probability) target per logit"
        )
    if (y < 0).any() or (y > 1).any():
        raise ValueError("bce targets must be 0, 1 or probabilities in between")
    w = None if weight is None else _broadcast_weight(weight, x.shape, "--weight")
    sigma = stable_sigmoid(x)
    steps: list[Step] = []
    with quiet():
        if pos_weight is None:
            grad = sigma - y
            title = bracket = "σ - y"
        else:
            t = _broadcast_weight(pos_weight, x.shape, "--pos-weight") * y
            factor = (t + 1.0) - y
            grad = factor * sigma - t
            title, bracket = "f·σ - pw·y", "(1 + (pw - 1)·y)·σ - pw·y"
            steps.append(Step("grad_pos_factor", "f", factor, "f = 1 + (pw - 1)·y: pos_weight scales the y = 1 part"))
        steps.append(Step("grad_difference", title, grad, bracket))
        if w is not None:
            grad = grad * w
            bracket = f"w · ({bracket})"
            steps.append(Step("grad_weighted", f"w·({title})", grad, bracket))
        if reduction == "mean":
            grad = grad / np.float64(x.size)
            steps.append(grad_step(grad, f"{bracket} / {x.size}: the mean's denominator (number of logits)"))
    last = steps.pop()
    steps.append(last if last.name == "grad" else grad_step(last.values, last.formula))
    return Gradient(tuple(steps), grad)


#: PyTorch's floor under p·(1 - p) in binary_cross_entropy's backward, so p = 0 or 1 gives a finite gradient.
#: It is a C++ float there (1e-12 rounded to float32), hence the cast.
PROBS_GRAD_EPSILON = float(np.float32(1e-12))


def binary_cross_entropy_probs_grad(
    probs: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    reduction: str = "mean",
) -> Gradient:
    """∂L/∂p of PyTorch's binary_cross_entropy on probabilities: w · (p - y) / max(p·(1 - p), 1e-12) / N.

    The gradient `bce --probs` needs (the command is the CLI's to wire). Dividing by p·(1 - p) is the
    sigmoid's slope undone: times σ'(x) = p·(1 - p) it is σ(x) - y again, the with-logits gradient.
    """
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    check_reduction(reduction)
    if y.shape != p.shape:
        raise ValueError(
            f"targets have {y.size} value(s) but there are {p.size} probabilities: "
            "bce needs one 0/1 (or probability) target per probability"
        )
    if (y < 0).any() or (y > 1).any():
        raise ValueError("bce targets must be 0, 1 or probabilities in between")
    with quiet():
        slope = np.maximum((1.0 - p) * p, PROBS_GRAD_EPSILON)
        grad = (p - y) / slope
        steps = [
            Step("grad_difference", "p - y", p - y, "p - y"),
            Step("grad_slope", "p·(1-p)", slope, f"max(p·(1 - p), {PROBS_GRAD_EPSILON:g}): the sigmoid's slope"),
            Step("grad_ratio", "(p-y)/(p(1-p))", grad, "(p - y) / (p·(1 - p))"),
        ]
        if weight is not None:
            grad = grad * _broadcast_weight(weight, p.shape, "--weight")
            steps.append(Step("grad_weighted", "w·(…)", grad, "w · (p - y) / (p·(1 - p))"))
        if reduction == "mean":
            grad = grad / np.float64(p.size)
            steps.append(grad_step(grad, f"/ {p.size}: the mean's denominator (number of probabilities)", "∂L/∂p"))
    last = steps.pop()
    steps.append(last if last.name == "grad" else grad_step(last.values, last.formula, "∂L/∂p"))
    return Gradient(tuple(steps), grad)
