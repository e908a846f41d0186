"""Importing torch and timm: once, late, with the hub configured to fail fast.

huggingface_hub reads its timeouts from the environment when it is first imported (timm imports
it), so the bounds are set just before. `setdefault` keeps whatever the user chose.
"""

from __future__ import annotations

import os
from types import ModuleType

from logitcli import __version__
from logitcli.errors import RunError

#: How to install the models extra, for a checkout and for a wheel (logitcli is not on PyPI under that name).
INSTALL_HINT = (
    "install the models extra: pip install -e '.[models]' in a logitcli checkout, or "
    f"pip install './logitcli-{__version__}-py3-none-any.whl[models]' from a wheel "
    "(the README says how to take the CPU-only torch)"
)

# Seconds. Without bounds a dead network costs ~46 s of retries (measured) before the error.
_HUB_ENV = {
    "HF_HUB_ETAG_TIMEOUT": "5",
    "HF_HUB_DOWNLOAD_TIMEOUT": "30",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}


def configure_hub_env() -> None:
    """Bound the hub's timeouts unless the user set them; harmless if the hub is never used."""
    for key, value in _HUB_ENV.items():
        os.environ.setdefault(key, value)


def configure_openmp_env() -> None:
    """Shorten how long torch's idle OpenMP threads spin (libgomp reads this when torch loads).

    With more than one torch thread (`--threads 2`), idle OpenMP threads keep spinning after a
    forward pass and take cores from image decoding; 100,000 spins still cover the gaps between
    ops inside one pass. Measured on 2 cores with an earlier decode-then-run pipeline: decoding
    dropped from ~4.3 to ~3.5 ms per image, the forward pass unchanged. The default lanes run one
    torch thread each, where it matters little. No effect once torch is imported.
    """
    import sys

    if "torch" not in sys.modules:
        os.environ.setdefault("GOMP_SPINCOUNT", "100000")


def torch_and_timm() -> tuple[ModuleType, ModuleType]:
    """Import torch and timm, or say in one line how to install them."""
    configure_hub_env()
    configure_openmp_env()
    try:
        import timm
        import torch
    except ImportError as error:
        missing = error.name or "torch/timm"
        raise RunError(f"running a model needs {missing}, which is not installed: {INSTALL_HINT}") from None
    return torch, timm


def is_installed() -> bool:
    """True when the models extra looks importable, without importing it (cheap)."""
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in ("torch", "timm", "PIL"))
