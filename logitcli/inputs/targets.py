"""--targets and --weight: class indices, class names, probabilities, or a labels file for images.

Targets come in the forms a user has at hand: `1,0,2`, a JSON array (indices, or a 2-D array of
class probabilities), class names when the input carries them (`Brown,Grizzly`), or a file:
a list, or a mapping file -> class (CSV `file,class` or a JSON object) for a batch of images.
Shapes are checked as PyTorch checks them: targets of another shape than the input are refused,
never reshaped.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from logitcli.errors import InputError, shown
from logitcli.inputs import samples
from logitcli.inputs.batch import Batch
from logitcli.inputs.files import read_text, require_regular_file
from logitcli.inputs.read import load_json, looks_like_numbers, read_file, to_array
from logitcli.inputs.torchrules import refuse_bool_targets
from logitcli.steps.calculation import shape_text

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_INTEGER_RE = re.compile(r"^[-+]?[0-9]+$")
DEFAULT_IGNORE = -100
_MISSING = object()


def check_ignore_index(ignore_index: int) -> None:
    """PyTorch's ignore_index is an int64; checked before anything runs or is written."""
    if not INT64_MIN <= ignore_index <= INT64_MAX:
        raise InputError(
            f"--ignore-index {shown(ignore_index)} does not fit in 64 bits: "
            "use a class index or a negative number such as -100 (the default)"
        )


def parse_class_targets(
    text: str, batch: Batch, allow_soft: bool = False, ignore_index: int | None = None
) -> np.ndarray:
    """Class indices (N,), or with `allow_soft` class probabilities of the logits' shape, for this batch.

    With `ignore_index`, an image that a labels file does not mention is left out of the loss
    (given that index, as PyTorch's ignore_index does) with a note (a warning, which the CLI says as
    `note: ...`), instead of an error.
    """
    text = samples.resolve(text)
    names_a_file = _reads_as_file(text)
    if names_a_file and Path(text).suffix.lower() == ".npy":
        array = _load_npy(Path(text))  # label maps for K-dim input: indices (integers) or probabilities (floats)
        refuse_bool_targets(array.dtype.name, f"--targets {text}")
        floats = array.dtype.kind == "f"
        return _as_class_targets(array.astype(np.float64), batch, allow_soft, ignore_index, floats=floats)
    if names_a_file:
        return _from_file(Path(text), batch, allow_soft, ignore_index)
    return _class_targets_from_text(text, batch, allow_soft, ignore_index)


def _load_npy(path: Path) -> np.ndarray:
    require_regular_file(path, f"--targets {path}")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise InputError(f"{path} is not a readable .npy array ({error or 'the file is empty or cut short'})") from None
    if array.dtype.kind not in "biuf":
        raise InputError(f"{path} holds {array.dtype} values, not numbers: save class indices or probabilities")
    return np.atleast_1d(array)


FLOAT_TOKEN_RE = re.compile(r"\d[.eE]|\.\d|\b(?:nan|inf|infinity)\b", re.IGNORECASE)


def _written_as_floats(text: str) -> bool:
    """PyTorch tells class probabilities from class indices by dtype: `1.0, 0.0` are floats, `1, 0` integers."""
    return bool(FLOAT_TOKEN_RE.search(text))


def _names_a_file(text: str) -> bool:
    """A path with a suffix that exists (a named pipe too: it is refused, never read)."""
    return not text.lstrip().startswith(("[", "{")) and bool(Path(text).suffix) and os.path.exists(text)


def _reads_as_file(text: str) -> bool:
    """`_names_a_file`, with one note when the text also reads as numbers (`--targets 1.5` beside a file `1.5`)."""
    if not _names_a_file(text):
        return False
    if looks_like_numbers(text):
        warnings.warn(
            f"--targets {shown(text)} reads as numbers and also names a file here: read as the file; "
            f"to give numbers, write `[{text}]` (JSON)",
            stacklevel=3,
        )
    return True


def _class_targets_from_text(text: str, batch: Batch, allow_soft: bool, ignore_index: int | None) -> np.ndarray:
    tokens = _tokens(text)
    floats = _written_as_floats(text)
    if isinstance(tokens, np.ndarray):
        return _as_class_targets(tokens, batch, allow_soft, ignore_index, floats=floats)
    if all(looks_like_numbers(t) for t in tokens):
        array = to_array([float(t) for t in tokens], "--targets")
        return _as_class_targets(array, batch, allow_soft, ignore_index, written=tokens, floats=floats)
    return np.array([_class_index(t, batch) for t in tokens], dtype=np.int64)


def _tokens(text: str, option: str = "--targets") -> list[str] | np.ndarray:
    """A JSON array (numbers as an array, names as strings), or comma-separated words."""
    stripped = text.strip()
    if stripped.startswith("["):
        data = load_json(stripped, option)  # bare nan, inf, -inf welcome, as in the input
        if isinstance(data, list) and data and all(isinstance(v, str) for v in data):
            return [str(v) for v in data]
        if isinstance(data, list) and all(type(v) is int for v in data):  # exact, however large an int64
            return np.array(data, dtype=np.int64)
        return to_array(data, option)
    return [t.strip() for t in stripped.split(",") if t.strip()]


