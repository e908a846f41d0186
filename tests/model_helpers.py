"""Shared by the tests/test_model_*.py files: one bundled model per test session, tiny checkpoints.

A plain module with cached functions (not conftest.py, which belongs to the CLI tests), so the
bundled EfficientNet-Lite0 is built once however many model tests run.
"""

from __future__ import annotations

import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
TINY_MODEL = "resnet10t"  # ~5 M parameters, builds in well under a second


@functools.cache
def bundled():
    """The default model with its bundled weights (LoadedModel), built once."""
    from logitcli.model import ModelOptions, load_model

    return load_model(ModelOptions())


@functools.cache
def tiny_state(num_classes: int = 3) -> dict:
    """A seeded `resnet10t` state dict with a `num_classes` head, to write as a checkpoint."""
    import timm
    import torch

    torch.manual_seed(0)
    model = timm.create_model(TINY_MODEL, pretrained=False, num_classes=num_classes)
    return {k: v.clone() for k, v in model.state_dict().items()}
