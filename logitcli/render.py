"""Calculations as rich tables: the view a learner reads in a terminal.

Two layouts, chosen by what reads best:
- by class (one example, or many classes): rows are classes, columns are the steps; the
  per-example values (max, sums, the loss) follow as a footer.
- by step (a small batch with few classes): one table per step, rows are examples, as the
  article prints "softmax by row"; the per-example values share one table.
Nothing here computes a step; it only orders and formats what `steps` returned.
"""

from __future__ import annotations

import math
import os

import numpy as np
from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from logitcli.batch import Batch
from logitcli.steps import Calculation, Descent, Step, descent_calculation

BAR_WIDTH = 10
BLOCKS = " ▏▎▍▌▋▊▉█"
MAX_CLASS_COLUMNS = 10
DEFAULT_TOP_K = 10
BATCH_CLASS_TABLES = 3


def format_number(value: float, precision: int = 4) -> str:
    """Fixed decimals as the article prints them; scientific only where fixed would hide the value."""
    value = float(value) + 0.0  # -0.0 prints as 0
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value != 0 and (abs(value) < 0.5 * 10.0**-precision or abs(value) >= 1e9):
        return f"{value:.{max(precision - 2, 1)}e}"
    return f"{value:.{precision}f}"


def probability_bar(p: float, width: int = BAR_WIDTH) -> str:
    """A bar of `width` cells, eighths included, for a value in [0, 1]."""
    if not math.isfinite(p):
        return ""
    eighths = round(min(max(p, 0.0), 1.0) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (BLOCKS[part] if part else "")).ljust(width)


def class_order(batch: Batch, row: int, top_k: int | None) -> list[int]:
    """Classes to show for one example: all in order when few, else the top k by logit."""
    if top_k is None and batch.n_classes <= 2 * DEFAULT_TOP_K:
        return list(range(batch.n_classes))
    k = min(top_k or DEFAULT_TOP_K, batch.n_classes)
    logits = batch.values[row]
    return [int(i) for i in np.argsort(-logits, kind="stable")[:k]]


def calculation_renderables(
    calc: Calculation,
    batch: Batch,
    *,
    precision: int = 4,
    top_k: int | None = None,
    max_rows: int = 20,
) -> list[RenderableType]:
    """The tables for one calculation, then its notes."""
    by_class = batch.n_examples == 1 or top_k is not None or batch.n_classes > MAX_CLASS_COLUMNS
    if by_class:
        parts = _by_class(calc, batch, precision, top_k, max_rows)
    else:
        parts = _by_step(calc, batch, precision, max_rows)
    parts.extend(_batch_lines(calc, precision))
    parts.extend(Text(f"note: {note}", style="yellow") for note in calc.notes)
    return parts


def _class_steps(calc: Calculation) -> list[Step]:
    return [s for s in calc.steps if s.per == "class"]


def _example_steps(calc: Calculation) -> list[Step]:
    return [s for s in calc.steps if s.per == "example"]


def _cell(step: Step, value: float, precision: int, batch: Batch) -> str:
    if step.name == "target" and step.per == "example":
        index = int(value)
        if 0 <= index < batch.n_classes:
            return escape(f"{index} ({batch.class_names()[index]})") if batch.classes else str(index)
        return f"{index} (ignored)"
    return format_number(value, precision)


