"""Plain-text numbers (a line per example, split on spaces and commas) to float64, in numpy's memory.

A Python list of floats costs about 32 bytes a number, and the tokens split from a line another 50 each:
a 200 MB line of numbers took 3 GB. Here the text is checked against the number rule with a regular
expression (which allocates nothing per token) and converted by `np.fromstring`, a window of at most
`WINDOW` characters at a time; small lines are gathered into blocks of that size. What is kept is the
float64 array, 8 bytes a number, plus one count per line. The rule is the one every input follows
(`NUMBER` in read.py: ASCII digits, an exponent, inf and nan; no `1_000`), and a bad token is named with
its line, as before.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

#: The number rule of read.py, with `infinity` tried before `inf` so that a match never needs to back up.
_NUMBER = r"[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|infinity|inf|nan)(?![^,\s])"
#: A stretch of numbers with separators (spaces, tabs, commas) around and between them; possessive, so a long
#: line is matched in constant memory.
_RUN = re.compile(rf"[,\s]*+(?:{_NUMBER}(?:[,\s]++{_NUMBER})*+)?[,\s]*+", re.IGNORECASE)
_TOKEN = re.compile(r"[^,\s]+")
_VISIBLE = re.compile(r"\S")
_TOKEN_RE = re.compile(rf"^{_NUMBER}$", re.IGNORECASE)
#: Commas and every ASCII character that `\s` and str.split take for space, to the one space np.fromstring reads.
_SEPARATORS = str.maketrans(dict.fromkeys(",\t\r\n\x0b\x0c\x1c\x1d\x1e\x1f", " "))
#: Characters converted at once: bounds the temporary copies, large enough that a call's cost is nothing.
WINDOW = 1 << 22


@dataclass(frozen=True)
class BadToken:
    """A token that is not a number, and the line it is on."""

    token: str
    line: int


@dataclass(frozen=True)
class NumberLines:
    """Every number of the text in order (`values`) and how many each kept line holds (`counts`)."""

    values: np.ndarray
    counts: list[int]

    @property
    def lines(self) -> int:
        return len(self.counts)


def kept_lines(text: str, start: int = 0) -> Iterator[tuple[int, int, int]]:
    """(line number, start, end) of each line that is neither blank nor a `#` comment, without copying it."""
    number = text.count("\n", 0, start) + 1
    position = start
    size = len(text)
    while position <= size:
        end = text.find("\n", position)
        if end < 0:
            end = size
        first = _first_visible(text, position, end)
        if first is not None and text[first] != "#":
            yield number, position, end
        position = end + 1
        number += 1


def _first_visible(text: str, start: int, end: int) -> int | None:
    """Where the first non-space character of text[start:end] is, or None (a blank line)."""
    for index in range(start, min(end, start + 64)):  # the usual case: within a few characters
        if not text[index].isspace():
            return index
    if end - start <= 64:
        return None
    match = _VISIBLE.search(text, start, end)
    return match.start() if match else None


def parse_lines(text: str, start: int = 0) -> NumberLines | BadToken:
    """The numbers of every kept line from `start` on, or the first token that is not a number."""
    pieces: list[np.ndarray] = []
    block: list[str] = []
    block_size = 0
    counts: list[int] = []

    def flush() -> None:
        nonlocal block_size
        if block:
            pieces.append(convert(" ".join(block)))
            block.clear()
            block_size = 0

    for number, begin, end in kept_lines(text, start):
        if end - begin <= WINDOW:
            line = text[begin:end]
            if not _RUN.fullmatch(line):
                return _bad_token(line, number)
            flat = line.translate(_SEPARATORS)
            counts.append(_count_tokens(flat))
            block.append(flat)
            block_size += len(flat)
            if block_size >= WINDOW:
                flush()
            continue
        flush()
        total = 0
        for left, right in _windows(text, begin, end):
            window = text[left:right]
            if not _RUN.fullmatch(window):
                return _bad_token(window, number)
            piece = convert(window.translate(_SEPARATORS))
            pieces.append(piece)
            total += piece.size
        counts.append(total)
    flush()
    values = np.concatenate(pieces) if len(pieces) != 1 else pieces[0]
    if values.size != sum(counts):  # np.fromstring read something else than the rule said: never silently
        raise AssertionError("numbers and their count disagree")
    return NumberLines(values, counts)


def convert(flat: str) -> np.ndarray:
    """Checked numbers separated by spaces to float64: np.fromstring for ASCII, float() for anything it
    does not read (text outside ASCII, e.g. with U+3000 spaces), so the result never depends on which."""
    if flat.isascii():
        if not flat.strip():
            return np.empty(0, dtype=np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)  # numpy's word for "stopped before the end"
            try:
                return np.fromstring(flat, dtype=np.float64, sep=" ")
            except (ValueError, DeprecationWarning):
                pass
    return np.array([float(token) for token in flat.split()], dtype=np.float64)


def _count_tokens(flat: str) -> int:
    """How many numbers a checked line holds: spaces-to-token changes, counted without splitting."""
    if flat.isascii():
        return len(_TOKEN.findall(flat)) if len(flat) < 256 else sum(1 for _ in _TOKEN.finditer(flat))
    return len(flat.split())


def _windows(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Pieces of a long line, each cut just after a number (so every separator run is whole in one piece)."""
    left = start
    while end - left > WINDOW:
        cut = _cut(text, left, left + WINDOW)
        if cut is None:
            break
        yield left, cut
        left = cut
    yield left, end


def _cut(text: str, left: int, limit: int) -> int | None:
    """A position in (left, limit] where a separator follows a number's last character, or None."""
    right = limit
    while right > left + 1:
        sep = max(text.rfind(" ", left, right), text.rfind(",", left, right), text.rfind("\t", left, right))
        if sep <= left:
            return None
        if text[sep - 1] not in " ,\t":
            return sep
        right = sep
    return None


def _bad_token(text: str, line: int) -> BadToken:
    """The first token of `text` that is not a number (the whole text when none is found)."""
    for match in _TOKEN.finditer(text):
        if not _TOKEN_RE.match(match.group(0)):
            return BadToken(match.group(0), line)
    return BadToken(text.strip(), line)
