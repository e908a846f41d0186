"""A large JSON array of numbers read straight into float64, without a Python object per number.

`json.loads` makes a Python float (24 bytes) and a list slot (8) for every number, and the flattening after
it another list: about 80 bytes a number, against the 8 of the array. For a large text (MIN_SIZE and up)
that is a plain rectangular array of numbers, of any depth, this module reads it as numpy does text:

- the shape comes from the brackets alone: the text with every number and space deleted (its skeleton,
  one character per bracket or comma) must be exactly the skeleton of a rectangular array, whose shape the
  count of brackets at each depth gives;
- the numbers are checked with a regular expression (JSON's number grammar, the bare `inf`/`nan` words
  people type, and the `"nan"`, `"inf"`, `"-inf"` strings logitcli writes; exactly one comma between two
  numbers) and converted a window at a time (`numbertext`).

Anything else (objects, strings, ragged rows, `-0`, a stray character) returns None, and `json.loads`
reads the text with the usual errors: this path only ever agrees with that one, faster and smaller.
"""

from __future__ import annotations

import re

import numpy as np

from logitcli.inputs.numbertext import WINDOW, convert

#: Below this, json.loads is fast and small enough; and its errors are the ones the tests pin.
MIN_SIZE = 1 << 20
MAX_AXES = 32
_NUMBER = (
    r'(?:"(?:nan|inf|-inf|\+inf|infinity|-infinity)"'
    r"|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?(?:infinity|inf|nan))"
    r"(?![^,\s\[\]])"
)
_SEP = r"[\s\[\]]*+,[\s\[\]]*+"
_FIRST = re.compile(rf"[\s\[]*+(?:{_NUMBER}(?:{_SEP}{_NUMBER})*+)?[\s\]]*+", re.IGNORECASE)
_REST = re.compile(rf"(?:{_SEP}{_NUMBER})*+[\s\]]*+", re.IGNORECASE)
_OUTSIDE = re.compile(r'[^\[\],\s0-9.eE+\-"nNaAiIfFtTyY]')
_NEGATIVE_ZERO = re.compile(r"(?<![0-9.eE])-0(?![.eE0-9])")
_KEEP_SKELETON = str.maketrans(dict.fromkeys('0123456789.eE+-"nNaAiIfFtTyY \t\n\r'))
_TO_SPACES = str.maketrans(dict.fromkeys('[],"\t\n\r', " "))


def numeric_json_array(text: str) -> np.ndarray | None:
    """The array a large JSON text of numbers holds, shaped; None for anything this path does not read."""
    if len(text) < MIN_SIZE or not text.startswith("[") or _OUTSIDE.search(text) or _NEGATIVE_ZERO.search(text):
        return None
    skeleton = text.translate(_KEEP_SKELETON)
    shape = _shape(skeleton)
    if shape is None:
        return None
    values = _numbers(text)
    if values is None:
        return None
    rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
    if rows == 0 or values.size % rows:
        return None
    shape = (*shape[:-1], values.size // rows)
    if skeleton != canonical_skeleton(shape):
        return None
    return values.reshape(shape)


def _shape(skeleton: str) -> tuple[int, ...] | None:
    """All but the last axis from the number of brackets opened at each depth; the last is filled in later."""
    depth = len(skeleton) - len(skeleton.lstrip("["))
    if not 1 <= depth <= MAX_AXES or not skeleton.isascii():
        return None
    marks = np.frombuffer(skeleton.encode("ascii"), dtype=np.uint8)
    step = (marks == ord("[")).astype(np.int8) - (marks == ord("]")).astype(np.int8)
    level = np.cumsum(step, dtype=np.int8)
    if level.size == 0 or level[-1] != 0 or level.min() < 0 or level.max() > depth:
        return None
    opened = np.bincount(level[step == 1], minlength=depth + 1)[1 : depth + 1]
    if opened[0] != 1:
        return None
    shape = []
    for outer, inner in zip(opened[:-1], opened[1:], strict=True):
        if outer == 0 or inner % outer:
            return None
        shape.append(int(inner // outer))
    return (*shape, 0)


def canonical_skeleton(shape: tuple[int, ...]) -> str:
    """The brackets and commas of a rectangular array of this shape, as JSON writes it without numbers."""
    inner = "[" + "," * (shape[-1] - 1) + "]" if shape[-1] else "[]"
    for size in reversed(shape[:-1]):
        inner = "[" + ",".join([inner] * size) + "]"
    return inner


def _numbers(text: str) -> np.ndarray | None:
    """Every number, checked window by window (each cut at a comma); None when one does not follow the rule."""
    pieces = []
    left = 0
    first = True
    while left < len(text):
        right = len(text) if len(text) - left <= WINDOW else text.rfind(",", left + 1, left + WINDOW)
        if right <= left:
            right = len(text)
        window = text[left:right]
        if not (_FIRST if first else _REST).fullmatch(window):
            return None
        pieces.append(convert(window.translate(_TO_SPACES)))
        first = False
        left = right
    return np.concatenate(pieces) if len(pieces) != 1 else pieces[0]
