"""Calculations as JSON documents and JSON lines, fast enough for a 10,000 x 1,000 batch.

Floats keep full float64 precision (orjson writes the shortest repr that round-trips). JSON has
no NaN or infinity, so those are written as the strings "nan", "inf", "-inf", which logitcli also
reads back: every line stays valid JSON for jq.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import numpy as np
import orjson

from logitcli.inputs.batch import Batch
from logitcli.steps import Calculation, Descent, Step

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


def jsonable(value: Any) -> Any:
    """numpy arrays and floats with nan/inf made JSON-safe; finite arrays stay arrays (fast path)."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0:  # PyTorch's 0-D results (one example, reduction "none") are JSON numbers
            return jsonable(value.item())
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            return _strings_for_non_finite(value)
        return np.ascontiguousarray(value)
    if isinstance(value, float | np.floating):
        return _float(float(value))
    if isinstance(value, str):
        return value if value.isascii() else _utf8(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _utf8(text: str) -> str:
    """Names with bytes that are not UTF-8 (a file name, a lone surrogate in piped JSON) as U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:
            return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _float(value: float) -> float | str:
    if value != value:
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    return value


def _strings_for_non_finite(array: np.ndarray) -> Any:
    """Nested lists with "nan", "inf", "-inf" in place; vectorised (a float at a time took seconds for 10^7)."""
    if array.ndim == 0:
        return _float(float(array))
    if array.ndim >= 2:  # rows that are all finite stay arrays, which orjson writes at C speed
        finite = np.isfinite(array).reshape(len(array), -1).all(axis=1)
        rows = zip(array, finite, strict=True)
        return [np.ascontiguousarray(row) if ok else _strings_for_non_finite(row) for row, ok in rows]
    out = array.astype(object)
    out[np.isnan(array)] = "nan"
    out[np.isposinf(array)] = "inf"
    out[np.isneginf(array)] = "-inf"
    return out.tolist()


def dumps(value: Any) -> bytes:
    return orjson.dumps(jsonable(value), option=_OPTIONS)


def document_parts(calc: Calculation, batch: Batch, include_steps: bool = True) -> Iterator[tuple[str, Any]]:
    """The (key, value) pairs of the --json document, in order; written one by one to keep memory flat."""
    yield "command", calc.command
    for key, value in batch.extra.items():
        yield key, value
    yield "inputs", batch.inputs
    yield "classes", batch.classes
    if calc.steps and calc.steps[0].name == "logits":
        yield "logits", batch.original()
    for key, value in calc.details.items():
        yield key, batch.shaped(value) if key == "targets" else value  # as given to PyTorch: its shape
    if include_steps:
        yield "steps", [_step_document(step, batch) for step in calc.steps]
    yield "result", batch.shaped(calc.result)
    if calc.grad is not None:
        yield "grad", batch.shaped(calc.grad)
    if calc.descent is not None:
        yield "descent", _descent_document(calc.descent, batch)
    yield "notes", [note_document(note) for note in calc.notes]


def _descent_document(descent: Descent, batch: Batch) -> dict[str, Any]:
    """--lr: the step size, the input after one step (shaped as the input) and the loss there."""
    return {"lr": descent.lr, "logits": batch.shaped(descent.after), "loss": batch.shaped(descent.loss_after)}


def note_document(note: str) -> dict[str, Any]:
    """A note as JSON: its stable `id` (for scripts and translations), its English `text`, the values it names."""
    return {"id": getattr(note, "id", "note"), "text": str(note), "args": dict(getattr(note, "args", None) or {})}


def _step_document(step: Step, batch: Batch, row: int | None = None) -> dict[str, Any]:
    """A step as JSON: all its values in PyTorch's shape, or one row's (`row`, for a JSON line)."""
    if row is not None:
        values = step.values[row]
    else:
        values = step.values if step.per == "batch" else batch.shaped(step.values)
    return {"name": step.name, "title": step.title, "formula": step.formula, "per": step.per, "values": values}


def write_document(parts: Iterator[tuple[str, Any]], stream: IO[bytes]) -> None:
    """Write `{"k": v, ...}` piece by piece, so big arrays are serialised one at a time."""
    stream.write(b"{")
    for i, (key, value) in enumerate(parts):
        if i:
            stream.write(b",")
        stream.write(orjson.dumps(key))
        stream.write(b":")
        if key == "steps":
            stream.write(b"[")
            for j, step in enumerate(value):
                if j:
                    stream.write(b",")
                stream.write(dumps(step))
            stream.write(b"]")
        else:
            stream.write(dumps(value))
    stream.write(b"}\n")


def jsonl_records(calc: Calculation, batch: Batch, include_steps: bool = True) -> Iterator[dict[str, Any]]:
    """One record per example, then one for the reduction, if any.

    Each example's record carries its own result whatever the reduction and with or without steps: its
    row of the result (probabilities) or, when the result is reduced, its own loss before the reduction;
    and its row of every step, described as in --json. The reduction's record carries the reduced result.
    """
    names = batch.inputs
    result = calc.result
    per_example_result = isinstance(result, np.ndarray) and result.ndim >= 1 and len(result) == batch.n_examples
    own = result if per_example_result else _per_example_loss(calc)
    targets = calc.details.get("targets")
    for row in range(batch.n_examples):
        record: dict[str, Any] = {"command": calc.command, "index": row}
        if names is not None:
            record["input"] = names[row]
        if not batch.layout.is_plain:
            record["position"] = list(batch.layout.position(row))
        record["classes"] = batch.classes
        if calc.steps and calc.steps[0].name == "logits":
            record["logits"] = batch.values[row]
        if include_steps:
            record["steps"] = [_step_document(s, batch, row) for s in calc.steps if s.per != "batch"]
        if targets is not None:
            record["targets"] = targets[row]
        if own is not None:
            record["result"] = own[row]
        if calc.grad is not None:
            record["grad"] = calc.grad[row]
        if calc.descent is not None:
            record["descent"] = _descent_row(calc.descent, row)
        yield record
    if not per_example_result:
        details = {key: value for key, value in calc.details.items() if key != "targets"}  # each line has its own
        summary: dict[str, Any] = {"command": calc.command, "summary": True, **details}
        if include_steps:
            summary["steps"] = [_step_document(s, batch) for s in calc.steps if s.per == "batch"]
        if calc.descent is not None:
            summary["descent"] = {"lr": calc.descent.lr, "loss": calc.descent.loss_after}
        yield summary | {"result": result, "notes": [note_document(note) for note in calc.notes]}


def _per_example_loss(calc: Calculation) -> np.ndarray | None:
    """Each example's loss before the reduction (the `loss` step), when the result itself is reduced."""
    for step in calc.steps:
        if step.name == "loss" and step.per != "batch":
            return step.values
    return None


def _descent_row(descent: Descent, row: int) -> dict[str, Any]:
    """One example's part of the descent step; its loss too when the losses are per example."""
    record: dict[str, Any] = {"lr": descent.lr, "logits": descent.after[row]}
    if isinstance(descent.loss_after, np.ndarray) and descent.loss_after.ndim >= 1:
        record["loss"] = descent.loss_after[row]
    return record


def logits_document(batch: Batch) -> dict[str, Any]:
    """What `logitcli logits --json` prints; every number command reads it back.

    The logits are the command's result: `result` holds them, as every command's document does, and
    `logits` too, where the number commands' documents keep their input logits.
    """
    logits = batch.original()
    return {
        "command": "logits",
        **batch.extra,
        "inputs": batch.inputs,
        "classes": batch.classes,
        "logits": logits,
        "result": logits,
    }


def logits_record(
    extra: dict[str, Any], index: int, input_name: str | None, classes: list[str] | None, row: np.ndarray
) -> dict[str, Any]:
    """One line of `logitcli logits --jsonl`, the same whether streamed or written at the end."""
    record: dict[str, Any] = {"command": "logits", **extra, "index": index}
    if input_name is not None:
        record["input"] = input_name
    return record | {"classes": classes, "logits": row, "result": row}
