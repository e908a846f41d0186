"""Long tables are written line by line from plain strings (`LongTable`), with exactly rich's layout.

rich's Table builds a dozen objects per cell: 10,000 rows took 13 s. `LongTable` must print the same text as
`rich_table` for any grid the renderer makes: folded names and headers, headers with their own line breaks,
sections, bars, compact or not, with or without a header, at widths that fold and at natural widths.
"""

from __future__ import annotations

import io

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from logitcli.output.emit import _TRAILING, trimmed
from logitcli.output.grid import RICH_ROWS, Column, Grid, LongTable, column_widths, grid_table, rich_table
from logitcli.output.render import format_number, format_numbers

WORDS = st.text(alphabet="abc xyz#()_-日本", min_size=1, max_size=24).filter(str.strip)
NUMBERS = st.tuples(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from(["", " ", "*"])).map(
    lambda pair: f"{pair[0]:.4f}{pair[1]}"  # the tour flags a misprinted figure with `*`, the others with ` `
)


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


def test_richs_table_only_for_a_screenful_on_a_terminal() -> None:
    def grid(rows: int) -> Grid:
        return Grid((Column("n", tuple(map(str, range(rows))), "label"), Column("v", ("1",) * rows)))

    def uses_rich(rows: int, terminal: bool) -> bool:
        console = Console(file=io.StringIO(), width=40, force_terminal=terminal)
        table = grid_table(grid(rows), [4, 1])
        assert isinstance(table, LongTable)
        calls = []
        original = console.render

        def render(renderable: object, options: object = None) -> object:
            calls.append(type(renderable).__name__)
            return original(renderable, options)  # type: ignore[arg-type]

        console.render = render  # type: ignore[method-assign]
        console.print(table)
        return "Table" in calls

    assert uses_rich(RICH_ROWS, terminal=True)
    assert not uses_rich(RICH_ROWS + 1, terminal=True)
    assert not uses_rich(3, terminal=False)


def test_a_long_tables_header_stays_bold_on_a_terminal() -> None:
    rows = RICH_ROWS + 1
    grid = Grid((Column("name", ("a",) * rows, "label", justify="left"), Column("value", ("1.0",) * rows)))
    stream = io.StringIO()
    console = Console(file=stream, width=40, force_terminal=True, color_system="standard")
    console.print(LongTable(grid, (4, 5)))
    header = next(line for line in stream.getvalue().splitlines() if "name" in line)
    assert "\x1b[1m" in header


@settings(max_examples=80)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from([0.0, -0.0, 4.9999e-5, -5e-5, 1e9, -1e9 + 1, 0.5, -0.00004]),
        ),
        max_size=20,
    ),
    st.integers(0, 17),
)
def test_a_column_formatted_at_once_reads_as_each_number_alone(values: list[float], precision: int) -> None:
    array = np.array(values, dtype=np.float64)
    assert format_numbers(array, precision) == [format_number(v, precision) for v in array]


@settings(max_examples=80)
@given(st.text(alphabet=" \tab1│─\n\x1b[0m", max_size=60))
def test_trimming_plain_text_line_by_line_is_the_regex(text: str) -> None:
    """Piped tables lose their trailing spaces by str.rstrip per line when there is no colour code (fast)."""
    assert trimmed(text) == _TRAILING.sub(r"\1", text)