def _class_index(name: str, batch: Batch) -> int:
    if batch.classes is None:
        raise InputError(
            f"target {shown(name)} is not a class index: give numbers like 1,0,2, or name the classes with --classes"
        )
    lookup = {c.lower(): i for i, c in enumerate(batch.classes)}
    if name.lower() not in lookup:
        names = ", ".join(batch.classes[:8]) + (" …" if len(batch.classes) > 8 else "")
        raise InputError(f"unknown class name {shown(name)} in --targets: the classes are {shown(names, 80)}")
    return lookup[name.lower()]


def _as_class_targets(
    array: np.ndarray,
    batch: Batch,
    allow_soft: bool,
    ignore_index: int | None,
    written: list[str] | None = None,
    floats: bool = False,
) -> np.ndarray:
    """Class probabilities where PyTorch would take them (the input's shape, written as floats), else indices.

    For a K-dim input (N, C, d1, ..., dk), indices come as (N, d1, ..., dk) and probabilities as the input's
    shape; both are laid out as the batch's rows (one per position). Any other shape is refused, never reshaped.
    """
    layout = batch.layout
    if not layout.is_plain and array.ndim > 1:
        if array.shape == layout.positions:
            array = array.reshape(-1)
        elif array.shape == layout.shape:
            if not allow_soft:
                raise InputError("nll takes one class index per position, not class probabilities")
            return layout.rows(array.astype(np.float64))
        else:
            raise InputError(
                f"--targets has shape {shape_text(array.shape)}: for input of shape {shape_text(layout.shape)} "
                f"give class indices of shape {shape_text(layout.positions)}"
                + (f" or class probabilities of shape {shape_text(layout.shape)}" if allow_soft else "")
            )
    if array.ndim == 2:
        if not allow_soft:
            raise InputError("nll takes one class index per example, not class probabilities")
        if array.shape != layout.shape:
            raise InputError(
                f"soft targets have shape {shape_text(array.shape)} but the logits have shape "
                f"{shape_text(layout.shape)}: give one probability per logit, in the logits' shape"
            )
        return array.astype(np.float64)
    if array.ndim != 1:
        raise InputError("--targets must be a list of class indices or a 2-D array of class probabilities")
    if (
        allow_soft
        and batch.one_example
        and array.size == batch.n_classes
        and (floats or not np.all(array == np.round(array)))
        and (batch.n_classes > 1 or floats)
    ):
        return array.reshape(batch.values.shape)  # class probabilities for a single example, shape (C,)
    indices = _class_indices(array, batch, ignore_index, written)
    if indices.size != batch.n_examples:
        raise InputError(
            f"got {indices.size} target(s) for {batch.n_examples} example(s): give one class index per example"
        )
    return indices


def _class_indices(array: np.ndarray, batch: Batch, ignore_index: int | None, written: list[str] | None) -> np.ndarray:
    """Whole numbers in int64, each named as the user wrote it when it is not a class index."""
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    indices = []
    for position, value in enumerate(array.tolist()):
        token = written[position].strip() if written is not None else f"{value:g}"
        if written is not None and _INTEGER_RE.match(token):
            index = int(token) if len(token.lstrip("+-")) <= 20 else None
        elif math.isfinite(value) and value == round(value):
            index = int(value)
        else:
            raise InputError(
                f"target {shown(token)} is not a class index: give whole class indices like 0, 2, 1 "
                f"(or {DEFAULT_IGNORE if ignore_index is None else ignore_index} to ignore an example)"
            )
        if index is None or not INT64_MIN <= index <= INT64_MAX:
            raise InputError(
                f"target {shown(token)} (example {position}) is out of range: class indices run from 0 to "
                f"{batch.n_classes - 1} (or {DEFAULT_IGNORE if ignore_index is None else ignore_index} "
                "to ignore an example)"
            )
        indices.append(index)
    return np.array(indices, dtype=np.int64)


def parse_binary_targets(text: str, batch: Batch) -> np.ndarray:
    """bce targets: 0/1 or probabilities, one per logit, in the logits' shape, as the batch's rows.

    A flat list (`1,0,1`, or a file of one row) fits a single example; a JSON array must have the
    shape of the input, as PyTorch requires.
    """
    text = samples.resolve(text)
    if _reads_as_file(text):
        require_regular_file(text, f"--targets {text}")
        given = read_file(text)
        refuse_bool_targets(given.dtype, f"--targets {text}")
        array, flat = given.original(), given.one_example
    else:
        tokens = _tokens(text)
        flat = not isinstance(tokens, np.ndarray)
        if flat:
            bad = [t for t in tokens if not looks_like_numbers(t)]
            if bad:
                raise InputError(f"{shown(bad[0])} in --targets is not a number: bce targets are 0, 1 or probabilities")
            tokens = to_array([float(t) for t in tokens], "--targets")
        array = np.asarray(tokens, dtype=np.float64)
    if flat and batch.n_examples == 1 and array.ndim == 1:
        if array.size != batch.values.size:
            raise InputError(
                f"got {array.size} target(s) for {batch.values.size} logit(s): bce needs one 0/1 target per logit"
            )
    elif array.shape != batch.layout.shape:
        raise InputError(
            f"got targets of shape {shape_text(array.shape)} for logits of shape {shape_text(batch.layout.shape)}: "
            "bce needs one 0/1 target per logit, as a JSON array of the logits' shape"
        )
    return batch.layout.rows(array.reshape(batch.layout.shape))


