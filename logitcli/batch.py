"""Batch: what every input form becomes before any step runs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Batch:
    """A 2-D float64 array of values (one row per example) and what is known about it.

    `one_example` remembers that the user gave a 1-D input, so results can be shaped as PyTorch
    would shape them for the same call. `inputs` names each row (image paths) when rows came
    from files; `classes` names the columns. `extra` carries what an upstream logitcli command
    said about the data (model name, weights) so it is not lost along a pipe; `upstream` keeps
    what it noted about NaN and infinities (`(command, note)` pairs), so a pipe can say where a nan began.
    """

    values: np.ndarray
    classes: list[str] | None = None
    inputs: list[str] | None = None
    one_example: bool = False
    extra: dict = field(default_factory=dict)
    upstream: tuple = ()

    def __post_init__(self) -> None:
        if self.values.ndim != 2:
            raise ValueError(f"Batch.values must be 2-D, got shape {self.values.shape}")

    @property
    def n_examples(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_classes(self) -> int:
        return int(self.values.shape[1])

    def class_names(self) -> list[str]:
        """Column names to show: the known class names, else `class 0 .. N-1` as PyTorch indexes them."""
        if self.classes is not None:
            return list(self.classes)
        return [f"class {i}" for i in range(self.n_classes)]

    def example_names(self) -> list[str]:
        """Row names to show: the input paths, else `#0 .. #N-1`."""
        if self.inputs is not None:
            return list(self.inputs)
        return [f"#{i}" for i in range(self.n_examples)]
