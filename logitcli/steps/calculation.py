"""What every step function returns: ordered `Step`s, notes with stable ids, and the result.

Also the rules the losses share: PyTorch's reductions, and the checks on class targets and weights
that PyTorch would raise on (as ValueError with a sentence a person can act on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Reduction = Literal["none", "mean", "sum"]
REDUCTIONS: tuple[str, ...] = ("none", "mean", "sum")
DEFAULT_IGNORE_INDEX = -100


@dataclass(frozen=True)
class Step:
    """One intermediate value: a stable `name` for JSON, a `title` for a table header, the values.

    `probability` values get a bar in tables; `secondary` marks a form shown beside the one the result uses
    (the article's naive exp and sum, a trivial -x), which a narrow table may leave out first.
    """

    name: str
    title: str
    values: np.ndarray
    formula: str = ""
    probability: bool = False
    secondary: bool = False

    @property
    def per(self) -> Literal["class", "example", "batch"]:
        return ("batch", "example", "class")[min(self.values.ndim, 2)]


class Note(str):
    """A note's English text, with a stable `id` so the tour can say it in another language.

    `args` are the values the text was filled with (a step, an example, a class, a number), so a
    translation with the same {placeholders} can be filled with the same values.
    """

    id: str
    args: dict[str, Any]

    def __new__(cls, note_id: str, text: str, args: dict[str, Any] | None = None) -> Note:
        note = super().__new__(cls, text)
        note.id = note_id
        note.args = dict(args or {})
        return note


@dataclass(frozen=True)
class Descent:
    """One step of gradient descent on the input, x - lr · ∂L/∂x, and the loss before and after it."""

    lr: float
    before: np.ndarray
    grad: np.ndarray
    after: np.ndarray
    loss_before: np.ndarray | float
    loss_after: np.ndarray | float
    reduction: str = "mean"
    input_is: str = "the logits"


@dataclass(frozen=True)
class Calculation:
    """The ordered steps of one command and its result (shaped like PyTorch's return value).

    With `--grad`, `grad` holds ∂L/∂input shaped like the input (N, C) and `descent` one step of
    gradient descent with it (`Descent` above; built by `steps.gradient`); both stay None otherwise.
    """

    command: str
    steps: tuple[Step, ...]
    result: np.ndarray | float
    notes: tuple[Note, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    grad: np.ndarray | None = None
    descent: Descent | None = None

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def ignored(self) -> np.ndarray:
        """Which examples the loss leaves out (target == ignore_index); empty without class-index targets."""
        ignore = self.details.get("ignore_index")
        targets = next((s.values for s in self.steps if s.name == "target" and s.per == "example"), None)
        if targets is None or ignore is None:
            return np.zeros(0, dtype=bool)
        return targets == int(ignore)


def quiet() -> Any:
    """Overflow to inf and 0 * inf are the lessons here, not warnings."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")


def check_class_targets(targets: np.ndarray, n_examples: int, n_classes: int, ignore_index: int) -> None:
    """PyTorch raises on these; we raise ValueError with a sentence a person can act on."""
    if targets.dtype.kind == "f" and not np.all(targets == np.round(targets)):
        raise ValueError("class targets must be whole class indices (or give class probabilities, one per class)")
    if targets.shape != (n_examples,):
        raise ValueError(f"got {targets.size} target(s) for {n_examples} example(s): give one class index per example")
    bad = (targets != ignore_index) & ((targets < 0) | (targets >= n_classes))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"target {int(targets[first])} (example {first}) is out of range: "
            f"class indices run from 0 to {n_classes - 1}"
            + (f" (or {ignore_index} to ignore an example)" if ignore_index < 0 else "")
        )


def check_class_weight(weight: np.ndarray | None, n_classes: int) -> None:
    if weight is not None and np.shape(weight) != (n_classes,):
        raise ValueError(
            f"--weight has {np.size(weight)} value(s) but there are {n_classes} classes: give one per class"
        )


def class_arguments(
    values: np.ndarray, targets: np.ndarray, weight: np.ndarray | None, reduction: str
) -> tuple[np.ndarray, np.ndarray]:
    """The (N, C) input as float64 and the targets as an array, with the checks every class loss makes first
    (its gradient too): a known reduction, one weight per class."""
    x = np.asarray(values, dtype=np.float64)
    check_reduction(reduction)
    check_class_weight(weight, x.shape[1])
    return x, np.asarray(targets)


def broadcast_like(values: np.ndarray, shape: tuple[int, ...], option: str) -> np.ndarray:
    """`values` broadcast to `shape` as PyTorch broadcasts a weight onto the loss, which it multiplies in place.

    So the weight may repeat along any axis (a scalar, one per class, (N, 1)) but never make the result bigger:
    PyTorch refuses both a shape that does not broadcast and one that broadcasts to a bigger shape.
    """
    values = np.asarray(values, dtype=np.float64)
    try:
        full = np.broadcast_shapes(values.shape, shape)
    except ValueError:
        raise ValueError(
            f"{option} has shape {shape_text(values.shape)}, which does not broadcast against the logits' shape "
            f"{shape_text(shape)} (PyTorch refuses it: sizes differ at a dimension where neither is 1); give a scalar, "
            f"one value per class ({shape[-1] if shape else 1}), or the logits' shape"
        ) from None
    if full != tuple(shape):
        raise ValueError(
            f"{option} has shape {shape_text(values.shape)}, which broadcasts to {shape_text(full)}, bigger than the "
            f"logits' shape {shape_text(shape)} (PyTorch refuses it: the loss cannot grow to the weight's shape)"
        )
    return np.broadcast_to(values, shape)


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as PyTorch and Python print it: (2, 3), (3,), ()."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def reduce_loss(
    per_example: np.ndarray, reduction: str, denominator: float, total: float | None = None
) -> tuple[np.ndarray | float, Step | None]:
    """Apply PyTorch's reduction; the mean divides by `denominator` (PyTorch's, not always N).

    `total` is the sum when the caller added in PyTorch's order (see steps.summation); else numpy's sum.
    """
    if reduction == "none":
        return per_example, None
    with quiet():  # inf + (-inf) = nan and an overflowing sum are answers here, not warnings
        total = float(per_example.sum()) if total is None else total
    if reduction == "sum":
        return total, Step("sum", "sum", np.float64(total), "Σ loss")
    with quiet():
        mean = float(np.float64(total) / np.float64(denominator))
    return mean, Step("mean", "mean", np.float64(mean), f"Σ loss / {denominator:g}")


def check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}: use one of none, mean, sum")