def parse_weights(text: str | None, option: str) -> np.ndarray | None:
    """`0.2,1,3` or a JSON array: one weight per class."""
    if text is None:
        return None
    tokens = _tokens(text, option)
    if isinstance(tokens, np.ndarray):
        array = tokens.astype(np.float64)
    else:
        bad = [t for t in tokens if not looks_like_numbers(t)]
        if bad:
            raise InputError(f"{shown(bad[0])} in {option} is not a number: give one weight per class, like 0.2,1,3")
        array = to_array([float(t) for t in tokens], option)
    return array


# ----------------------------------------------------------------------------- labels files


def _from_file(path: Path, batch: Batch, allow_soft: bool, ignore_index: int | None) -> np.ndarray:
    """A labels file: `file,class` rows (or a JSON object) matched to image inputs, or a plain list."""
    text = read_text(path, f"--targets {path}")
    mapping = _mapping(path, text)
    if mapping is None:
        if not text.strip():
            _empty(path)
        listed = text if text.lstrip().startswith("[") else text.replace("\n", ",")
        return _class_targets_from_text(listed, batch, allow_soft, ignore_index)
    if batch.inputs is None:
        raise InputError(f"{path} maps files to classes, but the input is not a list of image files")
    indices = []
    for name in batch.inputs:
        label = mapping.get(name, mapping.get(Path(name).name, _MISSING))
        if label is _MISSING and ignore_index is not None:
            warnings.warn(f"{path} has no label for {name}: left out of the loss", stacklevel=2)
            indices.append(ignore_index)
            continue
        if label is _MISSING:
            raise InputError(f"{path} has no label for {name}: add a line `{Path(name).name},CLASS`")
        indices.append(_label_index(label, batch, path, name))
    return np.array(indices, dtype=np.int64)


def _label_index(label: Any, batch: Batch, path: Path, name: str) -> int:
    """A JSON integer, an integer written out, or a class name; any other number is refused."""
    if type(label) is int:
        index: int | None = label
    elif isinstance(label, str) and _INTEGER_RE.match(label):
        index = int(label) if len(label.lstrip("+-")) <= 20 else None
    elif isinstance(label, str) and not looks_like_numbers(label):
        return _class_index(label, batch)
    else:
        raise InputError(
            f"the class {shown(label)} for {name} in {path} is not a class index or name: "
            "write a whole number such as 3, or the class name"
        )
    if index is None or not INT64_MIN <= index <= INT64_MAX:
        raise InputError(f"the class {shown(label)} for {name} in {path} is out of range for a class index")
    return index


def _mapping(path: Path, text: str) -> dict[str, Any] | None:
    """`file -> class` from a JSON object or `file,class` CSV rows; None for a plain list of targets."""
    if path.suffix.lower() == ".json":
        data = load_json(text, str(path), object_pairs_hook=_unique_keys(path))
        return data if isinstance(data, dict) else None
    import csv  # only for a labels file

    try:
        rows = [(n, row) for n, row in enumerate(csv.reader(text.splitlines()), start=1) if row]
    except csv.Error as error:
        raise InputError(f"{path} is not a readable CSV file ({error})") from None
    numbered = [(n, row) for n, row in rows if not row[0].startswith("#")]
    if not numbered or len(numbered[0][1]) != 2:
        return None
    if numbered[0][1][0].strip().lower() in {"file", "path", "image", "filename"}:
        numbered = numbered[1:]
    mapping: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, row in numbered:
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise InputError(f"line {number} of {path} is not `file,class`: give one image and its class per line")
        key = row[0].strip()
        if key in mapping:
            raise InputError(
                f"{path} lists {shown(key)} twice (lines {lines[key]} and {number}): keep one label per image"
            )
        mapping[key], lines[key] = row[1].strip(), number
    return mapping


def _unique_keys(path: Path) -> Any:
    """A JSON object hook that refuses a key given twice (json keeps the last one silently)."""

    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        for key, value in pairs:
            if key in mapping:
                raise InputError(f"{path} lists {shown(key)} twice: keep one label per image")
            mapping[key] = value
        return mapping

    return build


def _empty(path: Path) -> np.ndarray:
    raise InputError(f"{path} is empty: expected one target per example")
