"""Text from the input shown on a terminal: control characters escaped, never sent raw.

Class names, notes and file names arrive from piped JSON, CSV headers and folders. A raw `\\x1b]0;pwned\\x07`
in a table would set the terminal's title, `\\x1b[31m` colour what follows, a bidi override reorder it. They
are shown as Python writes them (`\\x1b`, `\\u202e`), as the error lines do (`errors.one_line`):

- in tables, each cell and header is escaped before its width is measured (`Column` does it), so the
  layout stays right;
- everything else a console prints (titles, notes, the tour, and what --save records) passes through
  `EscapeHook`, which escapes the text of every segment rich renders, its own line breaks kept.

Colours and styles are not text: rich adds them after rendering, so they are untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import RenderHook
from rich.measure import Measurement
from rich.segment import Segment

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderResult

#: C0 and C1 controls, DEL, and the bidirectional overrides and isolates.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    return repr(match.group(0))[1:-1]


def escaped(text: str) -> str:
    """`text` with every control character escaped, line breaks included (a table cell is one line)."""
    return UNSAFE.sub(_escape, text) if UNSAFE.search(text) else text


def escaped_keeping_lines(text: str) -> str:
    """`text` with every control character but the line break escaped."""
    return _UNSAFE_BUT_NEWLINE.sub(_escape, text) if _UNSAFE_BUT_NEWLINE.search(text) else text


class Escaped:
    """A renderable whose rendered text has its control characters escaped."""

    def __init__(self, inner: ConsoleRenderable) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.inner, options):
            if segment.control or not _UNSAFE_BUT_NEWLINE.search(segment.text):
                yield segment
            else:
                yield Segment(escaped_keeping_lines(segment.text), segment.style)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.inner)


class EscapeHook(RenderHook):
    """Installed on every console logitcli prints with (`console.push_render_hook(EscapeHook())`)."""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [Escaped(renderable) for renderable in renderables]


def escape_all(texts: Iterable[str]) -> tuple[str, ...]:
    return tuple(escaped(text) for text in texts)
