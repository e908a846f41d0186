"""What calibration measures, per example: a confidence, a prediction and whether it was right.

Top-label: confidence = the largest softmax probability, correct = (argmax = target). Binary: confidence =
P(class 1), outcome = the target. Classwise: each class's probability against 1[target = class].

Along the way each example's NLL and Brier term are taken from the same pass, so a 50,000 x 1,000 input is
read a few rows at a time and never copied whole: the top softmax probability is 1 / Σ exp(x - max).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from logitcli.steps.calculation import quiet

#: Rows per chunk: about 8 MB of float64 for 1,000 classes, so temporaries stay small beside the input.
CHUNK_ELEMENTS = 1 << 20


@dataclass(frozen=True)
class Outcomes:
    """One entry per example. `kept` is False where the example is left out (NaN, or an ignored target)."""

    confidence: np.ndarray
    prediction: np.ndarray
    target: np.ndarray
    correct: np.ndarray
    nll: np.ndarray
    brier: np.ndarray
    kept: np.ndarray
    unusable: np.ndarray


def chunks(n_rows: int, n_cols: int) -> list[slice]:
    size = max(1, CHUNK_ELEMENTS // max(n_cols, 1))
    return [slice(start, min(start + size, n_rows)) for start in range(0, n_rows, size)]


def top_label(
    values: np.ndarray, targets: np.ndarray, ignore_index: int, temperature: float = 1.0, probs: bool = False
) -> Outcomes:
    """Top-label outcomes of logits divided by `temperature` (or of probabilities, with `probs`).

    Ties go to the first class, as `argmax` and `torch.max` choose. The Brier term is sklearn's:
    Σ_c (p_c - 1[c = target])², halved for two classes or fewer (its `scale_by_half="auto"`).
    """
    n, c = values.shape
    targets = np.asarray(targets).astype(np.int64)
    confidence = np.empty(n)
    prediction = np.empty(n, dtype=np.int64)
    nll = np.empty(n)
    brier = np.empty(n)
    ignored = targets == ignore_index
    safe = np.where(ignored, 0, targets)
    beta = 1.0 / temperature
    for rows in chunks(n, c):
        x = values[rows]
        t = safe[rows]
        picked = x[np.arange(len(x)), t]
        prediction[rows] = np.argmax(x, axis=1) if c else 0
        with quiet():
            if probs:
                confidence[rows] = x.max(axis=1)
                nll[rows] = -np.log(picked)
                squares = np.einsum("ij,ij->i", x, x)
                brier[rows] = squares - 2 * picked + 1
            else:
                top = x.max(axis=1)
                e = x - top[:, None]
                if beta != 1.0:
                    e *= beta
                np.exp(e, out=e)
                total = e.sum(axis=1)
                confidence[rows] = 1.0 / total
                log_p = beta * (picked - top) - np.log(total)
                nll[rows] = -log_p
                squares = np.einsum("ij,ij->i", e, e) / (total * total)
                brier[rows] = squares - 2 * np.exp(log_p) + 1
    if c <= 2:
        brier *= 0.5
    unusable = ~np.isfinite(confidence)  # a NaN anywhere in the row, or +inf (inf - inf), makes the max-shift nan
    kept = ~unusable & ~ignored
    with quiet():
        correct = (prediction == targets).astype(np.float64)
    return Outcomes(confidence, prediction, targets, correct, nll, brier, kept, unusable)


def binary(
    values: np.ndarray, targets: np.ndarray, ignore_index: int, temperature: float = 1.0, probs: bool = False
) -> Outcomes:
    """Binary outcomes: P(class 1) = sigmoid(x / T) of one logit per example (or the probability itself)."""
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    targets = np.asarray(targets).astype(np.int64)
    ignored = targets == ignore_index
    y = np.where(ignored, 0, targets).astype(np.float64)
    with quiet():
        if probs:
            p = x.copy()
            log_p, log_q = np.log(p), np.log1p(-p)
        else:
            z = x / temperature
            p = np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))
            log_p = -np.logaddexp(0.0, -z)
            log_q = -np.logaddexp(0.0, z)
        nll = -(y * log_p + (1 - y) * log_q)
        nll = np.where(y == 1, -log_p, np.where(y == 0, -log_q, nll))
        brier = (p - y) ** 2
    unusable = ~np.isfinite(p)
    kept = ~unusable & ~ignored
    prediction = (p >= 0.5).astype(np.int64)
    return Outcomes(p, prediction, targets, y.copy(), nll, brier, kept, unusable)


def classwise_probabilities(values: np.ndarray, temperature: float = 1.0, probs: bool = False) -> np.ndarray:
    """Every class's probability (N, C): softmax(x / T), or the probabilities given."""
    if probs:
        return np.asarray(values, dtype=np.float64)
    from logitcli.steps.softmax import softmax_rows

    return softmax_rows(values / temperature if temperature != 1.0 else values)
