"""The logits as a table: each example's classes ranked by logit with their softmax, or a matrix for a batch.

`logitcli logits` (and any command's input stage, when it shows images) prints through this; the calculation
tables of the other commands are `render`'s. Kept apart so each layout reads on its own.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from rich.console import RenderableType
from rich.text import Text

from logitcli.inputs.batch import Batch
from logitcli.output.grid import Column, Fitted, Grid, fit
from logitcli.output.render import (
    MAX_CLASS_COLUMNS,
    View,
    default_top_k,
    dropped_line,
    example_labels,
    format_number,
    probability_bar,
)
from logitcli.steps import softmax_rows


def logits_renderables(batch: Batch, view: View | None = None) -> list[RenderableType]:
    """The `logits` view: one input ranks its classes; a few classes show as the article's matrix;
    many classes show each input's top k with its softmax probability, never 1,000 columns."""

    view = view or View()
    probs = softmax_rows(batch.values)
    title = batch.extra.get("model") or view.word("logits")
    if batch.n_examples > 1 and batch.n_classes <= MAX_CLASS_COLUMNS and view.top_k is None:
        return _logits_matrix(batch, title, view)
    k = default_top_k(batch.n_classes, view.top_k) or batch.n_classes
    labels = example_labels(batch)
    parts: list[RenderableType] = []
    dropped: list[str] = []
    if batch.n_examples == 1:
        parts.append(Text(f"{title}: {labels[0]}" if batch.inputs else title, style="bold"))
        fitted = fit(_ranked_grid(batch, probs, 0, k, view), view.width, turn=False)
        assert fitted is not None
        parts += fitted.parts
        dropped += fitted.dropped
        rows = 1
    else:
        heading = view.word("top_per_input", k=k, n=batch.n_classes)
        parts.append(Text(f"{title}: {heading}", style="bold"))
        rows = view.examples_shown(batch.n_examples, lines_each=k)
        combined = _ranked_grid(batch, probs, 0, k, view, rows=rows, with_input=True)
        fitted = fit(combined, view.width, turn=False, blocks=False)
        if fitted is None:  # one block per input
            fitted = Fitted([])
            for row in range(rows):
                one = fit(_ranked_grid(batch, probs, row, k, view), view.width, turn=False)
                assert one is not None
                fitted.parts += [Text("")] * (row > 0) + [Text(labels[row], style="bold"), *one.parts]
                fitted.dropped += one.dropped
        parts += fitted.parts
        dropped += fitted.dropped
    if k < batch.n_classes:
        caption = (
            view.word("top_classes", k=k, n=batch.n_classes) + view.word("clause_separator") + view.word("more_classes")
        )
        parts.append(view.line(caption))
    if rows < batch.n_examples:
        parts.append(view.line(view.word("rows_hidden", hidden=batch.n_examples - rows)))
    parts.extend(dropped_line(dropped, view))
    return parts


def _ranked_grid(
    batch: Batch, probs: np.ndarray, first: int, k: int, view: View, rows: int = 1, with_input: bool = False
) -> Grid:
    """rank, class, logit, softmax and its bar for the top k classes of `rows` inputs from `first`."""
    names = view.class_names(batch)
    labels = example_labels(batch)
    cells: dict[str, list[str]] = {key: [] for key in ("input", "rank", "class", "logit", "softmax", "bar")}
    sections = []
    for row in range(first, first + rows):
        for rank, index in enumerate(np.argsort(-batch.values[row], kind="stable")[:k], start=1):
            p = float(probs[row, index])
            cells["input"].append(labels[row] if rank == 1 else "")
            cells["rank"].append(str(rank))
            cells["class"].append(names[index])
            cells["logit"].append(format_number(batch.values[row, index], view.precision))
            cells["softmax"].append(format_number(p, view.precision))
            cells["bar"].append(probability_bar(p))
        sections.append(len(cells["rank"]) - 1)
    columns = [
        Column(view.word("rank"), tuple(cells["rank"])),
        Column(view.word("class"), tuple(cells["class"]), justify="left"),
        Column(view.word("logit"), tuple(cells["logit"])),
        Column(view.word("softmax"), tuple(cells["softmax"])),
        Column("", tuple(cells["bar"]), "bar", justify="left"),
    ]
    if with_input:
        columns.insert(0, Column(view.word("input"), tuple(cells["input"]), "label", justify="left"))
    else:
        columns[0] = replace(columns[0], kind="label", justify="right")
    return Grid(tuple(columns), sections=tuple(sections[:-1]))


def _logits_matrix(batch: Batch, title: str, view: View) -> list[RenderableType]:
    """Rows are inputs, columns are classes: the logits tensor as the article prints it."""
    rows = view.examples_shown(batch.n_examples)
    labels = example_labels(batch)[:rows]
    columns = [Column(view.word("input"), tuple(labels), "label", justify="left")]
    for col, name in enumerate(view.class_names(batch)):
        columns.append(Column(name, tuple(format_number(v, view.precision) for v in batch.values[:rows, col])))
    fitted = fit(Grid(tuple(columns), corner=view.word("class")), view.width)
    assert fitted is not None
    parts: list[RenderableType] = [Text(f"{title}: {view.word('logits')}", style="bold"), *fitted.parts]
    if rows < batch.n_examples:
        parts.append(view.line(view.word("rows_hidden", hidden=batch.n_examples - rows)))
    return parts