def _by_class(calc: Calculation, batch: Batch, precision: int, top_k: int | None, max_rows: int) -> list:
    """A table per example (classes as rows); a batch then gets one per-example table for all rows."""
    parts: list[RenderableType] = []
    single = batch.n_examples == 1
    shown = 1 if single else min(batch.n_examples, BATCH_CLASS_TABLES)
    names = batch.class_names()
    targets = _targets(calc)
    k = top_k if top_k is not None or single else min(5, batch.n_classes)
    for row in range(shown):
        title = calc.command if single else f"{calc.command}: {_example_labels(batch)[row]}"
        parts.append(Text(title, style="bold"))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
        table.add_column("class", no_wrap=True)
        for step in _class_steps(calc):
            table.add_column(Text(step.title), justify="right", no_wrap=True)
            if step.probability:
                table.add_column("", no_wrap=True, min_width=BAR_WIDTH)
        order = class_order(batch, row, k)
        for index in order:
            label = names[index]
            if targets is not None and int(targets[row]) == index:
                label += " ◀ target"
            cells = [escape(label)]
            for step in _class_steps(calc):
                value = float(step.values[row, index])
                cells.append(format_number(value, precision))
                if step.probability:
                    cells.append(probability_bar(value))
            table.add_row(*cells)
        if len(order) < batch.n_classes:
            table.caption = f"top {len(order)} of {batch.n_classes} classes by logit; --json carries them all"
            table.caption_justify = "left"
        parts.append(table)
        if single:
            footer = [f"{s.title} = {_cell(s, float(s.values[row]), precision, batch)}" for s in _example_steps(calc)]
            if footer:
                parts.append(Text("   ".join(footer)))
    if shown < batch.n_examples:
        parts.append(Text(f"… class tables for {batch.n_examples - shown} more example(s) left out"))
    if not single:
        parts.extend(_per_example_table(calc, batch, precision, max_rows))
    return parts


def _by_step(calc: Calculation, batch: Batch, precision: int, max_rows: int) -> list:
    parts: list[RenderableType] = []
    rows = min(batch.n_examples, max_rows)
    examples = _example_labels(batch)
    for step in _class_steps(calc):
        formula = "" if step.formula == step.title else step.formula
        parts.append(Text.assemble((step.title, "bold"), "   ", (formula, "dim")))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
        table.add_column("example")
        for name in batch.class_names():
            table.add_column(Text(name), justify="right")
        for row in range(rows):
            table.add_row(escape(examples[row]), *(format_number(v, precision) for v in step.values[row]))
        parts.append(table)
    parts.extend(_per_example_table(calc, batch, precision, max_rows))
    if rows < batch.n_examples:
        parts.append(Text(f"… {batch.n_examples - rows} more row(s) left out; --json carries them all"))
    return parts


def _per_example_table(calc: Calculation, batch: Batch, precision: int, max_rows: int) -> list[RenderableType]:
    per_example = _example_steps(calc)
    if not per_example:
        return []
    rows = min(batch.n_examples, max_rows)
    examples = _example_labels(batch)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("example")
    for step in per_example:
        table.add_column(Text(step.title), justify="right")
    for row in range(rows):
        table.add_row(escape(examples[row]), *(_cell(s, float(s.values[row]), precision, batch) for s in per_example))
    return [Text("per example", style="bold"), table]


def _example_labels(batch: Batch) -> list[str]:
    """Row labels: image paths without the folder they share, so the names fit the table."""
    names = batch.example_names()
    if batch.inputs is None or len(names) < 2:
        return names
    prefix = os.path.commonpath([os.path.dirname(n) or "." for n in names])
    return [os.path.relpath(n, prefix) if prefix not in ("", ".") else n for n in names]


def _targets(calc: Calculation) -> np.ndarray | None:
    for step in calc.steps:
        if step.name == "target" and step.per == "example":
            return step.values
    return None


def _batch_lines(calc: Calculation, precision: int) -> list[RenderableType]:
    lines: list[RenderableType] = []
    for step in calc.steps:
        if step.per != "batch":
            continue
        text = f"{step.title} = {format_number(float(step.values), precision)}"
        if step.name == "mean" and "denominator" in calc.details:
            what = calc.details.get("denominator_is", "")
            text += f"   (Σ loss / {calc.details['denominator']:g}{': ' + what if what else ''})"
        lines.append(Text(text, style="bold"))
    check = calc.details.get("torch_check")
    if check:
        verdict = "matches" if check["matches"] else "DIFFERS from"
        style = "green" if check["matches"] else "bold red"
        lines.append(Text(f"{verdict} {check['function']}, max difference {check['max_abs_diff']:.1e}", style=style))
    grad_check = check.get("grad") if check else None
    if grad_check:
        verdict = "gradient matches" if grad_check["matches"] else "gradient DIFFERS from"
        style = "green" if grad_check["matches"] else "bold red"
        text = f"{verdict} {grad_check['function']}, max difference {grad_check['max_abs_diff']:.1e}"
        lines.append(Text(text, style=style))
    return lines


