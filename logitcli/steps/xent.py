"""cross_entropy: the article's four steps, logits, softmax, log, nll (class indices or soft targets)."""

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
from logitcli.steps.gradient import Gradient, grad_step, log_softmax_backward, zero_denominator_notes
from logitcli.steps.nll import nll_denominator
from logitcli.steps.softmax import log_softmax_rows, softmax_rows
from logitcli.steps.summation import nll_cascade_sum


def cross_entropy(
    logits: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = DEFAULT_IGNORE_INDEX,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Calculation:
    """PyTorch's cross_entropy in the article's four steps: logits, softmax, log, nll.

    `targets` is either one class index per example (shape (N,)) or class probabilities of the
    same shape as the logits (soft targets). The log is log_softmax via log-sum-exp.
    """
    x, targets = class_arguments(logits, targets, weight, reduction)
    n, c = x.shape
    if label_smoothing > 1.0:
        raise ValueError(f"label smoothing {label_smoothing:g} is outside [0, 1] (PyTorch: must be at most 1.0)")
    notes: list[Note] = []
    if label_smoothing < 0.0:
        notes.append(
            Note(
                "label_smoothing_negative",
                f"Label smoothing {label_smoothing:g} is below 0: PyTorch smooths only when it is above 0, "
                "so this is no smoothing at all.",
                {"value": f"{label_smoothing:g}"},
            )
        )
    smoothing = label_smoothing if label_smoothing > 0.0 else 0.0
    probs = softmax_rows(x)
    log_p = log_softmax_rows(x)
    steps = [
        Step("logits", "x", x, "the logits"),
        Step("softmax", "softmax", probs, "exp(x - max) / Σ exp(x - max)", probability=True),
        Step("log_softmax", "log softmax", log_p, "x - max - log Σ exp(x - max)"),
    ]
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    if targets.ndim == 2:
        if ignore_index >= 0:
            raise ValueError(
                f"--ignore-index {ignore_index} with class probabilities: PyTorch refuses it "
                "(ignore_index is not supported for floating point target); leave it out, or give a negative one"
            )
        if ignore_index != DEFAULT_IGNORE_INDEX:
            notes.append(
                Note(
                    "ignore_index_with_probabilities",
                    f"--ignore-index {ignore_index} does nothing here: PyTorch ignores ignore_index when the "
                    "targets are class probabilities (only a negative one is allowed).",
                    {"value": str(ignore_index)},
                )
            )
        return _soft_cross_entropy(x, log_p, targets.astype(np.float64), w, reduction, smoothing, steps, notes)
    check_class_targets(targets, n, c, ignore_index)
    targets = targets.astype(np.int64)
    if smoothing > 0.0:  # the target the smoothed loss compares with, as the soft-target table shows it
        q = _smoothed(targets, c, smoothing, ignore_index)
        steps.append(Step("smoothed_target", "q", q, _target_formula(False, smoothing, c, True)))
    kept = targets != ignore_index
    safe = np.where(kept, targets, 0)
    w_all = np.ones(c) if w is None else w
    w_target = np.where(kept, w_all[safe], 0.0)
    picked = np.where(kept, log_p[np.arange(n), safe], 0.0)
    with quiet():
        nll_term = np.where(kept, -w_target * picked, 0.0)
    steps += [
        Step("target", "target", targets.astype(np.float64), "class index"),
        Step("picked", "log p[target]", picked, "log_softmax(x)[n, target_n]"),
    ]
    if w is not None or not kept.all():
        steps.append(Step("weight", "w[target]", w_target, "weight[target_n] (0 if ignored)"))
    # Without smoothing the loss is the nll itself: the column a narrow table can leave out first.
    steps.append(Step("nll", "nll", nll_term, "-w[target] · log p[target]", secondary=smoothing == 0.0))
    denominator = nll_denominator(w_target, kept, w is not None)
    nll_total = nll_cascade_sum(nll_term, kept) if reduction != "none" else None
    if smoothing > 0.0:
        eps = smoothing
        with quiet():
            smooth = np.where(kept, -(log_p * w_all[None, :]).sum(axis=1), 0.0)
            loss = (1.0 - eps) * nll_term + smooth * (eps / c)
        steps.append(Step("smooth", "smooth = -Σ w·log p", smooth, "-Σ_c w_c · log p_c (the uniform part)"))
        steps.append(Step("loss", "loss", loss, f"(1 - {eps:g})·nll + {eps:g}/{c}·smooth"))
        reduced = _smoothed_reduction(nll_total, smooth, eps, c, reduction, denominator)
        result: np.ndarray | float = loss if reduced is None else float(reduced.values)
    else:
        loss = nll_term
        steps.append(Step("loss", "loss", loss, "nll"))
        result, reduced = reduce_loss(loss, reduction, denominator, nll_total)
    if reduced is not None:
        steps.append(reduced)
    details = {
        "reduction": reduction,
        "ignore_index": ignore_index,
        "label_smoothing": label_smoothing,
        "targets": targets,
        "targets_kind": "class indices",
        "denominator": denominator,
        "denominator_is": "sum of w[target] over kept examples" if w is not None else "number of kept examples",
    }
    return Calculation("xent", tuple(steps), result, tuple(notes), details)


def _smoothed(targets: np.ndarray, c: int, eps: float, ignore_index: int) -> np.ndarray:
    """q = (1 - ε)·one-hot + ε/C per example (all 0 for an ignored one, which adds nothing to the loss)."""
    kept = targets != ignore_index
    one_hot = np.zeros((len(targets), c))
    one_hot[np.flatnonzero(kept), targets[kept]] = 1.0
    return np.where(kept[:, None], one_hot * (1.0 - eps) + eps / c, 0.0)


def _smoothed_reduction(
    nll_total: float | None, smooth: np.ndarray, eps: float, c: int, reduction: str, denominator: float
) -> Step | None:
    """PyTorch reduces the nll part and the uniform part apart, then mixes them: (1 - ε)·mean(nll) + ε/C·mean(smooth).

    The same number as reducing the mixed loss, except where the denominator is 0: then the nll part is
    0 / 0 = nan and so is the result (PyTorch's answer), where Σ loss / 0 alone would say inf.
    """
    if reduction == "none":
        return None
    with quiet():
        nll_total, smooth_total = np.float64(nll_total), np.float64(smooth.sum())  # nll: PyTorch's order
        if reduction == "sum":
            value = (1.0 - eps) * nll_total + smooth_total * (eps / c)
            return Step("sum", "sum", np.float64(value), f"(1 - {eps:g}) · Σ nll + {eps:g}/{c} · Σ smooth")
        value = (1.0 - eps) * (nll_total / denominator) + (smooth_total / denominator) * (eps / c)
    formula = f"(1 - {eps:g}) · Σ nll / {denominator:g} + {eps:g}/{c} · Σ smooth / {denominator:g}"
    return Step("mean", "mean", np.float64(value), formula)


def _soft_cross_entropy(
    x: np.ndarray,
    log_p: np.ndarray,
    targets: np.ndarray,
    w: np.ndarray | None,
    reduction: str,
    label_smoothing: float,
    steps: list[Step],
    notes: list[Note],
) -> Calculation:
    """Cross-entropy against class probabilities: -Σ_c w_c · q_c · log p_c; the mean divides by N.

    PyTorch takes any real numbers here, summing to 1 or not; so do we, with a note when they are not
    probabilities. Products are taken in PyTorch's order, (log p · q) · w, so overflow and 0 · inf agree.
    """
    n, c = x.shape
    if targets.shape != x.shape:
        raise ValueError(
            f"soft targets have shape {targets.shape[0]}x{targets.shape[1]} but the logits are {n}x{c}: "
            "give one probability per class and example"
        )
    if not _are_probabilities(targets):
        notes.append(
            Note(
                "soft_targets_not_probabilities",
                "Some target rows are not probabilities (a value outside [0, 1], or a row that does not sum to 1): "
                "PyTorch accepts them and computes -Σ w·q·log p all the same, but that is no longer a cross-entropy.",
            )
        )
    q = targets
    with quiet():
        if label_smoothing > 0.0:
            q = targets * (1.0 - label_smoothing) + label_smoothing / c
        product = log_p * q if w is None else (log_p * q) * w[None, :]
        terms = -product
        loss = terms.sum(axis=1)
    steps += [
        Step("target", "target q", q, "class probabilities" + (" (smoothed)" if label_smoothing else "")),
        Step("terms", "-w·q·log p", terms, "-w_c · q_c · log p_c"),
        Step("loss", "loss", loss, "Σ_c -w_c · q_c · log p_c"),
    ]
    result, reduced = reduce_loss(loss, reduction, float(n))
    if reduced is not None:
        steps.append(reduced)
    details = {
        "reduction": reduction,
        "label_smoothing": label_smoothing,
        "targets": targets,
        "targets_kind": "class probabilities",
        "denominator": float(n),
        "denominator_is": "number of examples (soft targets)",
    }
    return Calculation("xent", tuple(steps), result, tuple(notes), details)


def _are_probabilities(q: np.ndarray) -> bool:
    with quiet():
        return bool(((q >= 0) & (q <= 1)).all() and np.allclose(q.sum(axis=1), 1.0, rtol=0, atol=1e-6))


def cross_entropy_grad(
    logits: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = DEFAULT_IGNORE_INDEX,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Gradient:
    """∂L/∂logits of PyTorch's cross_entropy for the same call: (s·p - w·q) / D, row by row.

    p is the softmax, q the target distribution (one-hot, smoothed, or the soft target), w the class
    weights, s = Σ_c w_c · q_c the example's weight and D the mean's denominator (1 for sum and none).
    With no weights s = 1, and this is the famous (p - q) / D. The values follow autograd: the backward
    of nll_loss (and of the smoothing term), then the backward of log_softmax.
    """
    x, targets = class_arguments(logits, targets, weight, reduction)
    n, c = x.shape
    if label_smoothing > 1.0:
        raise ValueError(f"label smoothing {label_smoothing:g} is outside [0, 1] (PyTorch: must be at most 1.0)")
    label_smoothing = label_smoothing if label_smoothing > 0.0 else 0.0  # PyTorch smooths only above 0
    w_all = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    log_p = log_softmax_rows(x)
    soft = targets.ndim == 2
    if soft:
        if ignore_index >= 0:
            raise ValueError(f"--ignore-index {ignore_index} with class probabilities: PyTorch refuses it")
        q, upstream = _soft_upstream(x, targets.astype(np.float64), weight, reduction, label_smoothing)
        denominator, kept = float(n) if reduction == "mean" else 1.0, np.ones(n, dtype=bool)
    else:
        check_class_targets(targets, n, c, ignore_index)
        q, upstream, denominator, kept = _class_upstream(
            targets.astype(np.int64), w_all, weight is not None, ignore_index, reduction, label_smoothing
        )
    grad = log_softmax_backward(upstream, log_p)
    with quiet():
        p = softmax_rows(x)
        weighted = w_all[None, :] * q
        factor = weighted.sum(axis=1)
        difference = factor[:, None] * p - weighted
    soft_sums_differ = soft and not np.allclose(factor, 1.0)
    steps = [Step("grad_target", "q", q, _target_formula(soft, label_smoothing, c, kept.all()))]
    if weight is not None:
        steps.append(Step("grad_weighted_target", "w·q", weighted, "w_c · q_c"))
    if weight is not None or soft_sums_differ:
        steps.append(Step("grad_weight_factor", "s = Σ w·q", factor, "Σ_c w_c · q_c (the example's weight)"))
        name = "s·p - w·q" if weight is not None else "s·p - q"
    else:
        name = "p - q"
    if reduction == "mean":
        steps.append(Step("grad_difference", name, difference, "the softmax minus the target distribution"))
        steps.append(grad_step(grad, f"({name}) / {denominator:g}: the mean's denominator"))
    else:
        steps.append(grad_step(grad, f"{name}: the gradient of the {'sum' if reduction == 'sum' else 'summed losses'}"))
    return Gradient(tuple(steps), grad, zero_denominator_notes(reduction, denominator, kept))


def _class_upstream(
    targets: np.ndarray, w_all: np.ndarray, weighted: bool, ignore_index: int, reduction: str, label_smoothing: float
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """q, ∂L/∂log p as autograd computes it for class indices, the mean's denominator, and the kept rows.

    nll_loss puts w[t] · (-(g / D)) at each kept target (g = 1 - ε, or 1), so ignored rows get exactly 0
    even when D = 0; the smoothing term sends -(ε/C / D) · w_c to every class of a kept row.
    """
    n, c = len(targets), len(w_all)
    kept = targets != ignore_index
    safe = np.where(kept, targets, 0)
    rows = np.arange(n)
    one_hot = np.zeros((n, c))
    one_hot[rows[kept], safe[kept]] = 1.0
    w_target = np.where(kept, w_all[safe], 0.0)
    denominator = nll_denominator(w_target, kept, weighted)
    upstream = np.zeros((n, c))
    g = 1.0 - label_smoothing if label_smoothing > 0.0 else 1.0
    with quiet():
        if reduction == "mean":
            at_target = w_target * -(g / np.float64(denominator))
        elif reduction == "sum":
            at_target = w_target * -g
        else:
            at_target = -w_target * g
        upstream[rows[kept], safe[kept]] = at_target[kept]
        q = one_hot
        if label_smoothing > 0.0:
            share = label_smoothing / c
            if reduction == "mean":
                count = denominator if weighted else float(kept.sum())
                share = share / np.float64(count)
            per_row = np.where(kept, share, 0.0)
            upstream = upstream + (-per_row)[:, None] * (w_all[None, :] if weighted else 1.0)
            q = np.where(kept[:, None], (1.0 - label_smoothing) * one_hot + label_smoothing / c, 0.0)
    return q, upstream, denominator, kept


def _soft_upstream(
    x: np.ndarray, targets: np.ndarray, weight: np.ndarray | None, reduction: str, label_smoothing: float
) -> tuple[np.ndarray, np.ndarray]:
    """The same for class probabilities: -(w_c · q_c) / N for the mean, autograd's order kept."""
    n, c = x.shape
    if targets.shape != x.shape:
        raise ValueError(
            f"soft targets have shape {targets.shape[0]}x{targets.shape[1]} but the logits are {n}x{c}: "
            "give one probability per class and example"
        )
    q = targets * (1.0 - label_smoothing) + label_smoothing / c if label_smoothing > 0.0 else targets
    scale = -(1.0 / np.float64(n)) if reduction == "mean" else -1.0
    with quiet():
        if weight is None:
            upstream = scale * q
        else:
            upstream = (scale * np.asarray(weight, dtype=np.float64)[None, :]) * q
    return q, upstream


def _target_formula(soft: bool, label_smoothing: float, c: int, all_kept: bool) -> str:
    """What q is, in words: the target distribution the gradient compares the softmax with."""
    smoothing = f"{label_smoothing:g}"
    if soft:
        return "soft target" + (f", smoothed: (1 - {smoothing})·y + {smoothing}/{c}" if label_smoothing else "")
    formula = f"(1 - {smoothing})·one-hot + {smoothing}/{c}" if label_smoothing else "one-hot target"
    return formula if all_kept else formula + " (0 if ignored)"
