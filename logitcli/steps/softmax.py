"""softmax: the article's exp, sum, divide, then the max-shift real libraries use."""

from __future__ import annotations

import numpy as np

from logitcli.steps.calculation import Calculation, Note, Step, quiet


def log_softmax_rows(x: np.ndarray) -> np.ndarray:
    """x - max - log(sum(exp(x - max))) by row: never log(softmax(x)), which turns 0 into -inf."""
    with quiet():
        m = _row_max(x)
        shifted = x - m[:, None]
        return shifted - np.log(np.exp(shifted).sum(axis=1))[:, None]


def softmax_rows(x: np.ndarray) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) by row."""
    with quiet():
        shifted = x - _row_max(x)[:, None]
        e = np.exp(shifted)
        return e / e.sum(axis=1)[:, None]


def _row_max(x: np.ndarray) -> np.ndarray:
    """Row maxima; a row of all -inf keeps -inf (and then gives nan, exactly as PyTorch does)."""
    return x.max(axis=1) if x.shape[1] else np.zeros(x.shape[0])


def softmax(x: np.ndarray, temperature: float = 1.0) -> Calculation:
    """The article's exp, sum, divide (true values), then the max-shift that real libraries use."""
    x = np.asarray(x, dtype=np.float64)
    if not temperature > 0:
        raise ValueError(f"temperature must be a positive number, got {temperature:g}")
    steps = [Step("logits", "x", x, "the logits")]
    z = x
    if temperature != 1.0:
        with quiet():
            z = x / temperature
        steps.append(Step("scaled", f"x / {temperature:g}", z, "x / T"))
    with quiet():
        naive_exp = np.exp(z)
        naive_sum = naive_exp.sum(axis=1)
        row_max = _row_max(z)
        shifted = z - row_max[:, None]
        exp_shifted = np.exp(shifted)
        sum_shifted = exp_shifted.sum(axis=1)
        result = exp_shifted / sum_shifted[:, None]
    zname = "x" if temperature == 1.0 else "z"
    steps += [
        Step("exp", f"exp({zname})", naive_exp, f"exp({zname})", secondary=True),
        Step("sum_exp", f"Σ exp({zname})", naive_sum, f"sum_j exp({zname}_j)", secondary=True),
        Step("max", "max", row_max, f"max_j {zname}_j"),
        Step("shifted", f"{zname} - max", shifted, f"{zname} - max"),
        Step("exp_shifted", f"exp({zname} - max)", exp_shifted, f"exp({zname} - max)"),
        Step("sum_exp_shifted", f"Σ exp({zname} - max)", sum_shifted, f"sum_j exp({zname}_j - max)"),
        Step("softmax", "softmax", result, f"exp({zname} - max) / Σ exp({zname} - max)", probability=True),
    ]
    notes: list[Note] = []
    if (np.isinf(naive_exp) & np.isfinite(z)).any() or (np.isinf(naive_sum) & np.isfinite(z).all(axis=1)).any():
        notes.append(
            Note(
                "softmax_overflow",
                f"exp({zname}) or its sum overflowed to inf, so the article's exp / sum would give nan or 0; "
                f"subtracting the max first keeps every exp in (0, 1] and gives the same softmax.",
            )
        )
    return Calculation("softmax", tuple(steps), result, tuple(notes), {"temperature": temperature})