def logits_renderables(batch: Batch, *, precision: int = 4, top_k: int | None = None, max_rows: int = 20) -> list:
    """The `logits` view: one input ranks its classes; a few classes show as the article's matrix;
    many classes show each input's top k with its softmax probability, never 1,000 columns."""
    from logitcli.steps import softmax_rows

    probs = softmax_rows(batch.values)
    title = batch.extra.get("model") or "logits"
    if batch.n_examples > 1 and batch.n_classes <= MAX_CLASS_COLUMNS and top_k is None:
        return _logits_matrix(batch, title, precision, max_rows)
    if batch.n_examples == 1:
        default_k = 5 if batch.n_classes > 20 else batch.n_classes
        heading = f"{title}: {_example_labels(batch)[0]}" if batch.inputs else title
    else:
        default_k = 3
        heading = f"{title}: top {min(top_k or default_k, batch.n_classes)} of {batch.n_classes} classes per input"
    k = min(top_k or default_k, batch.n_classes)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    columns = (
        ("input", "rank", "class", "logit", "softmax", "")
        if batch.n_examples > 1
        else ("rank", "class", "logit", "softmax", "")
    )
    for header in columns:
        table.add_column(header, justify="right" if header in ("rank", "logit", "softmax") else "left", no_wrap=True)
    rows = min(batch.n_examples, max(1, max_rows // k))
    labels = _example_labels(batch)
    names = batch.class_names()
    for row in range(rows):
        for rank, index in enumerate(np.argsort(-batch.values[row], kind="stable")[:k], start=1):
            p = float(probs[row, index])
            cells = [
                str(rank),
                escape(names[index]),
                format_number(batch.values[row, index], precision),
                format_number(p, precision),
                probability_bar(p),
            ]
            if batch.n_examples > 1:
                cells.insert(0, escape(labels[row]) if rank == 1 else "")
            table.add_row(*cells, end_section=rank == k and row < rows - 1)
    if k < batch.n_classes:
        table.caption = f"top {k} of {batch.n_classes} classes; --json carries every logit"
        table.caption_justify = "left"
    parts: list[RenderableType] = [Text(heading, style="bold"), table]
    if rows < batch.n_examples:
        parts.append(Text(f"… {batch.n_examples - rows} more input(s) left out; --json carries them all"))
    return parts


def _logits_matrix(batch: Batch, title: str, precision: int, max_rows: int) -> list[RenderableType]:
    """Rows are inputs, columns are classes: the logits tensor as the article prints it."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("input", no_wrap=True)
    for name in batch.class_names():
        table.add_column(Text(name), justify="right", no_wrap=True)
    rows = min(batch.n_examples, max_rows)
    labels = _example_labels(batch)
    for row in range(rows):
        table.add_row(escape(labels[row]), *(format_number(v, precision) for v in batch.values[row]))
    parts: list[RenderableType] = [Text(f"{title}: logits", style="bold"), table]
    if rows < batch.n_examples:
        parts.append(Text(f"… {batch.n_examples - rows} more input(s) left out; --json carries them all"))
    return parts


def group(parts: list[RenderableType]) -> Group:
    return Group(*parts)


def descent_renderables(
    descent: Descent, batch: Batch, *, precision: int = 4, top_k: int | None = None, max_rows: int = 20
) -> list[RenderableType]:
    """--lr: the old input, the gradient and the new input per class, as ordinary step tables; then the
    loss before and after the step (per example for reduction none, in the tables)."""
    calc = descent_calculation(descent)
    parts: list[RenderableType] = [Text(f"one step of gradient descent, lr = {descent.lr:g}", style="bold")]
    parts.extend(calculation_renderables(calc, batch, precision=precision, top_k=top_k, max_rows=max_rows))
    if not isinstance(descent.loss_before, np.ndarray):
        before = format_number(float(descent.loss_before), precision)
        after = format_number(float(descent.loss_after), precision)
        parts.append(Text(f"{descent.reduction} loss {before} → {after}", style="bold"))
    return parts
