"""Line breaking for prose and table headings: never inside a number or a formula, and Japanese done right.

rich breaks lines at spaces only, so a Japanese sentence (no spaces) is one long "word": rich first moves
it whole to a new line, leaving a short line behind, then folds it anywhere, even inside a number; and it
breaks `exp(x - max)` at its spaces. Here every CJK character is a place to break, a run of Latin letters,
digits or mathematical signs (Greek letters included: `σ'(x)`) stays whole, a formula stays whole (an operator
standing between spaces, `x - max`, binds both sides; the inside of a call or index, `log(1 - p)`,
`p[ターゲット]`, binds too), and the usual kinsoku rules hold: no line starts with 。、)」 and no line ends
with (「; a list number ("2.") stays with the Japanese words after it. Used by the tour's prose and by
`grid` for the tables' headings, so a heading folds only between words.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

NO_LINE_START = set("、。,.)」』】〉》!?:;ー・…ぁぃぅぇぉっゃゅょァィゥェォッャュョ%）？！：；，．")
NO_LINE_END = set("(「『【〈《（◀")
#: A list number ("2.") stays on the line of the Japanese words it numbers (in English, "to 1. The" may break).
LIST_NUMBER = re.compile(r"^\d+\.$")
_LATIN = re.compile(r"[\u0021-\u007e\u00a0-\u024f]")
_RUN = "\u0021-\u007e\u00a0-\u024f\u0370-\u03ff\u2010-\u2027\u2030-\u205e\u2190-\u22ff"
_TOKENS = re.compile(rf"\s+|[{_RUN}]+|.", re.DOTALL)
#: Signs that, standing alone between spaces, join what is on either side into one formula (`x - max`).
OPERATORS = frozenset("-+·×÷/=≈≠<>≤≥→−*∝")
_OPEN, _CLOSE = "([{", ")]}"
#: A function applied by juxtaposition binds what follows it: `log p`, `-Σ w·log p`, `log softmax`.
_APPLIES = re.compile(r"(?:^|[^A-Za-z])(?:log|exp|Σ)$")
_WORD = re.compile(r"[A-Za-z]{3,}[,.;:]?")  # `log softmax`: a word after `log` is a name, free to break


def wrap_cjk(text: str, width: int) -> str:
    """`text` with newlines inserted so no line is wider than `width` cells; existing newlines are kept.

    A width below one cell (a console reporting 0 columns, a panel's inside on a tiny one) is one cell: every
    line then holds at least one character, so the wrapping always ends."""
    width = max(width, 1)
    return "\n".join(_wrap_paragraph(line, width) for line in text.split("\n"))


def _wrap_paragraph(text: str, width: int) -> str:
    lines: list[str] = []
    line = ""
    for unit in units(text):
        if line and cell_len(line + unit.rstrip()) > width:
            lines.append(line.rstrip())
            line = unit.lstrip()
        else:
            line += unit
        while cell_len(line.rstrip()) > width:  # a single unit wider than the line: fold it
            cut = _fold(line, width)
            lines.append(line[:cut].rstrip())
            line = line[cut:]
    lines.append(line.rstrip())
    return "\n".join(lines)


def units(text: str) -> list[str]:
    """Unbreakable pieces: a Latin word or a formula (with the spaces after it) or one CJK character, glued
    by kinsoku and by the formula rules (an operator between spaces; the inside of `f(...)` or `p[...]`)."""
    pieces: list[str] = []
    glue_next = applied = False
    after_number = False
    depth = 0  # open brackets of a call or an index (`exp(`, `p[`), whose inside never breaks
    for token in _TOKENS.findall(text):
        if token.isspace():
            if pieces:
                pieces[-1] += token
            continue
        operator = token in OPERATORS
        glue_next = glue_next and not (applied and _WORD.fullmatch(token))
        glued = glue_next or depth > 0 or operator or token[0] in NO_LINE_START
        if pieces and (glued or (after_number and not _LATIN.match(token))):
            pieces[-1] += token
        else:
            pieces.append(token)
        depth = max(0, depth + _call_brackets(token, depth))
        applied = bool(_APPLIES.search(token))
        glue_next = token[-1] in NO_LINE_END or operator or applied
        after_number = bool(LIST_NUMBER.match(token))
    return pieces


def longest_unit(text: str) -> int:
    """The narrowest a line of `text` may be without breaking a word, a number or a formula."""
    return max((cell_len(piece.rstrip()) for line in text.split("\n") for piece in units(line)), default=0)


def _call_brackets(token: str, depth: int) -> int:
    """How many call or index brackets `token` leaves open: `exp(x` one, `max)` minus one; a bracket that opens
    a token (`(the article's ...`) is prose, not a call, and binds nothing."""
    change = 0
    for index, char in enumerate(token):
        if char in _OPEN and (index > 0 or depth + change > 0):
            change += 1
        elif char in _CLOSE and depth + change > 0:
            change -= 1
    return change


def _fold(line: str, width: int) -> int:
    """Where to fold a formula too long for any line: after its last space that fits, else as much as fits
    without starting the next line with a closing mark."""
    cut = _fit(line, width)
    space = line.rfind(" ", 0, cut + 1)
    if space > 0 and line[space + 1 : space + 2] not in NO_LINE_START:
        return space + 1
    while cut > 1 and line[cut] in NO_LINE_START:
        cut -= 1
    return cut


def _fit(line: str, width: int) -> int:
    """How many characters of `line` fit in `width` cells (at least one)."""
    used = 0
    for index, char in enumerate(line):
        used += cell_len(char)
        if used > width:
            return max(index, 1)
    return len(line)
