"""Batch: what every input form becomes before any step runs.

The step functions are 2-D (one row per example, one column per class). An input of any other shape, as
PyTorch takes it ((C,) for one example, (N, C, d1, ..., dk) for segmentation), meets them here: its `Layout`
moves the class axis last and flattens every other axis into rows, each row remembering its position, and
shapes the results back as PyTorch returns them. One reshape in, one out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Layout:
    """The input's shape as PyTorch sees it, and which axis holds the classes.

    (N, C) has class axis 1 and rows N; (C,) class axis 0 and one row; (N, C, d1, ..., dk) class axis 1 and
    rows N·d1·…·dk in C order, so row r is position `position(r)` = (n, i1, ..., ik). bce takes the last axis
    as its class axis (that is where PyTorch broadcasts pos_weight), so it lays the same input out again.
    """

    shape: tuple[int, ...]
    class_axis: int = 1

    def __post_init__(self) -> None:
        if not self.shape:  # a 0-d input: one value, PyTorch's softmax over dim 0 of a 0-d tensor
            object.__setattr__(self, "class_axis", 0)
            return
        if not -len(self.shape) <= self.class_axis < len(self.shape):
            raise ValueError(f"class axis {self.class_axis} is outside shape {self.shape}")
        object.__setattr__(self, "class_axis", self.class_axis % len(self.shape))

    @classmethod
    def plain(cls, n_examples: int, n_classes: int, one_example: bool = False) -> Layout:
        return cls((n_classes,), 0) if one_example else cls((n_examples, n_classes), 1)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def n_classes(self) -> int:
        return self.shape[self.class_axis] if self.shape else 1

    @property
    def positions(self) -> tuple[int, ...]:
        """The shape without the class axis: PyTorch's shape of a per-example result (reduction "none")."""
        if not self.shape:
            return ()
        return self.shape[: self.class_axis] + self.shape[self.class_axis + 1 :]

    @property
    def n_rows(self) -> int:
        return math.prod(self.positions)

    @property
    def is_plain(self) -> bool:
        """(N, C) or (C,): rows are examples, nothing to name by position."""
        return self.ndim <= 1 or (self.ndim == 2 and self.class_axis == 1)

    def rows(self, array: np.ndarray) -> np.ndarray:
        """An array of this shape as 2-D rows: class axis last, every other axis flattened."""
        array = np.asarray(array)
        if not self.shape:
            return array.reshape(1, 1)
        return np.moveaxis(array.reshape(self.shape), self.class_axis, -1).reshape(self.n_rows, self.n_classes)

    def per_class(self, values: np.ndarray) -> np.ndarray:
        """2-D rows (one value per class) back to this shape, as PyTorch returns softmax or a loss with "none"."""
        if not self.shape:
            return np.asarray(values).reshape(())
        nd = np.asarray(values).reshape(*self.positions, self.n_classes)
        return np.moveaxis(nd, -1, self.class_axis)

    def per_position(self, values: np.ndarray) -> np.ndarray:
        """One value per row back to the positions' shape, as PyTorch returns cross_entropy with "none"."""
        return np.asarray(values).reshape(self.positions)

    def position(self, row: int) -> tuple[int, ...]:
        return tuple(int(i) for i in np.unravel_index(row, self.positions)) if self.positions else ()

    def with_class_axis(self, class_axis: int) -> Layout:
        return Layout(self.shape, class_axis) if self.shape else self


@dataclass(frozen=True)
class Batch:
    """A 2-D float64 array of values (one row per example or position) and what is known about it.

    `layout` is the shape the user gave and where its classes are, so results can be shaped as PyTorch
    would shape them for the same call; `one_example` says the input was 1-D. `inputs` names each row
    (image paths) when rows came from files; `classes` names the columns. `extra` carries what an upstream
    logitcli command said about the data (model name, weights) so it is not lost along a pipe; `upstream`
    keeps what it noted about NaN and infinities (`(command, note)` pairs), so a pipe can say where a nan began.
    """

    values: np.ndarray
    classes: list[str] | None = None
    inputs: list[str] | None = None
    one_example: bool = False
    extra: dict = field(default_factory=dict)
    upstream: tuple = ()
    layout: Layout = None  # type: ignore[assignment]  # set from the values (and one_example) when not given
    dtype: str = "float64"  # what a typed input (.npy) held: PyTorch refuses bool where it refuses it

    def __post_init__(self) -> None:
        if self.values.ndim != 2:
            raise ValueError(f"Batch.values must be 2-D, got shape {self.values.shape}")
        rows, classes = self.values.shape
        if self.layout is None:
            object.__setattr__(self, "layout", Layout.plain(rows, classes, self.one_example))
        layout = self.layout
        if (layout.n_rows, layout.n_classes) != (rows, classes):
            raise ValueError(f"layout {layout.shape} does not match values of shape {self.values.shape}")
        object.__setattr__(self, "one_example", layout.ndim == 1)

    @classmethod
    def from_array(cls, array: np.ndarray, class_axis: int = 1, **known: object) -> Batch:
        """Any array as PyTorch takes it: (C,) is one example, else classes on `class_axis` (1 by default)."""
        array = np.asarray(array, dtype=np.float64)
        if array.ndim == 0:
            return cls(array.reshape(1, 1), layout=Layout(()), **known)  # type: ignore[arg-type]
        if array.ndim == 1:
            return cls(array[None, :], one_example=True, **known)  # type: ignore[arg-type]
        layout = Layout(array.shape, class_axis)
        return cls(layout.rows(array), layout=layout, **known)  # type: ignore[arg-type]

    @property
    def n_examples(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_classes(self) -> int:
        return int(self.values.shape[1])

    def original(self) -> np.ndarray:
        """The values in the shape the user gave them (PyTorch's input)."""
        return self.layout.per_class(self.values)

    def with_class_axis(self, class_axis: int) -> Batch:
        """The same input with its classes on another axis (bce: the last); class names stay if the axis does."""
        layout = self.layout.with_class_axis(class_axis)
        if layout == self.layout:
            return self
        classes = self.classes if layout.n_classes == self.n_classes and layout.class_axis == 1 else None
        return Batch(
            layout.rows(self.original()),
            classes=classes,
            inputs=self.inputs if layout.n_rows == self.n_examples else None,
            extra=self.extra,
            upstream=self.upstream,
            layout=layout,
            dtype=self.dtype,
        )

    def shaped(self, values: np.ndarray | float) -> np.ndarray | float:
        """A step's values or a result in PyTorch's shape: per class, per position, or a scalar as it is."""
        if not isinstance(values, np.ndarray) or values.ndim == 0:
            return values
        if values.ndim == 2:
            return self.layout.per_class(values)
        return self.layout.per_position(values)

    def class_names(self) -> list[str]:
        """Column names to show: the known class names, else `class 0 .. N-1` as PyTorch indexes them."""
        if self.classes is not None:
            return list(self.classes)
        return [f"class {i}" for i in range(self.n_classes)]

    def example_names(self) -> list[str]:
        """Row names to show: the input paths, else `#0 .. #N-1`, with the position for K-dim inputs: `#0 @ (1, 2)`."""
        if self.inputs is not None:
            return list(self.inputs)
        layout = self.layout
        if layout.is_plain:
            return [f"#{i}" for i in range(self.n_examples)]
        names = []
        for row in range(self.n_examples):
            first, *rest = layout.position(row)
            names.append(f"#{first} @ ({', '.join(str(i) for i in rest)})" if rest else f"#{first}")
        return names
