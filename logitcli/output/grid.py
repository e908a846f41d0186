"""The one width decision every table goes through: which columns fit, when to turn the table, never a cut number.

A `Grid` is a table before layout: plain-text cells in columns, the first naming the rows. `fit` lays it out for
a terminal width, trying in order: every column as it is; without the probability bars; without the secondary
columns (the naive forms a `Step` marks `secondary`); each of those again with one space between columns and no
edges. Up to here nothing wraps: a heading or a row's name never folds while a bar or a secondary column is
still shown (what a table can give up goes first). Only then may headings fold (between words, never inside a
formula: `linebreak`), then the rows' names too; then the table turns (the columns become rows); and last one
small block per row. No column is ever narrower than its longest number, word or formula, so rich never has to
cut one. `fit` returns what it left out so the caller can say so in one line, in its own words.

The chosen layout is drawn by `LongTable`: rich's Table for a screenful on a terminal, else the same lines
written from plain strings, so that a table of 10,000 rows into a file takes well under a second.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType
from rich.measure import Measurement
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from logitcli.output.linebreak import longest_unit, units, wrap_cjk
from logitcli.output.safetext import escape_all, escaped_keeping_lines

if TYPE_CHECKING:
    from rich.table import Table

BAR_WIDTH = 10
LABEL_MIN_WIDTH = 12
HANG = 2  # the indent of a folded name's further lines
_TIGHT = re.compile(r" ([-+·/=×]) ")  # `x - max` -> `x-max`
#: What may fold to fit: nothing; the headings (between words); the headings and the rows' names.
Folding = Literal["none", "headers", "all"]
EDGE = 2  # the table's left and right edge (none when compact)
GAP = 2  # padding and divider between two columns (one space when compact)


@dataclass(frozen=True)
class Column:
    """One column of a grid: plain-text cells; `label` is the row names, `bar` a probability bar."""

    header: str
    cells: tuple[str, ...]
    kind: Literal["label", "value", "bar"] = "value"
    secondary: bool = False
    justify: Literal["left", "right"] = "right"

    def __post_init__(self) -> None:
        """Names from the input (classes, files) may hold control characters: escaped before any width is measured."""
        object.__setattr__(self, "header", escaped_keeping_lines(self.header))
        object.__setattr__(self, "cells", escape_all(self.cells))


@dataclass(frozen=True)
class Grid:
    """A table before layout: the first column names the rows. `sections` are rows after which a line runs."""

    columns: tuple[Column, ...]
    sections: tuple[int, ...] = ()
    corner: str = ""

    @property
    def n_rows(self) -> int:
        return len(self.columns[0].cells)

    def keep(self, wanted: Callable[[Column], bool]) -> Grid:
        return replace(self, columns=tuple(c for c in self.columns if c.kind == "label" or wanted(c)))

    def tightened(self) -> Grid:
        """The same grid with its formula headings written without spaces around operators (`exp(x-max)`):
        narrower, and still whole, before any heading has to fold."""
        columns = tuple(replace(c, header=_TIGHT.sub(r"\1", c.header)) for c in self.columns)
        return replace(self, columns=columns)

    def turned(self) -> Grid:
        """Columns become rows: the step titles name the rows, each old row is a column (bars left out)."""
        values = [c for c in self.columns[1:] if c.kind != "bar"]
        labels = self.columns[0]
        columns = [Column(self.corner, tuple(c.header for c in values), "label", justify="left")]
        for row, name in enumerate(labels.cells):
            columns.append(Column(name, tuple(c.cells[row] for c in values)))
        return Grid(tuple(columns))

    def blocks(self) -> list[tuple[str, Grid]]:
        """One small grid per row: each column's header beside the row's value (bars left out)."""
        values = [c for c in self.columns[1:] if c.kind != "bar"]
        out = []
        for row, name in enumerate(self.columns[0].cells):
            key = Column("", tuple(c.header for c in values), "label", justify="left")
            value = Column("", tuple(c.cells[row] for c in values))
            out.append((name, Grid((key, value))))
        return out


@dataclass
class Fitted:
    """What `fit` chose: the renderables and the headers of the columns it left out (`bars` for the bars)."""

    parts: list[RenderableType]
    dropped: list[str] = field(default_factory=list)


def text_width(text: str) -> int:
    """Terminal cells of a text: its length when ASCII (every number), else rich's count (wide CJK characters)."""
    return len(text) if text.isascii() else cell_len(text)


