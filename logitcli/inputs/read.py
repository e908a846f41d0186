"""Every input form becomes a Batch; every bad input becomes an InputError with one clear line.

Forms: numbers as arguments, a JSON array (argument, file or stdin), a JSON object or JSON lines
from another logitcli command (its `logits` or `result`, with `classes`), plain text (one
example per line), and `.json`/`.npy`/`.csv`/`.txt` files. Image paths are recognised here but run
by the model code (see `logitcli.model`), which is imported only when they appear.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from logitcli.errors import InputError, shown
from logitcli.inputs import samples
from logitcli.inputs.batch import Batch
from logitcli.inputs.classnames import check_class_names
from logitcli.inputs.files import decode_text, max_input_bytes, read_bounded, read_text, require_regular_file, too_large
from logitcli.inputs.jsonarray import numeric_json_array
from logitcli.inputs.npyfile import check_npy_size
from logitcli.inputs.numbertext import BadToken, kept_lines, parse_lines
from logitcli.steps.calculation import shape_text

# One rule for numbers wherever they come from (arguments, stdin, files, JSON strings): ASCII digits,
# an optional exponent, inf and nan; no `1_000`, which Python's float() would accept.
NUMBER = r"[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|inf|infinity|nan)"
NUMBER_RE = re.compile(rf"^{NUMBER}$", re.IGNORECASE)
NUMBER_LIST_RE = re.compile(rf"^\s*{NUMBER}(?:\s*[,\s]\s*{NUMBER})*\s*,?\s*$", re.IGNORECASE)
DATA_SUFFIXES = {".json", ".jsonl", ".npy", ".csv", ".txt", ".tsv"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}
NON_FINITE = {
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "+inf": math.inf,
    "infinity": math.inf,
    "-infinity": -math.inf,
}

Source = Literal["logits", "result"]


def looks_like_numbers(token: str) -> bool:
    """True for `-0.5`, `1e-3`, `-inf`, and comma lists such as `-0.2,1.3`: values, not options."""
    return bool(NUMBER_LIST_RE.match(token))


@dataclass(frozen=True)
class Arguments:
    """What the positional arguments turned out to be: numbers/JSON (a Batch) or image paths."""

    batch: Batch | None = None
    image_paths: list[str] | None = None


def classify_arguments(values: list[str], source: Source = "logits", prefer_paths: bool = False) -> Arguments:
    """Decide whether the arguments are numbers, one JSON value, a data file, or image paths.

    An argument can read both ways: `1e5` is a number and may also name a file. `prefer_paths` (the `logits`
    command, whose arguments are usually images) takes such arguments as files when every one of them names
    an existing file; otherwise they are numbers. Either way one note says which reading was used and how to
    ask for the other.
    """
    if not values:
        return Arguments()
    if values == ["-"]:
        return Arguments(batch=read_stdin(source))
    if len(values) == 1 and values[0].lstrip().startswith(("[", "{")):
        return Arguments(batch=parse_text(values[0], "the argument", source))
    if all(looks_like_numbers(v) for v in values):
        both = [v for v in values if os.path.exists(v)]
        if both and prefer_paths and len(both) == len(values):
            _note_both_readings(both, "the file", f"write `[{', '.join(both)}]` (JSON)")
            return Arguments(image_paths=list(values))
        if both:
            _note_both_readings(both, "the number", f"write the path as `./{both[0]}`")
        numbers = [_parse_number(tok, "the arguments") for v in values for tok in _split_numbers(v)]
        return Arguments(batch=_make_batch([numbers], one_example=True))
    words = [v for v in values if not looks_like_numbers(v) and not _looks_like_path(v)]
    if words:
        raise InputError(
            f"{shown(words[0])} is not a number: give logits like `-0.5 2 3.1`, a JSON array, "
            "a .json/.npy/.csv file, or image files"
        )
    if any(looks_like_numbers(v) for v in values):
        raise InputError("numbers and file paths are mixed in the arguments: give one or the other")
    if len(values) == 1 and Path(values[0]).suffix.lower() in DATA_SUFFIXES:
        return Arguments(batch=read_file(values[0], source))
    return Arguments(image_paths=list(values))


def _note_both_readings(arguments: list[str], used: str, other: str) -> None:
    """One note for arguments that read as numbers and name existing files (`1e5`, `2`)."""
    one = len(arguments) == 1
    names = ", ".join(shown(a) for a in arguments[:3]) + (", ..." if len(arguments) > 3 else "")
    if used == "the file":
        head = f"read as {'the file' if one else 'files'}; to give {'it as a number' if one else 'them as numbers'}"
    else:
        head = f"read as {'the number' if one else 'numbers'}; to read {'it as a file' if one else 'them as files'}"
    what = "reads as a number and also names a file" if one else "read as numbers and also name files"
    warnings.warn(f"{names} {what} here: {head}, {other}", stacklevel=3)


def _looks_like_path(value: str) -> bool:
    path = Path(value)
    return (
        os.path.exists(value)
        or path.suffix.lower() in IMAGE_SUFFIXES | DATA_SUFFIXES
        or any(ch in value for ch in "/\\*?")
    )


def _split_numbers(text: str) -> list[str]:
    return [tok for tok in re.split(r"[,\s]+", text.strip()) if tok]


def _parse_number(token: str, where: str) -> float:
    """A number as NUMBER spells it; digits beyond float's range are ±inf, as float() makes them."""
    if not NUMBER_RE.match(token):
        raise InputError(f"{shown(token)} in {where} is not a number: use values like -0.5, 3, 1e-3 or -inf")
    return float(token)


