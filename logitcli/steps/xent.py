"""cross_entropy: the article's four steps, logits, softmax, log, nll (class indices or soft targets)."""

from __future__ import annotations

import numpy as np

from logitcli.steps.calculation import (
    DEFAULT_IGNORE_INDEX,
    Calculation,
    Note,
    Step,
    check_class_targets,
    check_class_weight,
    check_reduction,
    quiet,
    reduce_loss,
)
from logitcli.steps.softmax import log_softmax_rows, softmax_rows


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
    x = np.asarray(logits, dtype=np.float64)
    targets = np.asarray(targets)
    n, c = x.shape
    check_reduction(reduction)
    check_class_weight(weight, c)
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
    steps.append(Step("nll", "nll", nll_term, "-w[target] · log p[target]"))
    with quiet():
        denominator = float(w_target.sum())
    if smoothing > 0.0:
        eps = smoothing
        with quiet():
            smooth = np.where(kept, -(log_p * w_all[None, :]).sum(axis=1), 0.0)
            loss = (1.0 - eps) * nll_term + smooth * (eps / c)
        steps.append(Step("smooth", "-Σ w·log p", smooth, "-Σ_c w_c · log p_c (the uniform part)"))
        steps.append(Step("loss", "loss", loss, f"(1 - {eps:g}) · nll + {eps:g}/{c} · smooth"))
        reduced = _smoothed_reduction(nll_term, smooth, eps, c, reduction, denominator)
        result: np.ndarray | float = loss if reduced is None else float(reduced.values)
    else:
        loss = nll_term
        steps.append(Step("loss", "loss", loss, "nll"))
        result, reduced = reduce_loss(loss, reduction, denominator)
    if reduced is not None:
        steps.append(reduced)
    details = {
        "reduction": reduction,
        "ignore_index": ignore_index,
        "label_smoothing": label_smoothing,
        "targets": "class indices",
        "denominator": denominator,
        "denominator_is": "sum of w[target] over kept examples" if w is not None else "number of kept examples",
    }
    return Calculation("xent", tuple(steps), result, tuple(notes), details)


def _smoothed_reduction(
    nll_term: np.ndarray, smooth: np.ndarray, eps: float, c: int, reduction: str, denominator: float
) -> Step | None:
    """PyTorch reduces the nll part and the uniform part apart, then mixes them: (1 - ε)·mean(nll) + ε/C·mean(smooth).

    The same number as reducing the mixed loss, except where the denominator is 0: then the nll part is
    0 / 0 = nan and so is the result (PyTorch's answer), where Σ loss / 0 alone would say inf.
    """
    if reduction == "none":
        return None
    with quiet():
        nll_total, smooth_total = np.float64(nll_term.sum()), np.float64(smooth.sum())
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
        "targets": "class probabilities",
        "denominator": float(n),
        "denominator_is": "number of examples (soft targets)",
    }
    return Calculation("xent", tuple(steps), result, tuple(notes), details)


def _are_probabilities(q: np.ndarray) -> bool:
    with quiet():
        return bool(((q >= 0) & (q <= 1)).all() and np.allclose(q.sum(axis=1), 1.0, rtol=0, atol=1e-6))
