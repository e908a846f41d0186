"""What the model code needs to know from the command line, in one plain object.

The CLI builds a `ModelOptions` from its flags; nothing here imports torch, so building one is free.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MODEL = "efficientnet_lite0"
WEIGHT_KEYWORDS = ("auto", "bundled", "hub", "random")
DEVICES = ("auto", "cpu", "cuda", "mps")


@dataclass
class ModelOptions:
    """Every model-side choice; `None` means "pick a sensible default for this machine and file".

    `classes` is a list of names (the CLI splits `--classes a,b,c`); `threads` is torch's
    intra-op thread count and `workers` the image-decoding threads beside it.
    """

    model: str = DEFAULT_MODEL
    weights: str = "auto"
    num_classes: int | None = None
    classes: list[str] | None = None
    classes_file: str | None = None
    device: str = "auto"
    batch_size: int | None = None
    threads: int | None = None
    workers: int | None = None
    seed: int | None = None
