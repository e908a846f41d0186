"""Long tables are written line by line from plain strings (`LongTable`), with exactly rich's layout.

rich's Table builds a dozen objects per cell: 10,000 rows took 13 s. `LongTable` must print the same text as
`rich_table` for any grid the renderer makes: folded names and headers, headers with their own line breaks,
sections, bars, compact or not, with or without a header, at widths that fold and at natural widths.
"""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from logitcli.output.grid import RICH_ROWS, Column, Grid, LongTable, column_widths, grid_table, rich_table

WORDS = st.text(alphabet="abc xyz#()_-日本", min_size=1, max_size=24).map(str.strip).filter(bool)
NUMBERS = st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.4f}")


def printed(renderable: object, width: int, terminal: bool = False) -> str:
    stream = io.StringIO()
    console = Console(file=stream, width=width, force_terminal=terminal, color_system=None, highlight=False)
    console.print(renderable)
    return stream.getvalue()


@st.composite
def grids(draw: st.DrawFn) -> Grid:
    n_rows = draw(st.integers(1, 12))
    n_values = draw(st.integers(1, 5))
    label = Column(draw(WORDS), tuple(draw(st.lists(WORDS, min_size=n_rows, max_size=n_rows))), "label", justify="left")
    columns = [label]
    for _ in range(n_values):
        header = draw(st.sampled_from(["x", "exp(x - max)", "log(1 -\nσ)", "a long header that folds"]))
        cells = tuple(draw(st.lists(NUMBERS, min_size=n_rows, max_size=n_rows)))
        columns.append(Column(header, cells, secondary=draw(st.booleans())))
    if draw(st.booleans()):
        columns.append(Column("", tuple("█" * (i % 11) for i in range(n_rows)), "bar", justify="left"))
    sections = tuple(draw(st.sets(st.integers(0, n_rows - 1), max_size=3)))
    return Grid(tuple(columns), sections=sections)


@settings(max_examples=60)
@given(grids(), st.integers(30, 130), st.booleans(), st.booleans(), st.booleans())
def test_long_table_prints_what_rich_prints(grid: Grid, width: int, compact: bool, header: bool, squeeze: bool) -> None:
    widths = column_widths(grid, width if squeeze else None, compact) or column_widths(grid, None, compact)
    assert widths is not None
    console_width = max(width, 200) if not squeeze else width
    expected = printed(rich_table(grid, widths, compact, header), console_width)
    assert printed(LongTable(grid, tuple(widths), compact, header), console_width) == expected


def test_a_console_narrower_than_the_table_gets_richs_own_layout() -> None:
    grid = Grid((Column("name", ("a", "b"), "label", justify="left"), Column("value", ("1.0000", "22.0000"))))
    widths = column_widths(grid, None)
    assert widths is not None
    assert printed(LongTable(grid, tuple(widths)), 8) == printed(rich_table(grid, widths), 8)


def test_only_long_grids_skip_richs_table() -> None:
    def grid(rows: int) -> Grid:
        return Grid((Column("n", tuple(map(str, range(rows))), "label"), Column("v", ("1",) * rows)))

    assert not isinstance(grid_table(grid(RICH_ROWS), [4, 1]), LongTable)
    assert isinstance(grid_table(grid(RICH_ROWS + 1), [4, 1]), LongTable)


def test_the_header_stays_bold_on_a_terminal() -> None:
    grid = Grid((Column("name", ("a",) * 3, "label", justify="left"), Column("value", ("1.0",) * 3)))
    stream = io.StringIO()
    console = Console(file=stream, width=40, force_terminal=True, color_system="standard")
    console.print(LongTable(grid, (4, 5)))
    header = next(line for line in stream.getvalue().splitlines() if "name" in line)
    assert "\x1b[1m" in header
