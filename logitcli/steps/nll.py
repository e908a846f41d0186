"""nll_loss: pick each row's target entry, negate it, weight it, reduce."""

from __future__ import annotations

import numpy as np

from logitcli.steps.calculation import (
    DEFAULT_IGNORE_INDEX,
    Calculation,
    Note,
    Step,
    check_class_targets,
    class_arguments,
    quiet,
    reduce_loss,
)
from logitcli.steps.gradient import Gradient, grad_step, zero_denominator_notes
from logitcli.steps.summation import nll_cascade_sum


def nll_denominator(w_target: np.ndarray, kept: np.ndarray, weighted: bool) -> float:
    """The mean's denominator as ATen's nll_loss has it: the kept count, or the kept weights added in its order."""
    return nll_cascade_sum(w_target, kept) if weighted else float(np.count_nonzero(kept))


def looks_like_probabilities(values: np.ndarray) -> bool:
    """Every row in [0, 1] and summing to 1: softmax output, not log-probabilities."""
    if values.size == 0 or not np.isfinite(values).all():
        return False
    return bool(((values >= 0) & (values <= 1)).all() and np.allclose(values.sum(axis=1), 1.0, atol=1e-3))


def nll(
    log_probs: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = DEFAULT_IGNORE_INDEX,
    reduction: str = "mean",
) -> Calculation:
    """PyTorch's nll_loss: pick each row's target entry, negate it, weight it, reduce. Nothing more."""
    x, targets = class_arguments(log_probs, targets, weight, reduction)
    n, c = x.shape
    check_class_targets(targets, n, c, ignore_index)
    targets = targets.astype(np.int64)
    kept = targets != ignore_index
    safe = np.where(kept, targets, 0)
    picked = np.where(kept, x[np.arange(n), safe], 0.0)
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    w_target = np.where(kept, w[safe], 0.0)
    with quiet():
        loss = -w_target * picked
    loss = np.where(kept, loss, 0.0)
    denominator = nll_denominator(w_target, kept, weight is not None)
    steps = [
        Step("input", "log p", x, "log-probabilities"),
        Step("target", "target", targets.astype(np.float64), "class index"),
        Step("picked", "log p[target]", picked, "x[n, target_n]"),
    ]
    if weight is not None or not kept.all():
        steps.append(Step("weight", "w[target]", w_target, "weight[target_n] (0 if ignored)"))
    steps.append(Step("loss", "loss", loss, "-w[target] · x[target]"))
    total = nll_cascade_sum(loss, kept) if reduction != "none" else None
    result, reduced = reduce_loss(loss, reduction, denominator, total)
    if reduced is not None:
        steps.append(reduced)
    notes: list[Note] = []
    if looks_like_probabilities(x):
        notes.append(
            Note(
                "nll_probabilities",
                "These rows look like probabilities (each in [0, 1], summing to 1), not log-probabilities: "
                "nll_loss only picks the target's entry and negates it, so this is -p, not a loss. "
                "Take the log first, or let `logitcli xent` do log_softmax for you.",
            )
        )
    elif (x > 0).any():
        notes.append(
            Note(
                "nll_not_log_probabilities",
                "Some values are above 0, so these are not log-probabilities (log p <= 0); nll_loss "
                "still just picks and negates. For raw logits, use `logitcli xent`.",
            )
        )
    details = {
        "reduction": reduction,
        "ignore_index": ignore_index,
        "targets": targets,
        "targets_kind": "class indices",
        "denominator": denominator,
        "denominator_is": "sum of w[target] over kept examples" if weight is not None else "number of kept examples",
    }
    return Calculation("nll", tuple(steps), result, tuple(notes), details)


def nll_grad(
    log_probs: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = DEFAULT_IGNORE_INDEX,
    reduction: str = "mean",
) -> Gradient:
    """∂L/∂input of PyTorch's nll_loss: -w[target] / D in each kept example's target column, 0 elsewhere.

    The input's values never enter it: nll_loss is linear in its input. D is the mean's denominator
    (the kept weights' sum); the values follow autograd's w[t] · (-(1 / D)).
    """
    x, targets = class_arguments(log_probs, targets, weight, reduction)
    n, c = x.shape
    check_class_targets(targets, n, c, ignore_index)
    targets = targets.astype(np.int64)
    kept = targets != ignore_index
    safe = np.where(kept, targets, 0)
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    w_target = np.where(kept, w[safe], 0.0)
    denominator = nll_denominator(w_target, kept, weight is not None)
    numerator = "-w[target]" if weight is not None else "-1"
    with quiet():
        if reduction == "mean":
            at_target = w_target * -(1.0 / np.float64(denominator))
            formula = f"{numerator} / {denominator:g}: the mean's denominator"
        elif reduction == "sum":
            at_target, formula = w_target * -1.0, numerator
        else:
            at_target, formula = -w_target * 1.0, numerator
    at_target = np.where(kept, at_target, 0.0)
    grad = np.zeros((n, c))
    grad[np.arange(n)[kept], safe[kept]] = at_target[kept]
    title = "-w[target] / denominator" if reduction == "mean" else "-w[target]"  # ∂L/∂log p[target], named
    steps = (
        Step("grad_at_target", title, at_target, formula + (" (0 if ignored)" if not kept.all() else "")),
        grad_step(grad, f"{title} in the target's column, 0 elsewhere", "∂L/∂log p"),
    )
    return Gradient(steps, grad, zero_denominator_notes(reduction, denominator, kept))
