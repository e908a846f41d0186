"""Lay a `Tour` out with rich: headings, prose, the same tables the commands print, a curve, bars.

Readable from 80 to 160 columns: prose is kept to `PROSE_WIDTH` columns however wide the terminal, tables
take what they need. Colours are decoration only (styles), so with `color_system=None` or piped output the
text is plain and identical on every machine, which the golden tests rely on.
"""

from __future__ import annotations

import numpy as np
from rich import box
from rich.console import Console, Group, RenderableType
from rich.constrain import Constrain
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from logitcli.render import calculation_renderables, format_number, probability_bar
from logitcli.tour.data import Bars, Block, CalcTable, Check, Comparison, Curve, Prose, Section, Tour
from logitcli.tour.plot import MARK, ascii_curve
from logitcli.tour.wrap import wrap_cjk

PROSE_WIDTH = 100
BAR_WIDTH = 10


def render_tour(tour: Tour, console: Console, *, precision: int = 4) -> None:
    """Print the whole tour; the caller picks the console (width, pager, stdout)."""
    width = min(console.width, PROSE_WIDTH)
    console.print(Panel(Text(tour.title, style="bold"), box=box.DOUBLE, width=width))
    console.print(_prose(tour.intro, width))
    for section in tour.sections:
        console.print(_section(section, tour, width, precision))


def _section(section: Section, tour: Tour, width: int, precision: int) -> RenderableType:
    parts: list[RenderableType] = [Rule(Text(section.title, style="bold cyan"), align="left", characters="━")]
    for block, after in zip(section.blocks, (*section.blocks[1:], None), strict=True):
        if isinstance(block, Check):  # a run of checks (one per temperature) stays together
            parts.append(_check(block, spaced=not isinstance(after, Check)))
        else:
            parts.append(_block(block, tour, width, precision))
    return Group(*parts, Text(""))


def _block(block: Block, tour: Tour, width: int, precision: int) -> RenderableType:
    if isinstance(block, Prose):
        if block.kind == "paragraph":
            return _prose(block.text, width)
        title = tour.notice_title if block.kind == "notice" else tour.note_title
        style = "green" if block.kind == "notice" else "yellow"
        body = Text(wrap_cjk(block.text, width - 4))
        panel = Panel(body, title=title, title_align="left", border_style=style, width=width)
        return Padding(panel, (0, 0, 1, 0))
    if isinstance(block, CalcTable):
        return _calc_table(block, precision)
    if isinstance(block, Curve):
        return _curve(block, precision)
    if isinstance(block, Bars):
        return _bars(block, precision)
    if isinstance(block, Comparison):
        return _comparison(block, precision)
    raise TypeError(f"unknown block {block!r}")


def _prose(text: str, width: int) -> RenderableType:
    return Padding(Constrain(Text(wrap_cjk(text, width)), width), (0, 0, 1, 0))


def _check(check: Check, spaced: bool = True) -> RenderableType:
    if check.result is None:
        style = "dim"
    else:
        style = "green" if check.result.matches else "bold red"
    text = Text(check.text, style=style)
    return Padding(text, (0, 0, 1, 0)) if spaced else text


def _calc_table(block: CalcTable, precision: int) -> RenderableType:
    parts: list[RenderableType] = []
    if block.caption:
        parts.append(Text(block.caption, style="bold"))
    parts.extend(calculation_renderables(block.calc, block.batch, precision=precision, top_k=block.top_k))
    if block.check is not None:
        parts.append(_check(block.check))
    else:
        parts.append(Text(""))
    return Group(*parts)


def _curve(curve: Curve, precision: int) -> RenderableType:
    lines = ascii_curve(curve.xs, curve.ys, [(m.x, m.y) for m in curve.marks], y_range=curve.y_range)
    parts: list[RenderableType] = [Text(curve.caption, style="bold"), Text("\n".join(lines), no_wrap=True)]
    for mark in curve.marks:
        point = f"({format_number(mark.x, precision)}, {format_number(mark.y, precision)})"
        parts.append(Text(f"{MARK} {mark.label} {point}"))
    if curve.clipped_note:
        parts.append(Text(curve.clipped_note, style="dim"))
    return Padding(Group(*parts), (0, 0, 1, 0))


def _bars(bars: Bars, precision: int) -> RenderableType:
    table = Table(title=Text(bars.caption), title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column(escape(bars.class_header))
    for label, _ in bars.series:
        table.add_column(escape(label), no_wrap=True)
    first = bars.series[0][1]
    order = np.argsort(-first, kind="stable")
    if bars.top_k is None:
        order = np.arange(len(first))
    else:
        order = order[: bars.top_k]
    for index in order:
        cells = [escape(bars.classes[index])]
        for _, values in bars.series:
            p = float(values[index])
            cells.append(f"{probability_bar(p, BAR_WIDTH)} {format_number(p, precision)}")
        table.add_row(*cells)
    return table


def _comparison(comparison: Comparison, precision: int) -> RenderableType:
    """One row per class (and Σ), one column per figure: headers may wrap, numbers never do."""
    table = Table(title=Text(comparison.caption), title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("")
    for row in comparison.rows:
        table.add_column(escape(row.label), justify="right", no_wrap=False, min_width=8)
    for i, column in enumerate(comparison.columns):
        cells = [escape(column)]
        for row in comparison.rows:
            if i >= len(row.values):
                cells.append("")
                continue
            flag = "*" if i < len(row.differs) and row.differs[i] else " "
            cells.append(format_number(float(row.values[i]), precision) + flag)
        table.add_row(*cells)
    parts: list[RenderableType] = [table]
    if comparison.legend:
        parts.append(Text(comparison.legend, style="dim"))
    return Padding(Group(*parts), (0, 0, 1, 0))
