"""The language every command speaks: `--lang en|ja`, else the locale, and the words of each language.

`texts/<lang>.toml` holds what a command says besides numbers: [table] (the tables' words, over
`render.LABELS`, which is the English), [notes] (a step's note by its id, filled with the note's own values),
[errors] (an error's advice: an English message, matched whole, and its translation). JSON keys and note ids
stay English; the tour (`logitcli explain`) reads the same table for its tables and notes. Read only when a
command prints text in a language other than English, so JSON output never parses a TOML file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from logitcli.errors import InputError

LANGS: tuple[str, ...] = ("en", "ja")


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """The first set of LANGUAGE, LC_ALL, LC_MESSAGES, LANG decides, as Python's gettext reads them.

    LANGUAGE may list several languages (`fr:ja`): the first one logitcli speaks wins. `ja...` gives ja,
    anything else en.
    """
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if not value:
            continue
        for entry in value.split(":"):
            code = entry.split("_", 1)[0].split(".", 1)[0].lower()
            if code in LANGS:
                return code
        return "en"
    return "en"


def check_lang(lang: str | None) -> str:
    """`--lang` as given (checked), else the locale's language."""
    if lang is None:
        return default_lang()
    code = lang.strip().lower()
    if code not in LANGS:
        raise InputError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    return code


@cache
def texts(lang: str) -> dict[str, dict[str, Any]]:
    """The commands' words in one language, from the package's output/texts/<lang>.toml."""
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    import tomllib  # only when a text is needed: start-up stays lean
    from importlib import resources

    with resources.files("logitcli.output").joinpath("texts", f"{lang}.toml").open("rb") as handle:
        return tomllib.load(handle)


def labels(lang: str) -> dict[str, str]:
    """The tables' words in `lang` (English: none, `render.LABELS` already is English)."""
    return dict(texts(lang).get("table", {})) if lang != "en" else {}


def say_note(note: str, lang: str, words: Mapping[str, str] | None = None) -> str:
    """A note in `lang`, filled with the values of its English text; English phrases among them translated."""
    said = texts(lang).get("notes", {}).get(getattr(note, "id", ""))
    if said is None or lang == "en":
        return str(note)
    words = labels(lang) if words is None else words
    args = {key: words.get(value, value) for key, value in getattr(note, "args", {}).items()}
    try:
        return said.format(**args)
    except (KeyError, IndexError, ValueError):
        return str(note)


def said_notes(notes: tuple[str, ...], lang: str) -> tuple[str, ...]:
    """The notes as `Note`s whose text is in `lang`: the same ids and values, for JSON and tables alike."""
    from logitcli.steps.calculation import Note

    return tuple(Note(note.id, say_note(note, lang), note.args) if hasattr(note, "id") else note for note in notes)


def say_error(message: str, lang: str) -> str:
    """An error's line in `lang`: a known English message (a whole-line pattern in [errors]) said again with the
    parts it quotes; anything else stays English, which is still one clear line."""
    if lang == "en":
        return message
    for pattern, said in _error_patterns(lang):
        found = pattern.fullmatch(message)
        if found:  # the parts it quotes, with English phrases among them (`the argument`) translated
            words = labels(lang)
            return said.format(*(words.get(part, part) for part in found.groups()))
    return message


@cache
def _error_patterns(lang: str) -> list[tuple[re.Pattern[str], str]]:
    errors = texts(lang).get("errors", {})
    english = texts("en").get("errors", {})
    return [(re.compile(english[key], re.DOTALL), said) for key, said in errors.items() if key in english]


def lang_in(argv: list[str]) -> str:
    """The language a command line asks for (`--lang ja`, `--lang=ja`), else the locale's: for errors that
    happen before the options are read."""
    end = argv.index("--") if "--" in argv else len(argv)
    for index, token in enumerate(argv[:end]):
        value = None
        if token == "--lang" and index + 1 < end:
            value = argv[index + 1]
        elif token.startswith("--lang="):
            value = token.split("=", 1)[1]
        if value is not None and value.strip().lower() in LANGS:
            return value.strip().lower()
    return default_lang()
