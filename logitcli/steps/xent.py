"""cross_entropy: the article's four steps, logits, softmax, log, nll (class indices or soft targets)."""

from __future__ import annotations

import numpy as np

from logitcli.steps.calculation import (
    DEFAULT_IGNORE_INDEX,
    Calculation,
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
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label smoothing {label_smoothing:g} is outside [0, 1]")
    probs = softmax_rows(x)
    log_p = log_softmax_rows(x)
    steps = [
        Step("logits", "x", x, "the logits"),
        Step("softmax", "softmax", probs, "exp(x - max) / Σ exp(x - max)", probability=True),
        Step("log_softmax", "log softmax", log_p, "x - max - log Σ exp(x - max)"),
    ]
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    if targets.ndim == 2:
        return _soft_cross_entropy(x, log_p, targets.astype(np.float64), w, reduction, label_smoothing, steps)
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
    loss = nll_term
    if label_smoothing > 0.0:
        with quiet():
            smooth = np.where(kept, -(log_p * w_all[None, :]).sum(axis=1), 0.0)
            loss = (1.0 - label_smoothing) * nll_term + (label_smoothing / c) * smooth
        steps.append(Step("smooth", "-Σ w·log p", smooth, "-Σ_c w_c · log p_c (the uniform part)"))
        steps.append(Step("loss", "loss", loss, f"(1 - {label_smoothing:g}) · nll + {label_smoothing:g}/{c} · smooth"))
    else:
        steps.append(Step("loss", "loss", loss, "nll"))
    denominator = float(w_target.sum())
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
    return Calculation("xent", tuple(steps), result, (), details)


def _soft_cross_entropy(
    x: np.ndarray,
    log_p: np.ndarray,
    targets: np.ndarray,
    w: np.ndarray | None,
    reduction: str,
    label_smoothing: float,
    steps: list[Step],
) -> Calculation:
    """Cross-entropy against class probabilities: -Σ_c w_c · q_c · log p_c; the mean divides by N."""
    n, c = x.shape
    if targets.shape != x.shape:
        raise ValueError(
            f"soft targets have shape {targets.shape[0]}x{targets.shape[1]} but the logits are {n}x{c}: "
            "give one probability per class and example"
        )
    if (targets < 0).any() or (targets > 1).any():
        raise ValueError("soft targets must be probabilities in [0, 1]")
    q = targets
    if label_smoothing > 0.0:
        q = targets * (1.0 - label_smoothing) + label_smoothing / c
    w_all = np.ones(c) if w is None else w
    with quiet():
        terms = -(w_all[None, :] * q * log_p)
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
    return Calculation("xent", tuple(steps), result, (), details)
