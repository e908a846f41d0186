"""What the model code needs to know from the command line, in one plain object.

The CLI builds a `ModelOptions` from its flags; nothing here imports torch, so building one is free.
"""

from __future__ import annotations

from dataclasses import dataclass

from logitcli.errors import InputError, shown

DEFAULT_MODEL = "efficientnet_lite0"
WEIGHT_KEYWORDS = ("auto", "bundled", "hub", "random")
DEVICES = ("auto", "cpu", "cuda", "mps")
#: Far above any real head (ImageNet-22k has 21,843 classes); 10^8 would need ~500 GB for the head alone.
MAX_NUM_CLASSES = 100_000
#: torch.manual_seed takes a 64-bit seed (negative ones down to -2^63).
SEED_RANGE = (-(2**63), 2**64 - 1)
MAX_THREADS = 256


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

    def __post_init__(self) -> None:
        """Numbers torch cannot take (a 100-digit seed, 10^8 classes) are refused before torch loads."""
        if self.num_classes is not None and not 1 <= self.num_classes <= MAX_NUM_CLASSES:
            raise InputError(
                f"--num-classes {shown(self.num_classes)} is out of range: a head has 1 to {MAX_NUM_CLASSES:,} classes"
            )
        if self.seed is not None and not SEED_RANGE[0] <= self.seed <= SEED_RANGE[1]:
            raise InputError(f"--seed {shown(self.seed)} does not fit in 64 bits: use a number such as 0 or 42")
        if self.threads is not None and not 1 <= self.threads <= MAX_THREADS:
            raise InputError(f"--threads {shown(self.threads)} is out of range: use 1 to {MAX_THREADS}")
        if self.batch_size is not None and self.batch_size < 1:
            raise InputError(f"--batch-size {shown(self.batch_size)} must be at least 1")
