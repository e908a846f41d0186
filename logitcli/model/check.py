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

#: Equal within float64 rounding: |ours - theirs| <= ATOL_PER_UNIT · scale + RTOL · |theirs|, entry by entry.
#: Rounding errors scale with the numbers a result is computed from, not with the result (a loss of 1e-3 from
#: terms of 1e6 carries errors of 1e-10), so the absolute part scales with the calculation's largest |value|.
RTOL = 1e-9
ATOL_PER_UNIT = 1e-12


@dataclass(frozen=True)
class TorchCheck:
    """How far logitcli's result is from PyTorch's (float64, same call, same options), and the tolerances used.

    NaN matches NaN, an infinity matches the same infinity; the shapes must be PyTorch's too.
    """

    function: str
    max_abs_diff: float
    same_non_finite: bool = True
    max_rel_diff: float = 0.0
    rtol: float = RTOL
    atol: float = ATOL_PER_UNIT
    within_tolerance: bool = True
    shape: tuple[int, ...] = ()
    torch_shape: tuple[int, ...] = ()

    @property
    def same_shape(self) -> bool:
        return self.shape == self.torch_shape

    @property
    def matches(self) -> bool:
        return self.same_shape and self.same_non_finite and self.within_tolerance


def function_name(calc: Calculation) -> str:
    """The PyTorch function `check` would compare with; known without importing torch."""
    if calc.command == "bce" and calc.details.get("input") == "probabilities":
        return "torch.nn.functional.binary_cross_entropy"
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
    result: np.ndarray | float | None = None,
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
    ours = calc.result if result is None else result
    return compare(function_name(calc), np.asarray(ours, dtype=np.float64), expected, atol=absolute_tolerance(calc))


#: The article's naive forms, shown beside the stable ones: the result is not computed from them.
NAIVE_STEPS = {"exp", "sum_exp", "neg_x", "exp_neg_x", "one_plus_exp_neg_x"}


def absolute_tolerance(calc: Calculation) -> float:
    """ATOL_PER_UNIT times the largest finite |value| the result is computed from (at least 1)."""
    scale = 1.0
    for step in calc.steps:
        if step.name in NAIVE_STEPS:
            continue
        values = np.abs(np.asarray(step.values, dtype=np.float64))
        finite = values[np.isfinite(values)]
        if finite.size:
            scale = max(scale, float(finite.max()))
    return ATOL_PER_UNIT * scale


def compare(
    function: str, ours: np.ndarray, theirs: np.ndarray, rtol: float = RTOL, atol: float = ATOL_PER_UNIT
) -> TorchCheck:
    """Entry by entry: |ours - theirs| <= atol + rtol · |theirs|; nan, inf and -inf must sit in the same places."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    shape, torch_shape = tuple(ours.shape), tuple(theirs.shape)
    if shape != torch_shape:
        if ours.size != theirs.size:
            return TorchCheck(function, np.inf, False, np.inf, rtol, atol, False, shape, torch_shape)
        ours = ours.reshape(torch_shape)
    same = bool(
        (np.isnan(ours) == np.isnan(theirs)).all()
        and (np.isinf(ours) == np.isinf(theirs)).all()
        and (ours[np.isinf(ours)] == theirs[np.isinf(ours)]).all()
    )
    finite = np.isfinite(ours) & np.isfinite(theirs)
    diff = np.abs(ours[finite] - theirs[finite])
    size = np.abs(theirs[finite])
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(size > 0, diff / size, np.where(diff > 0, np.inf, 0.0))
    max_abs = float(diff.max()) if diff.size else 0.0
    max_rel = float(relative.max()) if relative.size else 0.0
    within = bool((diff <= atol + rtol * size).all())
    return TorchCheck(function, max_abs, same, max_rel, rtol, atol, within, shape, torch_shape)


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
        out = torch.softmax(x / float(o.get("temperature", 1.0)), dim=1 if x.ndim > 1 else 0)
    elif command in ("nll", "xent"):
        t = _tensor(torch, targets)
        soft = tuple(t.shape) == tuple(x.shape)  # PyTorch's own rule: the input's shape means probabilities
        t = t if soft else t.long()
        common = {
            "weight": _tensor(torch, o.get("weight")),
            "reduction": o.get("reduction", "mean"),
        }
        if command == "nll":
            out = functional.nll_loss(x, t, ignore_index=int(o.get("ignore_index", DEFAULT_IGNORE_INDEX)), **common)
        else:
            extra = {"ignore_index": int(o.get("ignore_index", DEFAULT_IGNORE_INDEX))}
            smoothing = float(o.get("label_smoothing", 0.0))
            out = functional.cross_entropy(x, t, label_smoothing=smoothing, **extra, **common)
    elif command == "bce" and o.get("input") == "probabilities":
        out = functional.binary_cross_entropy(
            x, _tensor(torch, targets), weight=_tensor(torch, o.get("weight")), reduction=o.get("reduction", "mean")
        )
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
    """The check as JSON-ready data: what was compared, the tolerances, how it went (or that torch is missing)."""
    if result is None:
        return {"function": function, "torch": False}
    return {
        "function": result.function,
        "torch": True,
        "matches": result.matches,
        "rtol": result.rtol,
        "atol": result.atol,
        "max_abs_diff": result.max_abs_diff,
        "max_rel_diff": result.max_rel_diff,
        "same_non_finite": result.same_non_finite,
        "shape": list(result.shape),
        "torch_shape": list(result.torch_shape),
    }


def gradient_function_name(calc: Calculation) -> str:
    """What `check_gradient` compares with, e.g. torch.autograd.grad(torch.nn.functional.cross_entropy)."""
    return f"torch.autograd.grad({function_name(calc)})"


def check_gradient(
    calc: Calculation,
    values: np.ndarray,
    targets: np.ndarray | None = None,
    grad: np.ndarray | None = None,
    atol: float = ATOL_PER_UNIT,
    **options: Any,
) -> TorchCheck | None:
    """Compare `calc.grad` (or `grad`, the same values in the input's shape) with what torch.autograd gives
    for the same call, in float64, within `check`'s tolerances.

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
    ours = calc.grad if grad is None else grad
    return compare(gradient_function_name(calc), np.asarray(ours, dtype=np.float64), x.grad.numpy(), atol=atol)
