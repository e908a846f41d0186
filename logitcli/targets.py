"""--targets and --weight: class indices, class names, probabilities, or a labels file for images.

Targets come in the forms a user has at hand: `1,0,2`, a JSON array (indices, or a 2-D array of
class probabilities), class names when the input carries them (`Brown,Grizzly`), or a file:
a list, or a mapping file -> class (CSV `file,class` or a JSON object) for a batch of images.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import numpy as np

from logitcli.batch import Batch
from logitcli.errors import InputError
from logitcli.inputs import load_json, looks_like_numbers, read_file, to_array


def parse_class_targets(
    text: str, batch: Batch, allow_soft: bool = False, ignore_index: int | None = None
) -> np.ndarray:
    """Class indices (N,), or with `allow_soft` class probabilities (N, C), for this batch.

    With `ignore_index`, an image that a labels file does not mention is left out of the loss
    (given that index, as PyTorch's ignore_index does) with a note on stderr, instead of an error.
    """
    path = Path(text)
    if path.suffix.lower() == ".npy" and path.is_file():
        array = _load_npy(path)  # label maps for K-dim input: indices (integers) or probabilities (floats)
        return _as_class_targets(array.astype(np.float64), batch, allow_soft, floats=array.dtype.kind == "f")
    if not text.lstrip().startswith(("[", "{")) and path.suffix and path.is_file():
        return _from_file(path, batch, allow_soft, ignore_index)
    tokens = _tokens(text)
    if isinstance(tokens, np.ndarray):
        array = tokens
        floats = _written_as_floats(text)
    elif all(looks_like_numbers(t) for t in tokens):
        array = to_array([float(t) for t in tokens], "--targets")
        floats = _written_as_floats(text)
    else:
        array = np.array([_class_index(t, batch) for t in tokens], dtype=np.float64)
        floats = False
    return _as_class_targets(array, batch, allow_soft, floats)


def _load_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise InputError(f"{path} is not a readable .npy array ({error})") from None
    if array.dtype.kind not in "biuf":
        raise InputError(f"{path} holds {array.dtype} values, not numbers")
    return np.atleast_1d(array)


FLOAT_TOKEN_RE = re.compile(r"\d[.eE]|\.\d|\b(?:nan|inf|infinity)\b", re.IGNORECASE)


def _written_as_floats(text: str) -> bool:
    """PyTorch tells class probabilities from class indices by dtype: `1.0, 0.0` are floats, `1, 0` integers."""
    return bool(FLOAT_TOKEN_RE.search(text))


def _tokens(text: str, option: str = "--targets") -> list[str] | np.ndarray:
    """A JSON array (numbers as an array, names as strings), or comma-separated words."""
    stripped = text.strip()
    if stripped.startswith("["):
        data = load_json(stripped, option)  # bare nan, inf, -inf welcome, as in the input
        if isinstance(data, list) and data and all(isinstance(v, str) for v in data):
            return [str(v) for v in data]
        return to_array(data, option)
    return [t.strip() for t in stripped.split(",") if t.strip()]


def _class_index(name: str, batch: Batch) -> int:
    if batch.classes is None:
        raise InputError(
            f"target {name!r} is not a class index: give numbers like 1,0,2, or name the classes with --classes"
        )
    lookup = {c.lower(): i for i, c in enumerate(batch.classes)}
    if name.lower() not in lookup:
        shown = ", ".join(batch.classes[:8]) + (" …" if len(batch.classes) > 8 else "")
        raise InputError(f"unknown class name {name!r} in --targets: the classes are {shown}")
    return lookup[name.lower()]


def _as_class_targets(array: np.ndarray, batch: Batch, allow_soft: bool, floats: bool = False) -> np.ndarray:
    """Class probabilities where PyTorch would take them (the input's shape, written as floats), else indices.

    For a K-dim input (N, C, d1, ..., dk), indices come as (N, d1, ..., dk) and probabilities as the input's
    shape; both are laid out as the batch's rows (one per position).
    """
    layout = batch.layout
    if not layout.is_plain and array.ndim > 1:
        if array.shape == layout.positions:
            array = array.reshape(-1)
        elif array.shape == layout.shape:
            if not allow_soft:
                raise InputError("nll takes one class index per position, not class probabilities")
            return layout.rows(array)
        else:
            raise InputError(
                f"--targets has shape {_shape_text(array.shape)}: for input of shape {_shape_text(layout.shape)} "
                f"give class indices of shape {_shape_text(layout.positions)}"
                + (f" or class probabilities of shape {_shape_text(layout.shape)}" if allow_soft else "")
            )
    if array.ndim == 2 or (
        allow_soft
        and batch.one_example
        and array.size == batch.n_classes
        and (floats or not np.all(array == np.round(array)))
        and (batch.n_classes > 1 or floats)
    ):
        if not allow_soft:
            raise InputError("nll takes one class index per example, not class probabilities")
        return array.reshape(batch.values.shape)
    if array.ndim != 1:
        raise InputError("--targets must be a list of class indices or a 2-D array of class probabilities")
    if np.isnan(array).any() or not np.all(array == np.round(array)):
        raise InputError("--targets must be whole class indices like 0, 2, 1 (or -100 to ignore an example)")
    if array.size != batch.n_examples:
        raise InputError(
            f"got {array.size} target(s) for {batch.n_examples} example(s): give one class index per example"
        )
    return array.astype(np.int64)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def parse_binary_targets(text: str, batch: Batch) -> np.ndarray:
    """bce targets: 0/1 or probabilities, one per logit (a flat list is reshaped to the logits), as the batch's rows."""
    path = Path(text)
    if not text.lstrip().startswith("[") and path.suffix and path.is_file():
        array = read_file(text).original()
    else:
        tokens = _tokens(text)
        if not isinstance(tokens, np.ndarray):
            if not all(looks_like_numbers(t) for t in tokens):
                bad = next(t for t in tokens if not looks_like_numbers(t))
                raise InputError(f"{bad!r} in --targets is not a number: bce targets are 0, 1 or probabilities")
            tokens = to_array([float(t) for t in tokens], "--targets")
        array = tokens
    if array.size != batch.values.size:
        raise InputError(
            f"got {array.size} target(s) for {batch.values.size} logit(s): bce needs one 0/1 target per logit"
        )
    return batch.layout.rows(array.reshape(batch.layout.shape))


def parse_weights(text: str | None, option: str) -> np.ndarray | None:
    """`0.2,1,3` or a JSON array: one weight per class."""
    if text is None:
        return None
    tokens = _tokens(text, option)
    if isinstance(tokens, np.ndarray):
        array = tokens
    else:
        bad = [t for t in tokens if not looks_like_numbers(t)]
        if bad:
            raise InputError(f"{bad[0]!r} in {option} is not a number: give one weight per class, like 0.2,1,3")
        array = to_array([float(t) for t in tokens], option)
    return array


# ----------------------------------------------------------------------------- labels files


def _from_file(path: Path, batch: Batch, allow_soft: bool, ignore_index: int | None) -> np.ndarray:
    """A labels file: `file,class` rows (or a JSON object) matched to image inputs, or a plain list."""
    text = path.read_text(encoding="utf-8")
    mapping = _mapping(path, text)
    if mapping is None:
        if not text.strip():
            _empty(path)
        listed = text if text.lstrip().startswith("[") else text.replace("\n", ",")
        return parse_class_targets(listed, batch, allow_soft)
    if batch.inputs is None:
        raise InputError(f"{path} maps files to classes, but the input is not a list of image files")
    indices = []
    for name in batch.inputs:
        label = mapping.get(name) or mapping.get(Path(name).name)
        if label is None and ignore_index is not None:
            print(f"note: {path} has no label for {name}: left out of the loss", file=sys.stderr)
            indices.append(ignore_index)
            continue
        if label is None:
            raise InputError(f"{path} has no label for {name}: add a line `{Path(name).name},CLASS`")
        indices.append(int(label) if looks_like_numbers(label) else _class_index(label, batch))
    return np.array(indices, dtype=np.int64)


def _mapping(path: Path, text: str) -> dict[str, str] | None:
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"broken JSON in {path}: {error.msg}") from None
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None
    rows = [row for row in csv.reader(text.splitlines()) if row and not row[0].startswith("#")]
    if not rows or len(rows[0]) != 2:
        return None
    if rows[0][0].strip().lower() in {"file", "path", "image", "filename"}:
        rows = rows[1:]
    return {row[0].strip(): row[1].strip() for row in rows}


def _empty(path: Path) -> np.ndarray:
    raise InputError(f"{path} is empty: expected one target per example")