def _plain_width(cells: Sequence[str]) -> int | None:
    """The widest of `cells` when all are ASCII on one line (a column of numbers), else None."""
    joined = "".join(cells)
    if not joined.isascii() or "\n" in joined:
        return None
    return max(map(len, cells), default=0)


def _longest_word(text: str) -> int:
    return max((text_width(word) for word in text.split()), default=0)


def _natural(column: Column) -> int:
    """The width with nothing wrapped (a header may bring its own line breaks)."""
    if column.kind == "bar":
        return BAR_WIDTH
    cells = _plain_width(column.cells)
    if cells is None:
        cells = max(map(text_width, column.cells), default=0)
    return max([*(text_width(line) for line in column.header.split("\n")), cells])


def _least(column: Column, folding: Folding = "all") -> int:
    """The narrowest a column may be: numbers (and words of text cells) whole; a heading folds only between its
    words (a formula stays whole) and only when `folding` allows; names fold only when it is "all"."""
    natural = _natural(column)
    if column.kind == "bar" or folding == "none":
        return natural
    if column.kind == "label":  # a name may fold, but a formula among the names stays whole
        formulas = max((cell_len(u.strip()) for c in column.cells for u in units(c) if " " in u.strip()), default=0)
        return natural if folding == "headers" else max(min(natural, LABEL_MIN_WIDTH), formulas)
    words = max((_longest_word(c) for c in column.cells), default=0)
    return max(words, longest_unit(column.header), 1)


def table_width(widths: Sequence[int], compact: bool = False) -> int:
    if compact:
        return sum(widths) + len(widths) - 1
    return EDGE + sum(widths) + GAP * (len(widths) - 1)


def column_widths(grid: Grid, width: int | None, compact: bool = False, folding: Folding = "all") -> list[int] | None:
    """Widths for each column that fit `width`, taking from the columns with the most room to spare first;
    None when even the narrowest widths (as `folding` allows) do not fit. `width=None`: every natural width."""
    natural = [_natural(c) for c in grid.columns]
    if width is None or table_width(natural, compact) <= width:
        return natural
    least = [_least(c, folding) for c in grid.columns]
    if table_width(least, compact) > width:
        return None
    widths = list(natural)
    for _ in range(table_width(widths, compact) - width):
        widest = max(range(len(widths)), key=lambda i: widths[i] - least[i])
        widths[widest] -= 1
    return widths


#: On a terminal, tables up to this many rows (a screenful and more) are laid out by rich's Table. Everything
#: else (a pipe, a file, --save, a terminal asked for --rows all) is written by `LongTable`, line by line from
#: plain strings: the same text (tests/test_long_tables.py compares them), without the dozen rich objects per
#: cell that made a 10,000-row table take 13 s, and without importing rich.table at all.
RICH_ROWS = 100


def grid_table(grid: Grid, widths: Sequence[int], compact: bool = False, header: bool = True) -> RenderableType:
    """The table for a grid at the given widths: numbers never wrap, headers and names fold.

    Compact tables drop the edges and keep one space between columns."""
    return LongTable(grid, tuple(widths), compact, header)


def rich_table(grid: Grid, widths: Sequence[int], compact: bool = False, header: bool = True) -> Table:
    """rich's Table for a grid: the reference layout, which `LongTable` reproduces line by line."""
    from rich.table import Table

    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 0 if compact else 1, 0, 0),
        show_edge=not compact,
        show_header=header,
    )
    for column, width in zip(grid.columns, widths, strict=True):
        table.add_column(
            Text(wrap_cjk(column.header, width), overflow="fold"),
            justify=column.justify,
            width=width,
            no_wrap=column.kind == "bar",
            overflow="fold",
        )
    for row in range(grid.n_rows):
        cells = [
            Text(_folded_name(c.cells[row], width) if c.kind == "label" else c.cells[row])
            for c, width in zip(grid.columns, widths, strict=True)
        ]
        table.add_row(*cells, end_section=row in grid.sections)
    return table


def _folded_name(name: str, width: int) -> str:
    """A row's name as it fits `width`: whole, else folded between words with its further lines indented, so
    they do not read as rows of their own."""
    if cell_len(name) <= width:
        return name
    first, *rest = wrap_cjk(name, width).split("\n")
    rest_text = " ".join(rest)
    if not rest or longest_unit(rest_text) > width - HANG:  # no room to indent: fold as it comes
        return "\n".join([first, *rest])
    tail = wrap_cjk(rest_text, width - HANG).split("\n")
    return "\n".join([first, *(" " * HANG + line for line in tail)])


