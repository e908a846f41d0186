"""The console's size, made sane once per run: whatever COLUMNS, LINES or the terminal say, a usable size.

rich, Typer's help and the progress bar all read COLUMNS and LINES (and the terminal's own size when they
are unset). A value of 0, a negative one, a word, full-width digits (which `str.isdigit` accepts and `int`
reads as 0) or a 1x1 terminal gave widths that printed nothing or made a paragraph wrap to a negative width
forever. So before anything prints, `settle_screen_size` replaces what cannot be used, as other terminal
tools do: a value that is not a positive number is ignored (the terminal's size is used, else 80 x 25), and a
usable one is kept between MIN_WIDTH and MAX_WIDTH columns (MIN_HEIGHT and MAX_HEIGHT lines).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

FALLBACK_WIDTH = 80
FALLBACK_HEIGHT = 25
#: Narrower than this nothing is readable; a 1-column terminal gets lines of this width (its own wrapping shows them).
MIN_WIDTH = 20
#: As wide as --wide's unbounded console: wider values are as good as this and cost memory for nothing.
MAX_WIDTH = 100_000
MIN_HEIGHT = 1
MAX_HEIGHT = 1_000_000
#: The streams rich asks for the terminal's size, in its order (stdin first).
_STREAMS = (0, 1, 2)


def parse_size(text: str | None) -> int | None:
    """A positive whole number written in ASCII digits, else None (unset, empty, 0, negative, a word, `１２`)."""
    if text is None:
        return None
    text = text.strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > 12:
        return None
    value = int(text)
    return value if value > 0 else None


def terminal_size() -> tuple[int | None, int | None]:
    """The size the terminal reports (the first of stdin, stdout, stderr that is one), 0 read as unknown."""
    for descriptor in _STREAMS:
        try:
            columns, lines = os.get_terminal_size(descriptor)
        except (AttributeError, ValueError, OSError):
            continue
        return (columns or None), (lines or None)
    return None, None


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def screen_size(environ: MutableMapping[str, str] | None = None) -> tuple[int, int]:
    """The width and height logitcli lays out for: COLUMNS/LINES when usable, else the terminal's, else 80 x 25."""
    environ = os.environ if environ is None else environ
    term_width, term_height = terminal_size()
    width = parse_size(environ.get("COLUMNS")) or term_width or FALLBACK_WIDTH
    height = parse_size(environ.get("LINES")) or term_height or FALLBACK_HEIGHT
    return clamp(width, MIN_WIDTH, MAX_WIDTH), clamp(height, MIN_HEIGHT, MAX_HEIGHT)


def settle_screen_size(environ: MutableMapping[str, str] | None = None) -> None:
    """Write a usable COLUMNS and LINES into the environment where the given ones (or the terminal's) are not.

    Left alone when both are unset and the terminal's size is usable (or there is no terminal: rich then
    lays out for 80 columns), so a resized terminal keeps working as before.
    """
    environ = os.environ if environ is None else environ
    width, height = screen_size(environ)
    term_width, term_height = terminal_size()
    for name, value, reported in (("COLUMNS", width, term_width), ("LINES", height, term_height)):
        given = environ.get(name)
        if given is None and (reported is None or reported == value):
            continue
        if given is not None and parse_size(given) == value:
            continue
        environ[name] = str(value)