# ----------------------------------------------------------------------------- stdin and files


def stdin_is_terminal() -> bool:
    """A terminal on stdin means nobody piped anything: say what to give instead of waiting."""
    return sys.stdin is None or sys.stdin.isatty()


def read_stdin(source: Source = "logits") -> Batch:
    if stdin_is_terminal():
        raise InputError(
            "no input: give numbers (logitcli softmax 1 2 3), a JSON array, --file PATH, image files, "
            "or pipe data on stdin"
        )
    return parse_text(stdin_text(), "stdin", source)


def stdin_text() -> str:
    """All of stdin as text, decoded by the one rule for files (UTF-8, a byte-order mark dropped), read with
    the bound on text input (a NUL byte, as from /dev/zero, ends it at once)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream without bytes (tests): the same bound, counted in characters
        text = sys.stdin.read(max_input_bytes() + 1)
        if len(text) > max_input_bytes():
            raise too_large("stdin", max_input_bytes())
        return text
    return decode_text(read_bounded(stream, "stdin"), "stdin")


def read_file(path_text: str, source: Source = "logits") -> Batch:
    """Read .npy, .json/.jsonl, .csv/.tsv/.txt into a Batch; a CSV header row names the classes."""
    path = Path(path_text)
    if path_text == "":
        raise InputError(
            "--file is empty: give the path of a .json, .npy, .csv or .txt file, or pipe the data on stdin"
        )
    if not os.path.exists(path):  # os.path's: a name too long for the file system is just not found
        raise InputError(f"file not found: {shown(path_text)}")
    require_regular_file(path, path_text)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        check_npy_size(path, path_text)
        try:
            array = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            reason = str(error) or "the file is empty or cut short"
            raise InputError(f"{path_text} is not a readable .npy array ({reason})") from None
        return _make_batch(array, one_example=np.ndim(array) == 1, where=path_text)
    if suffix in IMAGE_SUFFIXES:
        raise InputError(f"{path_text} is an image: give it as an argument, without --file, to run the model on it")
    return parse_text(read_text(path, path_text), path_text, source)


def parse_text(text: str, where: str, source: Source = "logits") -> Batch:
    """Sniff the text: `[` is a JSON array, `{` a logitcli JSON object (or JSON lines), else numbers."""
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise InputError(f"empty input in {where}: expected numbers or a JSON array")
    if stripped[0] == "[":
        array = numeric_json_array(stripped)  # a large plain array: straight to float64
        if array is not None:
            return _make_batch(array, one_example=array.ndim == 1, where=where)
        data = load_json(stripped, where)
        return _make_batch(data, one_example=_depth(data) == 1, where=where)
    if stripped[0] == "{":
        return _parse_objects(stripped, where, source)
    return _parse_plain(stripped, where)


#: Compiled on first use (by `re`'s own cache): most runs never read hand-typed JSON with bare nan or inf.
BARE_NON_FINITE = r'(?<![\w".])([-+]?(?:infinity|inf|nan))(?![\w"])'


def load_json(text: str, where: str, object_pairs_hook: Any = None) -> Any:
    """JSON, also with the bare words inf, -inf and nan that people type in arrays by hand.

    Integers too long for an int64 are read as floats (digits beyond float's range are ±inf, as in
    the arguments); JSON nested deeper than Python's recursion limit is one clear error.
    """
    import json  # here, not at the top: a run given plain numbers never reads JSON

    try:
        return _json_loads(text, where, object_pairs_hook)
    except json.JSONDecodeError as error:
        quoted = re.sub(BARE_NON_FINITE, r'"\1"', text, flags=re.IGNORECASE)
        if quoted != text:
            try:
                return _json_loads(quoted, where, object_pairs_hook)
            except json.JSONDecodeError:
                pass
        raise InputError(f"broken JSON in {where}: {error.msg} at line {error.lineno} column {error.colno}") from None


def _json_loads(text: str, where: str, object_pairs_hook: Any = None) -> Any:
    import json

    try:
        return json.loads(text, parse_int=_json_int, object_pairs_hook=object_pairs_hook)
    except RecursionError:
        raise InputError(
            f"the JSON in {where} is nested too deeply to read: logitcli reads arrays of one or two levels, "
            "such as [[1, 2], [3, 4]]"
        ) from None


def _json_int(digits: str) -> int | float:
    """Exact for anything an int64 holds; longer integers as floats (no int-str digit limit)."""
    return int(digits) if len(digits) <= 18 else float(digits)


def _parse_objects(text: str, where: str, source: Source) -> Batch:
    """One logitcli JSON object, or JSON lines (one object per example, as `--jsonl` writes)."""
    import json

    try:
        objects = [_json_loads(text, where)]
    except json.JSONDecodeError:
        objects = [load_json(line, where) for line in text.splitlines() if line.strip()]
    rows_objects = [o for o in objects if isinstance(o, dict) and _pick_key(o, source) is not None]
    if not rows_objects:
        raise InputError(
            f"the JSON object in {where} has no `logits` or `result` array: pipe the --json output of "
            "another logitcli command, or give a JSON array"
        )
    first = rows_objects[0]
    if len(rows_objects) == 1:
        data = first[_pick_key(first, source)]
        batch = _make_batch(data, one_example=_depth(data) == 1, where=where)
        inputs = first.get("inputs")
    else:
        rows = [o[_pick_key(o, source)] for o in rows_objects]
        batch = _make_batch(rows, one_example=False, where=where)
        inputs = [o.get("input") for o in rows_objects]
        if any(i is None for i in inputs):
            inputs = None
    classes = _names(first.get("classes"), batch.n_classes)
    if classes is not None:
        check_class_names(classes, f"the `classes` in {where}")
    inputs = _names(inputs, batch.n_examples)
    extra = {k: first[k] for k in ("model", "weights") if isinstance(first.get(k), str)}
    return Batch(
        batch.values,
        classes=classes,
        inputs=inputs,
        extra=extra,
        upstream=_upstream_notes(first),
        layout=batch.layout,
    )


def _upstream_notes(obj: dict) -> tuple[tuple[str, str], ...]:
    """What the writing command said about NaN and infinities in its output: `(command, text)` pairs."""
    from logitcli.steps.diagnosis import TEXTS

    notes = obj.get("notes")
    if not isinstance(notes, list):
        return ()
    command = str(obj.get("command", "?"))
    return tuple(
        (command, str(note["text"]))
        for note in notes
        if isinstance(note, dict) and note.get("id") in TEXTS and isinstance(note.get("text"), str)
    )


def _names(value: Any, count: int) -> list[str] | None:
    """`classes` or `inputs` from another logitcli command: a list of `count` strings, else left out.

    Anything else (numbers, null, nested lists, objects, another count) did not come from logitcli;
    the numbers still count, the rows and columns are numbered instead.
    """
    if isinstance(value, list) and len(value) == count and all(isinstance(v, str) for v in value):
        return value
    return None


def _pick_key(obj: dict, source: Source) -> str | None:
    """Logit consumers read `logits` first; nll reads `result` first (softmax | nll is the lesson)."""
    order = ("logits", "result") if source == "logits" else ("result", "logits")
    for key in order:
        value = obj.get(key)
        if isinstance(value, list) and value:
            return key
    return None


def _parse_plain(text: str, where: str) -> Batch:
    """Numbers split on spaces and commas, one example per line; a first line of words names classes.

    Parsed by `numbertext` straight into float64 (8 bytes a number, whatever the size of the text)."""
    if "\r" in text:  # old Mac line ends, and Windows ones: a line per example either way
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    first_lines = list(itertools.islice(kept_lines(text), 2))
    classes = None
    start = 0
    if len(first_lines) > 1:
        _, begin, end = first_lines[0]
        first = text[begin:end]
        header = [name.strip() for name in re.split(r"[,\t]", first)]
        if len(header) > 1 and header[-1] == "":  # a trailing separator, as rows may have
            header = header[:-1]
        if any(header) and not any(looks_like_numbers(word) for word in _split_numbers(first)):
            classes = header
            start = end
    parsed = parse_lines(text, start)
    if isinstance(parsed, BadToken):
        raise InputError(
            f"{shown(parsed.token)} in {where} (line {parsed.line}) is not a number: "
            "use values like -0.5, 3, 1e-3 or -inf"
        )
    if parsed.lines > 1 and len(set(parsed.counts)) > 1:
        raise InputError(f"ragged rows in {where}: every example must have the same number of values")
    rows = parsed.values.reshape(parsed.lines, -1) if parsed.lines > 1 else parsed.values
    batch = _make_batch(rows, one_example=parsed.lines == 1, where=where)
    if classes is not None and len(classes) != batch.n_classes:
        raise InputError(f"the header of {where} names {len(classes)} classes but rows have {batch.n_classes} values")
    if classes is not None:
        check_class_names(classes, f"the header of {where}")
    return Batch(batch.values, classes=classes, layout=batch.layout)


# ----------------------------------------------------------------------------- arrays


def _depth(data: Any) -> int:
    """How deep the first elements nest: `[]` is 1, `[[]]` 2 (an empty (1, 0) batch, not one example)."""
    depth = 0
    while isinstance(data, list):
        depth += 1
        if not data:
            break
        data = data[0]
    return depth


def to_float(value: Any, where: str) -> float:
    """JSON numbers, and the strings "nan", "inf", "-inf" that logitcli writes for JSON's gaps."""
    if isinstance(value, bool) or value is None:
        raise InputError(f"{value!r} in {where} is not a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if value.strip().lower() in NON_FINITE:
            return NON_FINITE[value.strip().lower()]
        return _parse_number(value, where)
    kind = "an object" if isinstance(value, dict) else shown(value)
    raise InputError(f"{kind} in {where} is not a number")


MAX_AXES = 32  # numpy's own limit is 64; no classifier output comes near either


def to_array(data: Any, where: str) -> np.ndarray:
    """A nested list (or array) of any depth to float64, with clear words for ragged rows and words."""
    if isinstance(data, np.ndarray):
        if data.dtype.kind not in "biuf":
            raise InputError(f"{where} holds {data.dtype} values, not numbers")
        return data.astype(np.float64, copy=False)
    if not isinstance(data, list):
        return np.array([to_float(data, where)])
    shape = _nested_shape(data)
    if len(shape) > MAX_AXES:
        raise InputError(
            f"{where} is nested {len(shape)} levels deep: logitcli reads arrays of at most {MAX_AXES} axes, "
            "such as (N, C) or (N, C, H, W)"
        )
    flat: list[float] = []
    _flatten(data, shape, 0, flat, where)
    return np.array(flat, dtype=np.float64).reshape(shape)


def _nested_shape(data: list) -> tuple[int, ...]:
    """The shape a rectangular nested list has, read along its first elements."""
    shape = []
    probe: Any = data
    while isinstance(probe, list):
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    return tuple(shape)


def _flatten(node: list, shape: tuple[int, ...], depth: int, flat: list[float], where: str) -> None:
    """Every number in C order; a list of the wrong length (or a number where a list belongs) is ragged."""
    if depth == len(shape) - 1:
        if any(isinstance(v, list) for v in node):
            raise InputError(f"ragged rows in {where}: mix of numbers and lists")
        flat.extend(to_float(v, where) for v in node)
        return
    for child in node:
        if not isinstance(child, list) or len(child) != shape[depth + 1]:
            raise InputError(f"ragged rows in {where}: every example must have the same number of values")
        _flatten(child, shape, depth + 1, flat, where)


def _make_batch(data: Any, one_example: bool, where: str = "the input") -> Batch:
    """Any shape PyTorch takes: (C,) one example, (N, C) a batch, (N, C, d1, ..., dk) classes on axis 1."""
    values = to_array(data, where)
    if one_example and values.ndim == 2 and values.shape[0] == 1:
        values = values.reshape(-1)  # numbers typed as arguments, or one line of text: one example, (C,)
    if values.size == 0:
        warnings.warn(
            f"the input in {where} is empty (shape {shape_text(values.shape)}): PyTorch computes on empty "
            "tensors, so the result is empty too (a mean over no examples is nan, a sum 0)",
            stacklevel=3,
        )
    dtype = data.dtype.name if isinstance(data, np.ndarray) else "float64"
    return Batch.from_array(values, dtype=dtype)  # a 0-d .npy stays 0-d, as PyTorch's result would


def resolve_batch(
    values: list[str], file: str | None, source: Source = "logits", prefer_paths: bool = False
) -> Arguments:
    """The one entry point: arguments win, then --file, then stdin (`prefer_paths`: see classify_arguments).
    `sample:NAME` names a file that ships with logitcli."""
    values = [samples.resolve(value) for value in values]
    file = None if file is None else samples.resolve(file)
    if values and file is not None:
        raise InputError("give values or --file, not both")
    if file is not None:
        return Arguments(batch=read_file(file, source))
    if values:
        return classify_arguments(values, source, prefer_paths)
    return Arguments(batch=read_stdin(source))
