"""Check a `Calculation` against PyTorch, when PyTorch is installed.

logitcli promises the same numbers as `torch.nn.functional` for the same call; this module is how the tour
(and the number commands' `--check`) shows it. torch is imported inside `check` only, so number commands
stay fast and a machine without torch simply gets `None`. `check_gradient` does the same for `--grad`: it runs
torch.autograd back through the same call and compares the gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from logitcli.steps import DEFAULT_IGNORE_INDEX, Calculation

#: The PyTorch function each step function mirrors, named as the article calls it.
FUNCTIONS: dict[str, str] = {
    "sigmoid": "torch.sigmoid",
    "softmax": "torch.softmax",
    "nll": "torch.nn.functional.nll_loss",
    "xent": "torch.nn.functional.cross_entropy",
    "bce": "torch.nn.functional.binary_cross_entropy_with_logits",
}

#: Differences at or below this count as equal (float64 results may differ in the last bits).
TOLERANCE = 1e-12


@dataclass(frozen=True)
class TorchCheck:
    """How far logitcli's result is from PyTorch's (float64, same call, same options)."""

    function: str
    max_abs_diff: float
    same_non_finite: bool = True

    @property
    def matches(self) -> bool:
        return self.same_non_finite and self.max_abs_diff <= TOLERANCE


def function_name(calc: Calculation) -> str:
    """The PyTorch function `check` would compare with; known without importing torch."""
    return FUNCTIONS[calc.command]


def torch_available() -> bool:
    """True when `import torch` works (a cached import after the first time)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def check(
    calc: Calculation,
    values: np.ndarray,
    targets: np.ndarray | None = None,
    **options: Any,
) -> TorchCheck | None:
    """Run the PyTorch function for `calc.command` on `values` and compare with `calc.result`.

    `values` is what the step function was given (logits, or log-probabilities for nll); `targets` as for
    the step function. `options` are the step function's own keywords (temperature, weight, pos_weight,
    ignore_index, reduction, label_smoothing); missing ones default to what `calc.details` recorded.
    Returns None when torch is not installed.
    """
    try:
        import torch
    except ImportError:
        return None
    settings = {**calc.details, **options}
    expected = _torch_result(torch, calc.command, values, targets, settings)
    return compare(function_name(calc), np.asarray(calc.result, dtype=np.float64), expected)


def compare(function: str, ours: np.ndarray, theirs: np.ndarray) -> TorchCheck:
    """Max |ours - theirs| over finite entries; nan, inf and -inf must sit in the same places."""
    ours, theirs = np.broadcast_arrays(np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64))
    finite = np.isfinite(ours) & np.isfinite(theirs)
    same = bool(
        (np.isfinite(ours) == np.isfinite(theirs)).all()
        and (np.isnan(ours) == np.isnan(theirs)).all()
        and (ours[np.isinf(ours)] == theirs[np.isinf(ours)]).all()
    )
    diff = float(np.abs(ours[finite] - theirs[finite]).max()) if finite.any() else 0.0
    return TorchCheck(function, diff, same)


def _torch_result(torch: Any, command: str, values: np.ndarray, targets: np.ndarray | None, o: dict) -> np.ndarray:
    """The float64 PyTorch result for one command; kept apart so `check` reads as compare-only."""
    x = torch.from_numpy(np.asarray(values, dtype=np.float64).copy())
    return _torch_call(torch, command, x, targets, o).detach().numpy()


def _torch_call(torch: Any, command: str, x: Any, targets: np.ndarray | None, o: dict) -> Any:
    """The PyTorch call for one command on the tensor `x`, as a tensor (so autograd can run back through it)."""
    functional = torch.nn.functional
    if command == "sigmoid":
        out = torch.sigmoid(x)
    elif command == "softmax":
        out = torch.softmax(x / float(o.get("temperature", 1.0)), dim=1)
    elif command in ("nll", "xent"):
        t = _tensor(torch, targets)
        t = t.long() if t.ndim == 1 else t
        common = {
            "weight": _tensor(torch, o.get("weight")),
            "reduction": o.get("reduction", "mean"),
        }
        if command == "nll":
            out = functional.nll_loss(x, t, ignore_index=int(o.get("ignore_index", DEFAULT_IGNORE_INDEX)), **common)
        else:
            extra = {} if t.ndim == 2 else {"ignore_index": int(o.get("ignore_index", DEFAULT_IGNORE_INDEX))}
            smoothing = float(o.get("label_smoothing", 0.0))
            out = functional.cross_entropy(x, t, label_smoothing=smoothing, **extra, **common)
    elif command == "bce":
        out = functional.binary_cross_entropy_with_logits(
            x,
            _tensor(torch, targets),
            weight=_tensor(torch, o.get("weight")),
            pos_weight=_tensor(torch, o.get("pos_weight")),
            reduction=o.get("reduction", "mean"),
        )
    else:
        raise ValueError(f"no PyTorch counterpart for {command!r}")
    return out


def _tensor(torch: Any, values: Any) -> Any:
    """numpy (or None) -> float64 tensor (or None); class indices are cast by the caller."""
    if values is None:
        return None
    return torch.from_numpy(np.array(values, dtype=np.float64))


def describe(result: TorchCheck | None, function: str) -> dict[str, Any]:
    """The check as JSON-ready data: what was compared, and how it went (or that torch is missing)."""
    if result is None:
        return {"function": function, "torch": False}
    return {
        "function": result.function,
        "torch": True,
        "matches": result.matches,
        "max_abs_diff": result.max_abs_diff,
        "same_non_finite": result.same_non_finite,
    }


def gradient_function_name(calc: Calculation) -> str:
    """What `check_gradient` compares with, e.g. torch.autograd.grad(torch.nn.functional.cross_entropy)."""
    return f"torch.autograd.grad({function_name(calc)})"


def check_gradient(
    calc: Calculation,
    values: np.ndarray,
    targets: np.ndarray | None = None,
    **options: Any,
) -> TorchCheck | None:
    """Compare `calc.grad` with what torch.autograd gives for the same call, in float64.

    As `loss.backward(torch.ones_like(loss))`: for reduction "none", the gradient of the summed losses.
    Arguments as for `check`; None when torch is not installed.
    """
    if calc.grad is None:
        raise ValueError(f"{calc.command} was computed without its gradient")
    try:
        import torch
    except ImportError:
        return None
    settings = {**calc.details, **options}
    x = torch.from_numpy(np.asarray(values, dtype=np.float64).copy()).requires_grad_(True)
    out = _torch_call(torch, calc.command, x, targets, settings)
    out.backward(torch.ones_like(out))
    return compare(gradient_function_name(calc), calc.grad, x.grad.numpy())
