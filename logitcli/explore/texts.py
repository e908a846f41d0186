"""The explorer's words in each language (texts/en.toml, texts/ja.toml), read once per language."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from typing import Any

from logitcli.output.lang import LANGS


@cache
def load_texts(lang: str) -> dict[str, dict[str, Any]]:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    return tomllib.loads(files("logitcli.explore").joinpath("texts", f"{lang}.toml").read_text(encoding="utf-8"))
