"""binary_cross_entropy: bce on probabilities (a sigmoid already applied), with PyTorch's clamp of the log."""

from __future__ import annotations

import numpy as np

from logitcli.steps.bce import TARGETS_KIND, binary_arguments, reduce_elementwise
from logitcli.steps.calculation import Calculation, Note, Step, broadcast_like, quiet
from logitcli.steps.gradient import Gradient, grad_step

#: PyTorch clamps each log at -100, so a probability of exactly 0 or 1 costs at most 100, never inf.
LOG_CLAMP = -100.0


def binary_cross_entropy_probs(
    probs: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    reduction: str = "mean",
) -> Calculation:
    """PyTorch's binary_cross_entropy: -w · [y · max(log p, -100) + (1 - y) · max(log(1 - p), -100)].

    Probabilities and targets must lie in [0, 1], as PyTorch checks (NaN is refused too); there is no
    pos_weight (that is binary_cross_entropy_with_logits'). log(1 - p) is log1p(-p), as PyTorch computes it.
    """
    p, y = _probability_arguments(probs, targets, reduction)
    w = None if weight is None else broadcast_like(weight, p.shape, "--weight")
    with quiet():
        raw_log_p, raw_log_not_p = np.log(p), np.log1p(-p)
        log_p = np.maximum(raw_log_p, LOG_CLAMP)
        log_not_p = np.maximum(raw_log_not_p, LOG_CLAMP)
        loss = (y - 1.0) * log_not_p - y * log_p
        if w is not None:
            loss = loss * w
    steps = [
        Step("probs", "p", p, "probabilities (the input)", probability=True),
        Step("target", "y", y, "0/1 or probability"),
        Step("log_p", "log p", log_p, "max(log p, -100)"),
        Step("log_one_minus_p", "log(1 - p)", log_not_p, "max(log1p(-p), -100)"),
    ]
    formula = "-[y·log p + (1 - y)·log(1 - p)]"
    if w is not None:
        steps.append(Step("weight", "w", np.array(w), "weight, broadcast to the input"))
        formula = "-w·[y·log p + (1 - y)·log(1 - p)]"
    steps.append(Step("loss", "loss", loss, formula))
    result = reduce_elementwise(loss, reduction, steps)
    notes: tuple[Note, ...] = ()
    if (raw_log_p < LOG_CLAMP).any() or (raw_log_not_p < LOG_CLAMP).any():
        notes = (
            Note(
                "bce_log_clamped",
                "Some log p or log(1 - p) is below -100 (log(0) = -inf where p is exactly 0 or 1): PyTorch clamps "
                "each log at -100, so the loss stays finite, at most 100 per entry; so does logitcli.",
            ),
        )
    details = {
        "reduction": reduction,
        "input": "probabilities",
        "targets": y,
        "targets_kind": TARGETS_KIND,
        "denominator": float(loss.size),
        "denominator_is": "number of probabilities",
    }
    return Calculation("bce", tuple(steps), result, notes, details)


def _probability_arguments(probs: np.ndarray, targets: np.ndarray, reduction: str) -> tuple[np.ndarray, np.ndarray]:
    """bce's arguments, with PyTorch's own check that probabilities and targets lie in [0, 1]."""
    p, y = binary_arguments(probs, targets, reduction, "probabilities")
    _check_unit_interval(p, "input", "--probs takes probabilities; give logits without --probs")
    _check_unit_interval(y, "target", "bce --probs takes 0/1 or probability targets")
    return p, y


def _check_unit_interval(values: np.ndarray, what: str, hint: str) -> None:
    """PyTorch's check, word for word in its reason: NaN fails it too (nan >= 0 is false)."""
    with quiet():
        inside = (values >= 0) & (values <= 1)
    if not inside.all():
        first = float(values[~inside].flat[0])
        raise ValueError(
            f"{what} value {first:g} is outside [0, 1] (PyTorch: all elements of {what} should be between 0 and 1); "
            + hint
        )


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

    Dividing by p·(1 - p) is the
    sigmoid's slope undone: times σ'(x) = p·(1 - p) it is σ(x) - y again, the with-logits gradient.
    """
    p, y = _probability_arguments(probs, targets, reduction)
    with quiet():
        slope = np.maximum((1.0 - p) * p, PROBS_GRAD_EPSILON)
        grad = (p - y) / slope
        steps = [
            Step("grad_difference", "p - y", p - y, "p - y"),
            Step("grad_slope", "p·(1-p)", slope, f"max(p·(1 - p), {PROBS_GRAD_EPSILON:g}): the sigmoid's slope"),
            Step("grad_ratio", "(p-y)/(p(1-p))", grad, "(p - y) / (p·(1 - p))"),
        ]
        if weight is not None:
            grad = grad * broadcast_like(weight, p.shape, "--weight")
            steps.append(Step("grad_weighted", "w·(…)", grad, "w · (p - y) / (p·(1 - p))"))
        if reduction == "mean":
            grad = grad / np.float64(p.size)
            formula = f"{steps[-1].formula} / {p.size}: the mean's denominator (number of probabilities)"
            steps.append(grad_step(grad, formula, "∂L/∂p"))
    last = steps.pop()
    steps.append(last if last.name == "grad" else grad_step(last.values, last.formula, "∂L/∂p"))
    return Gradient(tuple(steps), grad)
