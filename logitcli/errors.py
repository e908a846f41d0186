"""The errors a user can cause, each with the exit code it should end with, and how they are shown.

The CLI catches these at one place (`logitcli.cli.clickparts.LogitcliGroup.main`) and prints one line on
stderr; everything else is turned into one line there too (with `--debug`, every error keeps its
traceback).
"""

from __future__ import annotations

import re

#: How much of a user's token an error quotes; a 1 MB token must not become a 1 MB error line.
SHOWN_CHARS = 40
#: No line on stderr is longer than this, whatever it quotes.
MAX_LINE = 1000
_LONG_QUOTE = re.compile(rf"'([^'\n]{{{SHOWN_CHARS + 20},}})'")
_LONG_RUN = re.compile(r"\S{300,}")


class LogitcliError(Exception):
    """A problem the user can fix; `str(error)` is the one line shown to them."""

    exit_code = 1


class InputError(LogitcliError):
    """Bad usage or bad input (a word where a number belongs, a target out of range): exit 2."""

    exit_code = 2


class RunError(LogitcliError):
    """Something failed while running (an image that cannot be decoded, a missing package): exit 1."""

    exit_code = 1


def shown(token: object, limit: int = SHOWN_CHARS) -> str:
    """`token` quoted as Python does (`'abc'`), cut after `limit` characters with `…`; integers unquoted."""
    if isinstance(token, int) and not isinstance(token, bool):
        if token.bit_length() > 10_000:  # str() refuses integers of more than 4,300 digits
            return f"a {token.bit_length():,}-bit number"
        digits = str(token)
        return digits if len(digits) <= limit else digits[:limit] + "…"
    text = str(token)
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit])[:-1] + "…" + repr(text[:limit])[-1]


def one_line(text: str) -> str:
    """One printable line, whatever the message quotes: line breaks and control characters escaped,
    long quoted tokens and very long words cut, the whole line capped at MAX_LINE characters."""
    text = str(text)[: 20 * MAX_LINE]
    flat = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in " ".join(text.split("\n")))
    flat = _LONG_QUOTE.sub(lambda m: shown(m.group(1)), flat)
    flat = _LONG_RUN.sub(lambda m: m.group(0)[:SHOWN_CHARS] + "…", flat)
    return flat if len(flat) <= MAX_LINE else flat[: MAX_LINE - 1] + "…"
