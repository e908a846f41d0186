"""What every calculation gets around its step function: option checks, the gradient and one descent step,
the diagnosis of any NaN or infinity, and with `--check` the same call through torch.nn.functional.

Step functions raise ValueError for inputs PyTorch would reject; here those become `InputError`s, so the
CLI boundary prints them as one line with exit 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from logitcli import steps
from logitcli.errors import InputError, RunError
from logitcli.inputs.batch import Batch
from logitcli.inputs.torchrules import refuse_what_pytorch_refuses
from logitcli.steps.diagnosis import diagnose, upstream_notes

if TYPE_CHECKING:
    from logitcli.model.check import TorchCheck


def check_reduction(reduction: str) -> None:
    """Checked before any model runs, with the step functions' own rule and words."""
    try:
        steps.check_reduction(reduction)
    except ValueError as error:
        raise InputError(str(error)) from None


def require_targets(targets: str | None, command: str) -> str:
    """The loss commands need targets; say what they look like."""
    if targets is None:
        raise InputError(f"{command} needs --targets: one class index (or name) per example, e.g. --targets 2,0")
    return targets


def check_lr(lr: float | None, grad: bool) -> None:
    """--lr is one step along the gradient: it needs --grad and a positive step size."""
    if lr is None:
        return
    if not grad:
        raise InputError("--lr takes one step of gradient descent and needs the gradient: add --grad")
    if not (math.isfinite(lr) and lr > 0):
        raise InputError(f"--lr must be a positive number, e.g. --lr 0.5; got {lr:g}")


def check_temperature(temperature: float) -> None:
    """Dividing by T needs a positive, finite T."""
    if not math.isfinite(temperature) or temperature <= 0:
        raise InputError(f"temperature must be a positive number, got {temperature:g}")


def run_step(step: Callable[..., steps.Calculation], *args: object, **kwargs: object) -> steps.Calculation:
    """A step function's ValueError (an input PyTorch would reject) is an input error."""
    try:
        return step(*args, **kwargs)
    except ValueError as error:
        raise InputError(str(error)) from None


def with_gradient(
    calc: steps.Calculation,
    x: np.ndarray,
    lr: float | None,
    gradient: Callable[..., steps.Gradient],
    loss: Callable[..., steps.Calculation],
    options: dict[str, Any],
) -> steps.Calculation:
    """--grad: the gradient's steps join the loss's; --lr: one descent step, and the same loss there."""
    calc = steps.with_gradient(calc, run_step(gradient, x, **options))
    if lr is None:
        return calc

    def loss_after_the_step(stepped: np.ndarray) -> steps.Calculation:
        try:
            return loss(stepped, **options)
        except ValueError as error:  # e.g. --probs: a probability pushed outside [0, 1]
            reason = str(error).split(";")[0]  # the step function's reason, without its advice for typed input
            raise InputError(f"after one step with --lr {lr:g}, {reason}: try a smaller --lr") from None

    return replace(calc, descent=steps.descend(calc, x, lr, loss_after_the_step))


def loss_with_gradient(
    loss: Callable[..., steps.Calculation],
    gradient: Callable[..., steps.Gradient],
    x: np.ndarray,
    options: dict[str, Any],
    grad: bool,
    lr: float | None,
) -> steps.Calculation:
    """The loss on `x`, and with `grad` its gradient (and with `lr` one descent step)."""
    calc = run_step(loss, x, **options)
    return with_gradient(calc, x, lr, gradient, loss, options) if grad else calc


def diagnosed(calc: steps.Calculation, batch: Batch) -> steps.Calculation:
    """Where each NaN and infinity first appeared, and why, as notes after the step functions' own."""
    found = diagnose(calc, batch.example_names(), batch.class_names())
    if any(note.id in ("nan_input", "inf_input") for note in found):
        found += upstream_notes(batch.upstream)
    return replace(calc, notes=calc.notes + found) if found else calc


def checked(
    enabled: bool, calc: steps.Calculation, batch: Batch, targets: np.ndarray | None = None, **options: object
) -> steps.Calculation:
    """The diagnosis of any NaN or infinity, and with --check the same call through torch.nn.functional.

    First, what PyTorch refuses about the input's dtype or shape for this call (bool logits, 0-d class losses).
    """
    refuse_what_pytorch_refuses(batch, calc.command)
    calc = diagnosed(calc, batch)
    if not enabled:
        return calc
    from logitcli.model.check import absolute_tolerance, check

    torch_targets = None if targets is None else batch.shaped(targets)
    found = check(calc, batch.original(), torch_targets, result=batch.shaped(calc.result), **options)
    if found is None:
        from logitcli.model.deps import INSTALL_HINT

        raise RunError(f"--check needs torch: {INSTALL_HINT}")
    record = _check_record(found)
    if calc.grad is not None:
        from logitcli.model.check import check_gradient

        grad = check_gradient(
            calc,
            batch.original(),
            torch_targets,
            grad=batch.shaped(calc.grad),
            atol=absolute_tolerance(calc),
            **options,
        )
        assert grad is not None  # torch imported fine just above
        record["grad"] = _check_record(grad)
    return replace(calc, details={**calc.details, "torch_check": record})


def _check_record(found: TorchCheck) -> dict[str, Any]:
    """A comparison as `torch_check` in JSON (torch ran, so `describe`'s "torch" flag says nothing)."""
    from logitcli.model.check import describe

    return {key: value for key, value in describe(found, found.function).items() if key != "torch"}


def broadcast_weight(weight: np.ndarray | None, batch: Batch, option: str) -> np.ndarray | None:
    """A weight broadcast to the input's own shape, as PyTorch broadcasts it (and refuses what it refuses)."""
    if weight is None:
        return None
    try:
        return steps.broadcast_like(weight, batch.layout.shape, option)
    except ValueError as error:
        raise InputError(str(error)) from None


def as_rows(full: np.ndarray | None, batch: Batch) -> np.ndarray | None:
    """An array of the input's shape laid out as the Batch's 2-D rows."""
    return None if full is None else batch.layout.rows(full)
