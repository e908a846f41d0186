"""The sample files that ship inside the package, named `sample:NAME` so that examples run from any folder.

`logitcli logits sample:chelsea.png`, `logitcli softmax --file sample:bear_logits.json`, and `sample:` alone
for the folder of sample images (`logitcli xent sample: --targets sample:labels.csv`). The name stands for the
file's real path, wherever pip put the package; a real file or folder of that name in the current folder wins,
so the prefix never hides a user's own file. `logitcli/samples/SOURCES.md` says where each file comes from.
"""

from __future__ import annotations

import os
from pathlib import Path

from logitcli.errors import InputError, shown

PREFIX = "sample:"


def folder() -> Path:
    """Where the samples are installed: beside this package's modules."""
    return Path(__file__).resolve().parent.parent / "samples"


def names() -> list[str]:
    """The sample files a `sample:` name can name."""
    return sorted(path.name for path in folder().iterdir() if path.is_file() and path.suffix not in (".md", ".py"))


def resolve(text: str) -> str:
    """The path a `sample:NAME` stands for; any other text unchanged."""
    if not text.startswith(PREFIX) or os.path.exists(text):
        return text
    name = text[len(PREFIX) :]
    if name in ("", "/", "."):
        return str(folder())
    if name in names():
        return str(folder() / name)
    raise InputError(
        f"there is no sample {shown(name)}: the samples are {', '.join(names())} (and `sample:` is their folder)"
    )
