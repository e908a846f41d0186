"""Model names: check them against timm's registry, suggest near misses, list by pattern."""

from __future__ import annotations

import difflib
from typing import Any

from logitcli.errors import InputError, shown
from logitcli.model.deps import torch_and_timm

# Models whose ImageNet weights ship in a Python package, so they work offline.
BUNDLED_MODELS = ("efficientnet_lite0",)


def architecture(name: str) -> str:
    """`resnet18.a1_in1k` -> `resnet18`: timm accepts a pretrained tag after the dot."""
    return name.split(".", 1)[0]


def suggestions(name: str, limit: int = 3) -> list[str]:
    """The registered names closest to `name` (difflib on ~1,400 strings: a few milliseconds)."""
    _, timm = torch_and_timm()
    return difflib.get_close_matches(architecture(name), timm.list_models(), n=limit, cutoff=0.6)


def check_model_name(name: str) -> None:
    """Raise InputError for a name timm does not know, with the nearest names as suggestions."""
    _, timm = torch_and_timm()
    if timm.is_model(architecture(name)):
        check_pretrained_tag(timm, name)
        return
    near = suggestions(name)
    hint = f"did you mean {', '.join(near)}?" if near else "`logitcli models PATTERN` lists timm's models"
    raise InputError(f"unknown model {name!r}: {hint}")


def check_pretrained_tag(timm: Any, name: str) -> None:
    """`resnet18.a1_in1k` names a tag timm knows; an unknown tag is one line listing the known ones."""
    if "." not in name:
        return
    arch, tag = name.split(".", 1)
    known = timm.list_pretrained(f"{arch}.*")
    if name in known:
        return
    listed = ", ".join(known[:6]) + (" …" if len(known) > 6 else "")
    hint = f"its tags are {listed}" if known else f"{arch} has no pretrained tags: use --model {arch}"
    raise InputError(f"unknown pretrained tag {shown(tag)} for {arch}: {hint}")


def list_models(pattern: str | None = None) -> list[tuple[str, bool]]:
    """timm's model names matching a wildcard pattern, each with whether it has bundled weights.

    A pattern without wildcards matches anywhere in the name (`resnet` finds `seresnet50`).
    """
    _, timm = torch_and_timm()
    if pattern and not any(ch in pattern for ch in "*?["):
        pattern = f"*{pattern}*"
    names = timm.list_models(pattern or "*")
    return [(name, name in BUNDLED_MODELS) for name in names]
