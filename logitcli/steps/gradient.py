"""What a gradient function returns, and one step of gradient descent with it.

Each loss module ends with its gradient function (`cross_entropy_grad`, `nll_grad`,
`binary_cross_entropy_grad`, `sigmoid_grad`). They take the same arguments as the loss and return a
`Gradient`: the steps that build ∂L/∂x in readable form, and the values as `torch.autograd` gives them
for `loss.backward(torch.ones_like(loss))` (for reduction "none": the gradient of the sum of the
per-example losses). A `Gradient` is not a `Calculation` of its own: it has no loss of its own to be
the `result`, and it always belongs to one loss call, so `with_gradient` adds its steps (and notes) to
that call's Calculation and keeps the values in `Calculation.grad`.

The values are computed in autograd's own order of operations, so nan and infinities land where
PyTorch puts them (an all-ignored mean has a nan loss but a zero gradient; kept examples whose weights
sum to zero get nan); the readable steps show the same numbers wherever they are finite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from logitcli.steps.calculation import Calculation, Descent, Note, Step, quiet


@dataclass(frozen=True)
class Gradient:
    """∂L/∂x for one loss call: the steps that build it and its values, shaped like the input (N, C)."""

    steps: tuple[Step, ...]
    values: np.ndarray
    notes: tuple[Note, ...] = ()


def with_gradient(calc: Calculation, gradient: Gradient) -> Calculation:
    """The loss's calculation with the gradient's steps after its own, and the gradient kept in `grad`."""
    return replace(calc, steps=calc.steps + gradient.steps, notes=calc.notes + gradient.notes, grad=gradient.values)


def descend(calc: Calculation, x: np.ndarray, lr: float, loss: Callable[[np.ndarray], Calculation]) -> Descent:
    """Move `x` (what `calc` was computed on) by -lr · calc.grad and recompute the same loss there."""
    if calc.grad is None:
        raise ValueError("a descent step needs the gradient: compute it first (with_gradient)")
    x = np.asarray(x, dtype=np.float64)
    with quiet():
        after = x - lr * calc.grad
    reduction = str(calc.details.get("reduction", "mean"))
    input_is = calc.steps[0].formula if calc.steps else "the input"
    return Descent(lr, x, calc.grad, after, calc.result, loss(after).result, reduction, input_is)


def descent_calculation(descent: Descent) -> Calculation:
    """The descent as steps (old input, gradient, new input; per-example losses for reduction none),
    so it prints and serialises as every other table does."""
    lr = f"{descent.lr:g}"
    steps = [
        Step("logits", "x", descent.before, f"{descent.input_is}, before the step"),
        Step("grad", "∂L/∂x", descent.grad, "the gradient"),
        Step("stepped", f"x - {lr}·∂L/∂x", descent.after, "after one step"),
    ]
    if isinstance(descent.loss_before, np.ndarray):
        steps.append(Step("loss_before", "loss before", descent.loss_before, "the loss at x"))
        steps.append(Step("loss_after", "loss after", np.asarray(descent.loss_after), "the loss after the step"))
    details = {"lr": descent.lr, "reduction": descent.reduction}
    return Calculation("descent", tuple(steps), descent.loss_after, (), details)


def log_softmax_backward(upstream: np.ndarray, log_p: np.ndarray) -> np.ndarray:
    """autograd's rule for log_softmax by row: g - exp(log p) · Σ_c g_c (nan stays where it lands)."""
    with quiet():
        return upstream - np.exp(log_p) * upstream.sum(axis=1, keepdims=True)


def grad_step(values: np.ndarray, formula: str, title: str = "∂L/∂x") -> Step:
    """The last step of every gradient: the values themselves, under one name."""
    return Step("grad", title, values, formula)


def zero_denominator_notes(reduction: str, denominator: float, kept: np.ndarray) -> tuple[Note, ...]:
    """A mean over nothing: autograd's answer differs for ignored examples (0) and zero weights (nan)."""
    if reduction != "mean" or denominator != 0.0:
        return ()
    if not kept.any():
        return (
            Note(
                "grad_all_ignored",
                "Every example is ignored: the mean loss is 0 / 0 = nan, but no example takes part, "
                "so the gradient is 0, as autograd gives.",
            ),
        )
    return (
        Note(
            "grad_zero_denominator",
            "The kept examples' weights sum to 0, so the mean divides by 0: their gradient is nan "
            "(0 · inf), as autograd gives.",
        ),
    )
