"""What a user sees at 40, 60, 80 and 120 columns: no row name or heading wraps while a bar is still shown, no
formula is split across lines (tables, their titles and the tour's prose), no line ends in spaces when piped or
saved, and a blank line between blocks. Each check reads the text as a person would, not the code's choices."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from logitcli.cli.commands import app
from logitcli.output.grid import Column, Grid, fit
from logitcli.output.linebreak import units, wrap_cjk

WIDTHS = (40, 60, 80, 120)
BARS = set("█▏▎▍▌▋▊▉")
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]\d+)?|nan|-?inf")
TEN = json.dumps([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0.5, -1, 2, 0, 3, 1, -2, 4, 0.1, 1.5]])
CASES = {
    "xent": ["xent", "2", "1", "0.1", "--targets", "0", "--grad", "--lr", "0.5"],
    "xent-10": ["xent", TEN, "--targets", "3,7", "--grad"],
    "bce-pw": ["bce", "[1, -2, 0.5]", "--targets", "1,0,1", "--pos-weight", "2,1,1", "--grad", "--lr", "0.5"],
    "smoothing": ["xent", "2", "1", "0.1", "--targets", "0", "--label-smoothing", "0.1", "--grad"],
    "nll": ["nll", "-1.2", "-0.4", "-2", "--targets", "1", "--grad"],
}


def invoke(args: list[str], width: int, **env: str) -> str:
    result = CliRunner().invoke(app, args, env={"COLUMNS": str(width), **env}, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def tables(text: str) -> list[tuple[list[str], list[str]]]:
    """Each table as (header lines, body lines): the header runs from the blank line above to the rule."""
    lines = text.splitlines()
    found = []
    for index, line in enumerate(lines):
        if line.strip() and set(line.strip()) <= {"─"}:
            start = index
            while start > 0 and lines[start - 1].strip() and not lines[start - 1].startswith(("xent", "bce", "nll")):
                start -= 1
            end = index + 1
            while end < len(lines) and lines[end].strip():
                end += 1
            found.append((lines[start:index], lines[index + 1 : end]))
    return found


def split_formula(text: str) -> list[str]:
    """Lines that end inside a formula (`exp(x -`, `log(1 -`) or go on with one (`- max)`, `'(x)`, `σ)`)."""
    bad = []
    for line in text.splitlines():
        if "┤" in line:  # a plotted curve's dots are not a formula
            continue
        stripped = line.rstrip().rstrip("│").rstrip()
        if re.search(r"(^|\s)[-+·/=×]$", stripped) or re.search(r"\w\($", stripped):
            bad.append(line)
        if re.match(r"^[│\s]*([-+·/×]\s|'\(|\)|σ\))", line):  # a long equation may break before `=`
            bad.append(line)
    return bad


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("case", CASES)
def test_no_row_name_or_heading_wraps_while_bars_show(case: str, width: int) -> None:
    text = invoke([*CASES[case], "--table"], width)
    for header, body in tables(text):
        if not any(BARS & set(line) for line in body):
            continue
        assert len(header) == 1, f"{case} at {width}: a heading wraps beside bars:\n" + "\n".join(header)
        for line in body:  # a row name's second line would be a line with no number on it
            assert NUMBER.search(line), f"{case} at {width}: a row name wraps beside bars: {line!r}\n{text}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("case", CASES)
def test_no_formula_is_split_in_a_table(case: str, width: int) -> None:
    text = invoke([*CASES[case], "--table"], width)
    assert not split_formula(text), f"{case} at {width}:\n{text}"


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("width", [40, 60])
def test_the_tour_splits_no_formula_and_no_row_name_beside_bars(lang: str, width: int) -> None:
    text = invoke(["explain", "--lang", lang], width)
    assert not split_formula(text), split_formula(text)
    for header, body in tables(text):
        if any(BARS & set(line) for line in body):
            assert len(header) == 1, "\n".join(header)
            assert all(NUMBER.search(line) for line in body), "\n".join(body)


def test_the_tour_at_40_columns_shows_the_comparison_as_tables_with_values_beside_every_name() -> None:
    text = invoke(["explain", "--section", "softmax"], 40)
    part = text[text.index("figures next to") : text.index("marks a printed")]
    for _header, body in tables(part):
        for line in body:
            assert NUMBER.search(line), line
    assert re.search(r"^ ?Σ\s+56\.4157\s+56\.3330\*", part, re.MULTILINE)  # Σ's row has its values, no empty rows


def test_a_formula_is_one_unit_for_the_line_breaker() -> None:
    assert units("log(1 - σ)") == ["log(1 - σ)"]
    assert units("1 + (pw - 1)·y") == ["1 + (pw - 1)·y"]
    assert "exp(x - max) " in units("the columns x - max and exp(x - max) are")
    assert "x - max " in units("the columns x - max and exp(x - max) are")
    for width in (30, 40, 50):
        text = wrap_cjk("its derivative: σ'(x) = σ(x) · (1 - σ(x)), largest at 0; see exp(x - max) too", width)
        assert not split_formula(text), text


def test_fit_folds_no_heading_while_a_bar_is_shown() -> None:
    label = Column("class", ("class 0 ◀ target", "class 1"), "label", justify="left")
    grid = Grid(
        (
            label,
            Column("log softmax", ("-0.4170", "-1.4170")),
            Column("", ("██████▋   ", "██▍       "), "bar", justify="left"),
            Column("x - 0.5·∂L/∂x", ("2.1705", "0.8788")),
        )
    )
    for width in range(30, 80):
        fitted = fit(grid, width)
        assert fitted is not None
        if "bars" not in fitted.dropped:
            table = fitted.parts[0]
            widths = list(table.widths)  # a LongTable: the widths it draws, as rich's Table would
            assert widths[0] >= len("class 0 ◀ target") and widths[1] >= len("log softmax"), width


@pytest.mark.parametrize("case", CASES)
def test_piped_tables_and_txt_saves_have_no_trailing_spaces(case: str, tmp_path: Path) -> None:
    saved = tmp_path / "out.txt"
    text = invoke([*CASES[case], "--table", "--save", str(saved)], 80)
    for name, content in (("stdout", text), ("save", saved.read_text(encoding="utf-8"))):
        trailing = [line for line in content.splitlines() if line != line.rstrip()]
        assert not trailing, f"{name}: {trailing[:3]}"


def test_a_blank_line_between_the_loss_and_the_descent_step() -> None:
    text = invoke([*CASES["xent"], "--table"], 80)
    lines = text.splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("one step of gradient descent"))
    assert lines[title - 1] == ""


def test_each_examples_block_is_set_apart_from_the_next_title() -> None:
    many = json.dumps([[float(i % 7) for i in range(30)], [float(i % 5) for i in range(30)]])
    lines = invoke(["softmax", many, "--table"], 80).splitlines()
    second = next(i for i, line in enumerate(lines) if line.startswith("softmax: #1"))
    assert lines[second - 1] == ""


def test_bce_names_every_column_and_label_smoothing_shows_its_mix() -> None:
    text = invoke([*CASES["bce-pw"], "--table"], 200)
    header = tables(text)[0][0][0]
    assert "f = 1 + (pw - 1)·y" in header and re.search(r"(^|\s\s)f(\s\s|$)", header) is None
    smoothed = invoke([*CASES["smoothing"], "--table"], 120)
    assert re.search(r"\bq\b", tables(smoothed)[0][0][0])  # the smoothed target, as the soft-target table shows it
    assert "loss = (1 - 0.1)·nll + 0.1/3·smooth = (1 - 0.1)·0.4170 + 0.1/3·" in smoothed
    assert "-w[target] / denominator = -1.0000" in invoke([*CASES["nll"], "--table"], 120)


def test_formula_headings_lose_their_spaces_before_anything_folds() -> None:
    five = ["softmax", "-0.2135", "-0.0248", "3.985", "-4.235", "-0.1831", "--classes", "horse,ball,fish,car,stick"]
    text = invoke([*five, "--table"], 40)
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if set(line.strip()) == {"─"})
    assert lines[rule - 2] == "softmax" and "exp(x-max)" in lines[rule - 1], text  # one heading line, a table
    assert "exp(x - max)" in invoke([*five, "--table"], 80)  # with room, the formula keeps its spaces


def test_a_folded_row_name_indents_its_further_lines() -> None:
    from logitcli.output.grid import _folded_name

    assert _folded_name("a long image name.png", 12) == "a long image\n  name.png"
    assert _folded_name("short", 12) == "short"
    assert _folded_name("f = 1 + (pw - 1)·y", 30) == "f = 1 + (pw - 1)·y"


@pytest.mark.parametrize("width", WIDTHS)
def test_japanese_tables_fit_and_keep_formulas_whole(width: int) -> None:
    from rich.cells import cell_len

    for case in ("xent", "bce-pw"):
        text = invoke([*CASES[case], "--table", "--lang", "ja"], width)
        assert all(cell_len(line) <= width for line in text.splitlines()), text
        assert not split_formula(text), text
