"""Line breaking for Japanese prose, which rich cannot do well on its own.

rich breaks lines at spaces only, so a Japanese sentence (no spaces) is one long "word": rich first moves
it whole to a new line, leaving a short line behind, then folds it anywhere, even inside a number. Here
every CJK character is a place to break, a run of Latin letters or digits stays whole, and the usual
kinsoku rules hold: no line starts with 。、)」 and no line ends with (「; a list number ("2.") stays with the
Japanese words after it.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

NO_LINE_START = set("、。,.)」』】〉》!?:;ー・…ぁぃぅぇぉっゃゅょァィゥェォッャュョ%）？！：；，．")
NO_LINE_END = set("(「『【〈《（")
#: A list number ("2.") stays on the line of the Japanese words it numbers (in English, "to 1. The" may break).
LIST_NUMBER = re.compile(r"^\d+\.$")
_LATIN = re.compile(r"[\u0021-\u007e\u00a0-\u024f]")
_TOKENS = re.compile(r"\s+|[\u0021-\u007e\u00a0-\u024f\u2010-\u2027\u2030-\u205e\u2190-\u22ff]+|.", re.DOTALL)


def wrap_cjk(text: str, width: int) -> str:
    """`text` with newlines inserted so no line is wider than `width` cells; existing newlines are kept.

    A width below one cell (a console reporting 0 columns, a panel's inside on a tiny one) is one cell: every
    line then holds at least one character, so the wrapping always ends."""
    width = max(width, 1)
    return "\n".join(_wrap_paragraph(line, width) for line in text.split("\n"))


def _wrap_paragraph(text: str, width: int) -> str:
    lines: list[str] = []
    line = ""
    for unit in _units(text):
        if line and cell_len(line + unit.rstrip()) > width:
            lines.append(line.rstrip())
            line = unit.lstrip()
        else:
            line += unit
        while cell_len(line.rstrip()) > width:  # a single unit wider than the line: fold it
            cut = _fit(line, width)
            lines.append(line[:cut])
            line = line[cut:]
    lines.append(line.rstrip())
    return "\n".join(lines)


def _units(text: str) -> list[str]:
    """Unbreakable pieces: a Latin word (with the spaces after it) or one CJK character, with kinsoku glue."""
    units: list[str] = []
    glue_next = False
    after_number = False
    for token in _TOKENS.findall(text):
        if token.isspace():
            if units:
                units[-1] += token
            continue
        if units and (glue_next or token[0] in NO_LINE_START or (after_number and not _LATIN.match(token))):
            units[-1] += token
        else:
            units.append(token)
        glue_next = token[-1] in NO_LINE_END
        after_number = bool(LIST_NUMBER.match(token))
    return units


def _fit(line: str, width: int) -> int:
    """How many characters of `line` fit in `width` cells (at least one)."""
    used = 0
    for index, char in enumerate(line):
        used += cell_len(char)
        if used > width:
            return max(index, 1)
    return len(line)
