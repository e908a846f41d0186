"""Lay a `Tour` out with rich: headings, prose, the same tables the commands print, a curve, bars.

Readable from 40 to 160 columns: prose is kept to `PROSE_WIDTH` columns however wide the terminal, tables
fit the terminal as the commands' tables do (`render.fit`), in the tour's language. Colours are decoration
only (styles), so with `color_system=None` or piped output the text is plain and identical on every
machine, which the golden tests rely on.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.constrain import Constrain
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.text import Text

from logitcli.output.reliability import reliability_diagram
from logitcli.output.render import (
    Column,
    Grid,
    View,
    calculation_renderables,
    dropped_line,
    fit,
    format_number,
    probability_bar,
)
from logitcli.tour.data import (
    Bars,
    Block,
    CalcTable,
    Check,
    Comparison,
    ComparisonRow,
    Curve,
    Prose,
    Reliability,
    Section,
    Tour,
)
from logitcli.tour.plot import MARK, ascii_curve
from logitcli.tour.wrap import wrap_cjk

PROSE_WIDTH = 100
BAR_WIDTH = 10
CURVE_MARGIN = 8  # the y tick labels and the axis beside the plotted columns
MIN_CURVE_SAMPLES = 21
COMPARISON_HEADER = 14  # the comparison's long headers are broken to lines of this many cells (between words)


def render_tour(tour: Tour, console: Console, *, precision: int = 4, view: View | None = None) -> None:
    """Print the whole tour; the caller picks the console (width, pager, stdout) and may pass the tables' view.

    Tables fit `view.width` (the console's width unless given; None lays every column out in full), in the
    tour's own words (`tour.labels`).
    """
    view = view or View(width=console.width, precision=precision)
    view = replace(view, labels={**tour.labels, **view.labels}, wrap=wrap_cjk)
    width = min(console.width, PROSE_WIDTH)
    console.print(Panel(Text(wrap_cjk(tour.title, width - 4), style="bold"), box=box.DOUBLE, width=width))
    console.print(Constrain(_prose(tour.intro, width), width))
    for section in tour.sections:
        console.print(_section(section, tour, width, view))


def _section(section: Section, tour: Tour, width: int, view: View) -> RenderableType:
    parts: list[RenderableType] = [_heading(section.title, width)]
    for block, after in zip(section.blocks, (*section.blocks[1:], None), strict=True):
        if isinstance(block, Check):  # a run of checks (one per temperature) stays together
            part = _check(block, width, spaced=not isinstance(after, Check))
        else:
            part = _block(block, tour, width, view)
        # Tables take the width their view allows (all they need with --wide); everything else keeps to `width`.
        parts.append(part if isinstance(block, CalcTable | Bars | Comparison) else Constrain(part, width))
    return Group(*parts, Text(""))


def _heading(title: str, width: int) -> RenderableType:
    """A rule with the title in it; a title too long for the line wraps above a plain rule instead.

    The section number keeps to its words (a no-break space)."""
    if cell_len(title) + 6 <= width:
        return Constrain(Rule(Text(title, style="bold cyan"), align="left", characters="━"), width)
    title = re.sub(r"^(\d+\.) ", "\\1\u00a0", title)
    return Group(Text(wrap_cjk(title, width), style="bold cyan"), Text("━" * width, style="bright_green"))


def _block(block: Block, tour: Tour, width: int, view: View) -> RenderableType:
    if isinstance(block, Prose):
        if block.kind == "paragraph":
            return _prose(block.text, width)
        title = tour.notice_title if block.kind == "notice" else tour.note_title
        style = "green" if block.kind == "notice" else "yellow"
        body = Text(wrap_cjk(block.text, width - 4))
        panel = Panel(body, title=title, title_align="left", border_style=style, width=width)
        return Padding(panel, (0, 0, 1, 0))
    if isinstance(block, CalcTable):
        return _calc_table(block, width, view)
    if isinstance(block, Curve):
        return _curve(block, width, view.precision)
    if isinstance(block, Bars):
        return _bars(block, width, view)
    if isinstance(block, Comparison):
        return _comparison(block, width, view)
    if isinstance(block, Reliability):
        return _reliability(block, width)
    raise TypeError(f"unknown block {block!r}")


def _reliability(block: Reliability, width: int) -> RenderableType:
    """The command's own diagram, its words in the tour's language."""
    words = {"diagram_legend": block.legend, "diagram_too_narrow": block.too_narrow, "diagram_axis": block.axis}
    lines = reliability_diagram(block.bins, width, wrap_cjk(block.caption, width), words)
    return Padding(Group(*lines), (0, 0, 1, 0))


def _prose(text: str, width: int) -> RenderableType:
    return Padding(Constrain(Text(wrap_cjk(text, width)), width), (0, 0, 1, 0))


def _check(check: Check, width: int, spaced: bool = True) -> RenderableType:
    if check.result is None:
        style = "dim"
    else:
        style = "green" if check.result.matches else "bold red"
    text = Text(wrap_cjk(check.text, width), style=style)
    return Padding(text, (0, 0, 1, 0)) if spaced else text


def _calc_table(block: CalcTable, width: int, view: View) -> RenderableType:
    parts: list[RenderableType] = []
    if block.caption:
        parts.append(Text(wrap_cjk(block.caption, width), style="bold"))
    parts.extend(calculation_renderables(block.calc, block.batch, replace(view, top_k=block.top_k)))
    if block.check is not None:
        parts.append(Constrain(_check(block.check, width), width))
    else:
        parts.append(Text(""))
    return Group(*parts)


def _curve(curve: Curve, width: int, precision: int) -> RenderableType:
    """The sampled curve, with fewer samples (every few points, the ends kept) where the line is narrower."""
    xs, ys = curve.xs, curve.ys
    room = width - CURVE_MARGIN
    if len(xs) > room >= MIN_CURVE_SAMPLES:
        keep = np.unique(np.linspace(0, len(xs) - 1, room).round().astype(int))
        xs, ys = xs[keep], ys[keep]
    lines = ascii_curve(xs, ys, [(m.x, m.y) for m in curve.marks], y_range=curve.y_range)
    parts: list[RenderableType] = [Text(curve.caption, style="bold"), Text("\n".join(lines), no_wrap=True)]
    for mark in curve.marks:
        point = f"({format_number(mark.x, precision)}, {format_number(mark.y, precision)})"
        parts.append(Text(f"{MARK} {mark.label} {point}"))
    if curve.clipped_note:
        parts.append(Text(wrap_cjk(curve.clipped_note, width), style="dim"))
    return Padding(Group(*parts), (0, 0, 1, 0))


def _bars(bars: Bars, width: int, view: View) -> RenderableType:
    """One row per class, a probability and its bar per setting (the bars go first when the line is narrow)."""
    first = bars.series[0][1]
    order = np.arange(len(first)) if bars.top_k is None else np.argsort(-first, kind="stable")[: bars.top_k]
    columns = [Column(bars.class_header, tuple(bars.classes[i] for i in order), "label", justify="left")]
    for label, values in bars.series:
        columns.append(Column(label, tuple(format_number(float(values[i]), view.precision) for i in order)))
        bar = tuple(probability_bar(float(values[i]), BAR_WIDTH) for i in order)
        columns.append(Column("", bar, "bar", justify="left"))
    fitted = fit(Grid(tuple(columns), corner=bars.class_header), view.width)
    assert fitted is not None
    parts = [Text(wrap_cjk(bars.caption, width)), *fitted.parts, *dropped_line(fitted.dropped, view)]
    return Group(*parts)


def _comparison(comparison: Comparison, width: int, view: View) -> RenderableType:
    """One row per class (and Σ), one column per figure: headers may wrap, numbers never do. Where that is too
    wide, the figures are shared out over as few tables as fit, in order, each with only the classes that have
    a value in it (Σ has no softmax)."""
    cells = [[_comparison_cell(row, i, view) for i in range(len(comparison.columns))] for row in comparison.rows]
    parts: list[RenderableType] = [Text(wrap_cjk(comparison.caption, width))]
    figures = list(range(len(comparison.rows)))
    while figures:
        chosen, fitted = figures[:1], None
        for end in range(len(figures), 0, -1):
            table = fit(_figures_grid(comparison, cells, figures[:end]), view.width, turn=False, blocks=False)
            if table is not None:
                chosen, fitted = figures[:end], table
                break
        if fitted is None:  # narrower than one figure and the class names: one block per class
            fitted = fit(_figures_grid(comparison, cells, chosen), view.width)
            assert fitted is not None
        parts += fitted.parts
        figures = figures[len(chosen) :]
    if comparison.legend:
        parts.append(Text(wrap_cjk(comparison.legend, width), style="dim"))
    return Group(*parts, Text(""))


def _comparison_cell(row: ComparisonRow, i: int, view: View) -> str:
    if i >= len(row.values):
        return ""
    flag = "*" if i < len(row.differs) and row.differs[i] else " "
    return format_number(float(row.values[i]), view.precision) + flag


def _figures_grid(comparison: Comparison, cells: list[list[str]], figures: list[int]) -> Grid:
    """The classes that have a value among `figures` as rows, those figures as columns."""
    classes = [c for c in range(len(comparison.columns)) if any(cells[f][c] for f in figures)]
    columns = [Column("", tuple(comparison.columns[c] for c in classes), "label", justify="left")]
    for f in figures:
        header = wrap_cjk(comparison.rows[f].label.replace("（", "\n（"), COMPARISON_HEADER)  # a gloss on its own line
        columns.append(Column(header, tuple(cells[f][c] for c in classes)))
    return Grid(tuple(columns))