@dataclass(frozen=True)
class LongTable:
    """A grid laid out as `rich_table` lays it out, built from plain strings.

    A cell that fits its column on one line (every number, most names) is padded with str methods; only a
    cell that folds, and the header, go through rich. rich's own Table does the work for a short table on a
    terminal (its styles are rich's), and where the console is narrower than the table or its box characters
    are replaced.
    """

    grid: Grid
    widths: tuple[int, ...]
    compact: bool = False
    header: bool = True

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = table_width(self.widths, self.compact)
        return Measurement(width, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        the_box = box.SIMPLE_HEAD.substitute(options, safe=console.safe_box)
        too_wide = table_width(self.widths, self.compact) > options.max_width
        on_screen = console.is_terminal and self.grid.n_rows <= RICH_ROWS
        if too_wide or on_screen or the_box is not box.SIMPLE_HEAD:
            yield from console.render(rich_table(self.grid, self.widths, self.compact, self.header), options)
            return
        columns = self.grid.columns
        sections = set(self.grid.sections)
        pads = [0 if self.compact or i == len(columns) - 1 else 1 for i in range(len(columns))]
        spans = [width + pad for width, pad in zip(self.widths, pads, strict=True)]
        edge = "" if self.compact else " "
        line = Segment.line()
        if not self.compact:
            yield Segment(the_box.get_top(spans))
            yield line
        if self.header:
            header_style = console.get_style("table.header")
            cells = [
                self._folded(console, options, wrap_cjk(c.header, self.widths[i]), i, header_style)
                for i, c in enumerate(columns)
            ]
            height = max(len(cell) for cell in cells)
            cells = [[" " * spans[i]] * (height - len(cell)) + cell for i, cell in enumerate(cells)]  # bottom
            for row in zip(*cells, strict=True):
                yield Segment(edge)
                yield Segment(" ".join(row), header_style)
                yield Segment(edge)
                yield line
            yield Segment(the_box.get_row(spans, "head", edge=not self.compact))
            yield line
        section = Segment(the_box.get_row(spans, "row", edge=not self.compact))
        shown = [self._shown(i) for i in range(len(columns))]
        folding: set[int] = set()
        padded = [self._padded(i, cells, folding) for i, cells in enumerate(shown)]
        last = self.grid.n_rows - 1
        for row, cells in enumerate(zip(*padded, strict=True)):
            if row in folding:
                yield from self._folded_row(console, options, [column[row] for column in shown], spans, edge)
            else:
                yield Segment(edge + " ".join(cells) + edge)
                yield line
            if row in sections and row != last:
                yield section
                yield line
        if not self.compact:
            yield Segment(the_box.get_bottom(spans))
            yield line

    def _shown(self, index: int) -> Sequence[str]:
        """A column's cells as `rich_table` gives them to rich: a row's name folded between words if too long."""
        column, width = self.grid.columns[index], self.widths[index]
        plain = _plain_width(column.cells)
        if column.kind != "label" or (plain is not None and plain <= width):
            return column.cells
        return [_folded_name(cell, width) for cell in column.cells]

    def _padded(self, index: int, shown: Sequence[str], folding: set[int]) -> list[str]:
        """A column's cells padded to its width, with `folding` told the rows of the cells that do not fit."""
        column, width = self.grid.columns[index], self.widths[index]
        pad = "" if self.compact or index == len(self.grid.columns) - 1 else " "
        right = column.justify == "right"
        plain = _plain_width(shown)
        if plain is not None and plain <= width:  # every number column: str's own padding, in C
            if right:  # as rich, which right-justifies a line without its trailing spaces
                return [cell.rstrip().rjust(width) + pad for cell in shown]
            return [cell.ljust(width) + pad for cell in shown]
        cells = []
        for row, text in enumerate(shown):
            text = text.rstrip() if right else text
            room = width - text_width(text)
            if room < 0 or "\n" in text:
                folding.add(row)
            cells.append((" " * room + text if right else text + " " * room) + pad)
        return cells

    def _folded_row(
        self, console: Console, options: ConsoleOptions, row: Sequence[str], spans: list[int], edge: str
    ) -> Iterator[Segment]:
        """A row with a cell that folds: each cell as rich lays it out, top-aligned as rich aligns them."""
        cells = [self._folded(console, options, text, i) for i, text in enumerate(row)]
        for line_no in range(max(len(cell) for cell in cells)):
            parts = [cell[line_no] if line_no < len(cell) else " " * spans[i] for i, cell in enumerate(cells)]
            yield Segment(edge + " ".join(parts) + edge)
            yield Segment.line()

    def _folded(
        self, console: Console, options: ConsoleOptions, text: str, index: int, style: Style | None = None
    ) -> list[str]:
        """One cell as rich lays it out (folded to its column, justified, padded), as lines of plain text."""
        column = self.grid.columns[index]
        pad = 0 if self.compact or index == len(self.grid.columns) - 1 else 1
        render_options = options.update(
            width=self.widths[index] + pad,
            justify=column.justify,
            no_wrap=column.kind == "bar",
            overflow="fold",
            height=None,
        )
        renderable = Padding(Text(text, overflow="fold"), (0, pad, 0, 0))
        lines = console.render_lines(renderable, render_options, style=style)
        return ["".join(segment.text for segment in line) for line in lines]


def fit(grid: Grid, width: int | None, *, turn: bool = True, blocks: bool = True) -> Fitted | None:
    """The one width decision: bars go first, then secondary columns, and only then may a heading or a name fold;
    then the table turns, then blocks."""
    bars = [c for c in grid.columns if c.kind == "bar"]
    without_bars = grid.keep(lambda c: c.kind != "bar")
    secondary = [c for c in without_bars.columns if c.secondary]
    levels: list[tuple[Grid, list[str]]] = [(grid, [])]
    if bars:
        levels.append((without_bars, ["bars"]))
    narrow, narrow_dropped = levels[-1]
    if secondary:
        narrow = without_bars.keep(lambda c: not c.secondary)
        narrow_dropped = ["bars"] * bool(bars) + [c.header for c in secondary]
        levels.append((narrow, narrow_dropped))
    tries: list[tuple[Grid, list[str], bool, Folding]] = [
        (candidate, dropped, compact, "none") for compact in (False, True) for candidate, dropped in levels
    ]
    tight = narrow.tightened()
    tries += [(tight, narrow_dropped, compact, "none") for compact in (False, True)]
    tries += [(tight, narrow_dropped, compact, folding) for folding in ("headers", "all") for compact in (False, True)]

    def turned() -> Iterator[tuple[Grid, list[str], Folding]]:
        """The turned tables, each built only when reached: a long grid turned has a column per row."""
        yield without_bars.turned(), ["bars"] * bool(bars), "none"
        yield narrow.turned(), narrow_dropped, "none"
        tight_turned = tight.turned()
        yield tight_turned, narrow_dropped, "none"
        yield tight_turned, narrow_dropped, "all"

    every_try: Iterable[tuple[Grid, list[str], bool, Folding]] = tries
    if turn and grid.n_rows > 1:
        turned_tries = (
            (candidate, dropped, compact, folding)
            for candidate, dropped, folding in turned()
            for compact in (False, True)
        )
        every_try = itertools.chain(tries, turned_tries)
    for candidate, dropped, compact, folding in every_try:
        widths = column_widths(candidate, width, compact, folding)
        if widths is not None:
            return Fitted([grid_table(candidate, widths, compact)], dropped)
    if not blocks:
        return None
    parts: list[RenderableType] = []
    blocks = narrow.blocks()
    if not blocks:
        return Fitted(parts, narrow_dropped)
    # One set of widths for every block, so the values line up from one block to the next.
    every = Grid((blocks[0][1].columns[0], Column("", tuple(c for _, b in blocks for c in b.columns[1].cells))))
    widths = column_widths(every, width, compact=True) or _squeezed(every, width)
    for name, block in blocks:
        parts.append(Text(name, style="bold"))
        parts.append(grid_table(block, widths, compact=True, header=False))
    return Fitted(parts, narrow_dropped)


def _squeezed(grid: Grid, width: int | None) -> list[int]:
    """Last resort for a terminal narrower than a number and its name: the values whole, the names what is left."""
    least = [_least(c) for c in grid.columns]
    room = (width or 0) - table_width([0, *least[1:]], compact=True)
    return [max(room, 1), *least[1:]]


def packed(items: Sequence[str], width: int | None, separator: str = "   ") -> Text:
    """`title = value` items on as few lines as fit, never breaking inside an item."""
    lines: list[str] = []
    for item in items:
        if width is not None and cell_len(item) > width:  # a long equation breaks before its `=`, as in print
            pieces = item.split(" = ")
            lines += [wrap_cjk(piece if i == 0 else f"= {piece}", width) for i, piece in enumerate(pieces)]
            continue
        if lines and (width is None or cell_len(lines[-1] + separator + item) <= width):
            lines[-1] += separator + item
        else:
            lines.append(item)
    return Text("\n".join(lines))
