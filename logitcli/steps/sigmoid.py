"""sigmoid: each logit on its own, the article's formula beside the stable form."""

from __future__ import annotations

import numpy as np

from logitcli.steps.calculation import Calculation, Note, Step, quiet
from logitcli.steps.gradient import Gradient, grad_step


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) for x < 0: no exp ever overflows."""
    with quiet():
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log(sigmoid(x)) = -softplus(-x), exact even where sigmoid(x) rounds to 0."""
    with quiet():
        return -(np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x))))


def sigmoid(x: np.ndarray) -> Calculation:
    """The article's formula 1 / (1 + exp(-x)), step by step; the result uses the stable form."""
    x = np.asarray(x, dtype=np.float64)
    with quiet():
        neg = -x
        exp_neg = np.exp(neg)
        one_plus = 1.0 + exp_neg
    result = stable_sigmoid(x)
    notes: list[Note] = []
    if (np.isinf(exp_neg) & np.isfinite(x)).any():
        notes.append(
            Note(
                "sigmoid_overflow",
                "exp(-x) overflowed to inf for a very negative x; 1 / (1 + inf) = 0 is still right, and "
                "the stable form exp(x) / (1 + exp(x)) used for x < 0 never overflows.",
            )
        )
    steps = (
        Step("logits", "x", x, "the logits"),
        Step("neg_x", "-x", neg, "-x", secondary=True),
        Step("exp_neg_x", "exp(-x)", exp_neg, "exp(-x)"),
        Step("one_plus_exp_neg_x", "1 + exp(-x)", one_plus, "1 + exp(-x)"),
        Step("sigmoid", "sigmoid", result, "1 / (1 + exp(-x))", probability=True),
    )
    return Calculation("sigmoid", steps, result, tuple(notes))


def sigmoid_grad(x: np.ndarray) -> Gradient:
    """d sigmoid(x) / dx = σ(x)·(1 - σ(x)), each logit on its own (autograd's (1 - σ)·σ).

    At most 1/4 (at x = 0), and nearly 0 for large |x|: a loss that reaches the logits only through
    the sigmoid (squared error on σ) barely moves a confident logit, right or wrong.
    """
    x = np.asarray(x, dtype=np.float64)
    sigma = stable_sigmoid(x)
    with quiet():
        one_minus = 1.0 - sigma
        grad = (1.0 * one_minus) * sigma
    steps = (
        Step("one_minus_sigmoid", "1 - σ", one_minus, "1 - sigmoid(x)"),
        grad_step(grad, "σ'(x) = sigmoid(x) · (1 - sigmoid(x))", "σ'(x)"),
    )
    notes: tuple[Note, ...] = ()
    if (np.abs(x[np.isfinite(x)]) >= VANISHING).any():
        notes = (
            Note(
                "sigmoid_grad_vanishes",
                "Where |x| is large the sigmoid is flat and its derivative nearly 0 (0.0066 at |x| = 5, "
                "4.5e-05 at |x| = 10): a loss that reaches the logit only through the sigmoid, such as "
                "squared error on σ, barely moves it. The log in binary cross-entropy cancels this: its "
                "gradient is σ(x) - y.",
            ),
        )
    return Gradient(steps, grad, notes)


#: From |x| = 5 on, σ'(x) < 0.007: the point where the sigmoid's flat tails start to matter.
VANISHING = 5.0
