"""Tables fit the terminal at 40, 60, 80 and 120 columns, and never cut a number.

For each command (and the tour, in both languages, and an image run) the table is printed at a fixed width
and every number of the same call's JSON result must appear in it whole, as `--precision 4` prints it; no
line may be wider than the terminal and no cell may end in rich's ellipsis.
"""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from conftest import BEAR_CLASSES, BEAR_LOGITS, FIVE_CLASS_LOGITS, SAMPLE_DATA
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from logitcli.cli.commands import app
from logitcli.inputs.batch import Batch
from logitcli.output.jsonout import dumps
from logitcli.output.render import (
    DEFAULT_TOP_K,
    LABELS,
    View,
    calculation_renderables,
    fit,
    format_distinct,
    format_number,
)
from logitcli.steps import cross_entropy, softmax
from logitcli.tour import LANGS, build_tour, render_tour, tour_to_json

WIDTHS = (40, 60, 80, 120)
NUMBER = re.compile(r"-?\d+\.\d+(?:e[+-]\d+)?|-?inf\b|\bnan\b")
BEAR = json.dumps(BEAR_LOGITS)
FIVE = [str(v) for v in FIVE_CLASS_LOGITS]

K_TARGETS = json.dumps([[[0, 1], [2, 0]]] * 2)
COMMANDS = {
    "sigmoid one": ["sigmoid", "-0.1522"],
    "sigmoid many": ["sigmoid", "-1000", "-0.1522", "0", "3.5", "1000"],
    "softmax article": ["softmax", *FIVE, "--classes", "horse,ball,fish,car,stick"],
    "softmax batch": ["softmax", BEAR, "--classes", ",".join(BEAR_CLASSES)],
    "softmax temperature": ["softmax", "2", "1", "0.1", "-T", "0.5"],
    "softmax ten classes": ["softmax", json.dumps([[float(i) - 4.5 for i in range(10)]] * 3)],
    "nll": ["nll", "[[-0.4, -1.2, -2.3], [-1.5, -0.3, -2.0]]", "--targets", "0,1", "--reduction", "none"],
    "xent one": ["xent", "2", "1", "0.1", "--targets", "0"],
    "xent batch": ["xent", BEAR, "--targets", "1,0,2,0,2", "--weight", "0.2,1,3"],
    "xent ignored": ["xent", "2", "1", "0.1", "--targets", "0", "--ignore-index", "0"],
    "xent smoothing": ["xent", BEAR, "--targets", "1,0,2,0,2", "--label-smoothing", "0.1", "--reduction", "none"],
    "xent soft": ["xent", "[[2, 1, 0.1]]", "--targets", "[[0.7, 0.2, 0.1]]"],
    "bce one": ["bce", "-0.1522", "--targets", "1", "--pos-weight", "2"],
    "bce batch": ["bce", "[[1.2, -0.3, 2.0], [0.5, 0.1, -2]]", "--targets", "[[1, 0, 1], [0, 1, 1]]"],
    "logits matrix": ["logits", BEAR, "--classes", ",".join(BEAR_CLASSES)],
    "many classes": ["softmax", json.dumps(np.linspace(-3, 3, 200).tolist())],
    "xent grad descent": ["xent", BEAR, "--targets", "1,0,2,0,2", "--grad", "--lr", "1"],
    "xent grad one": ["xent", "2", "1", "0.1", "--targets", "0", "--grad", "--lr", "0.5", "--label-smoothing", "0.1"],
    "nll grad": ["nll", "[[-0.4, -1.2, -2.3], [-1.5, -0.3, -2.0]]", "--targets", "0,1", "--grad"],
    "bce grad": ["bce", "[[1.2, -0.3, 2.0]]", "--targets", "[[1, 0, 1]]", "--pos-weight", "2", "--grad", "--lr", "1"],
    "bce probs grad": ["bce", "--probs", "0.9", "0.2", "0.5", "--targets", "1,0,1", "--grad"],
    "sigmoid grad": ["sigmoid", "-10", "0", "10", "--grad"],
    "k-dim": ["xent", json.dumps((np.arange(24.0).reshape(2, 3, 2, 2) / 7).tolist()), "--targets", K_TARGETS],
}


def invoke(args: list[str], width: int, stdin: str | None = None) -> str:
    result = CliRunner().invoke(app, args, input=stdin, env={"COLUMNS": str(width)}, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def numbers(text: str) -> set[str]:
    return set(NUMBER.findall(text))


def expected_numbers(doc: dict) -> set[str]:
    """The JSON result as the table prints it: for many classes, only each example's top k (and target)."""
    result = np.asarray(doc["result"], dtype=object)
    one_example = np.ndim(doc.get("logits")) == 1
    if result.ndim == 1 and one_example:
        values = result[None, :]
    elif result.ndim < 2:
        values = np.array([[v] for v in np.ravel(result)], dtype=object)
    else:
        values = result
    logits = np.asarray(doc.get("logits") or doc["result"], dtype=float).reshape(len(values), -1)
    shown: set[str] = set()
    for row, row_values in enumerate(values):
        if len(row_values) > 20:
            top = np.argsort(-logits[row], kind="stable")[:DEFAULT_TOP_K]
            row_values = [row_values[i] for i in top]
        shown.update(format_number(float(v)) for v in row_values)
    return shown


def assert_fits(text: str, width: int) -> None:
    for line in text.splitlines():
        assert cell_len(line) <= width, f"wider than {width}: {line!r}"
    assert "…" not in text, "a cell was cut"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("case", COMMANDS)
def test_every_command_fits_and_keeps_every_number(case: str, width: int) -> None:
    args = COMMANDS[case]
    doc = json.loads(invoke([*args, "--json"], width))
    table = invoke([*args, "--table"], width)
    assert_fits(table, width)
    missing = expected_numbers(doc) - numbers(table)
    if "grad" in doc:  # the gradient's every value is on screen too
        missing |= {format_number(v) for v in np.ravel(np.asarray(doc["grad"], dtype=float))} - numbers(table)
    assert not missing, f"{case} at {width} columns lacks {sorted(missing)}:\n{table}"


def test_narrow_tables_say_what_they_left_out_and_wide_shows_it() -> None:
    args = ["softmax", *FIVE, "--classes", "horse,ball,fish,car,stick", "--table"]
    narrow = invoke(args, 40)
    assert "bars, exp(x) left out at 40 columns; --wide shows every column" in " ".join(narrow.split())
    assert "█" not in narrow and "53.7853" not in narrow  # exp(fish) is a naive, secondary column
    assert "56.4157" in narrow  # Σ exp(x) still in the footer
    wide = invoke([*args, "--wide"], 40)
    assert "█" in wide and "53.7853" in wide and "left out" not in wide
    roomy = invoke(args, 120)
    assert "█" in roomy and "left out" not in roomy


def test_the_layout_turns_before_it_gives_up_on_columns() -> None:
    """Ten classes and five steps cannot fit 40 columns as rows of classes: each class becomes a block."""
    text = invoke(["softmax", json.dumps([float(i) for i in range(10)]), "--table"], 40)
    assert_fits(text, 40)
    assert "class 9" in text and "exp(x - max)" in text
    for p in softmax(np.arange(10.0)[None, :]).result[0]:
        assert format_number(p) in text


def test_fit_prefers_dropping_bars_then_secondary_then_turning() -> None:
    calc = softmax(np.array([FIVE_CLASS_LOGITS]))
    batch = Batch(np.array([FIVE_CLASS_LOGITS]), classes=["horse", "ball", "fish", "car", "stick"])

    def headers(width: int) -> str:
        console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
        for part in calculation_renderables(calc, batch, View(width=width)):
            console.print(part)
        return console.export_text()

    assert "█" in headers(120) and "exp(x)" in headers(120)
    assert "█" not in headers(60) and "53.7853" in headers(60)
    assert "53.7853" not in headers(40) and "0.9534" in headers(40)


def test_fit_never_makes_a_column_narrower_than_its_numbers() -> None:
    from logitcli.output.render import Column, Grid, column_widths

    grid = Grid(
        (
            Column("example", ("a rather long example name",), "label", justify="left"),
            Column("exp(x - max)", ("-123456.7890",)),
            Column("loss", ("1.0000",)),
        )
    )
    widths = column_widths(grid, 36)
    assert widths == [12, 12, 6]  # the name folds, the number keeps its 12 cells
    assert column_widths(grid, 35) is None and column_widths(grid, 32, compact=True) == [12, 12, 6]
    assert fit(grid, 20) is not None  # blocks: one per row


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
def test_the_tour_fits_in_both_languages(lang: str, width: int) -> None:
    tour = build_tour(lang=lang, run_model=False, torch_checks=False)
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    render_tour(tour, console)
    text = console.export_text()
    assert_fits(text, width)
    for section in json.loads(dumps(tour_to_json(tour)))["sections"]:
        for block in section["blocks"]:
            if block["type"] == "calculation":
                missing = expected_numbers(block) - numbers(text)
                assert not missing, (section["id"], missing)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_tour_on_many_classes_fits(width: int) -> None:
    values = np.random.default_rng(1).normal(scale=3, size=(2, 1000))
    batch = Batch(values, inputs=["photos/a_long_folder_name/cat.png", "photos/dog.png"])
    tour = build_tour(batch, np.array([3, 999]), lang="ja", torch_checks=False)
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    render_tour(tour, console)
    text = console.export_text()
    assert_fits(text, width)
    assert format_number(cross_entropy(values, np.array([3, 999])).result) in text


def test_japanese_tables_speak_japanese() -> None:
    batch = Batch(np.array(BEAR_LOGITS), classes=BEAR_CLASSES)
    tour = build_tour(batch, np.array([1, 0, 2, 0, 2]), section="xent", lang="ja", torch_checks=False)
    console = Console(width=80, record=True, color_system=None, file=io.StringIO())
    render_tour(tour, console)
    text = console.export_text()
    for word in ("例ごと", "ターゲット", "損失", "1（Brown）", "平均"):
        assert word in text, word
    for english in ("per example", " example ", "target =", "loss ="):
        assert english not in text, english


def test_labels_override_every_word() -> None:
    calc = cross_entropy(np.array(BEAR_LOGITS), np.array([1, 0, 2, 0, 2]))
    words = {key: f"<{key}>" for key in LABELS}
    console = Console(width=100, record=True, color_system=None, file=io.StringIO())
    for part in calculation_renderables(calc, Batch(np.array(BEAR_LOGITS)), View(width=100, labels=words)):
        console.print(part)
    text = console.export_text()
    assert "<per_example>" in text and "<example>" in text and "per example" not in text


# ----------------------------------------------------------------------------- an image run


@pytest.fixture(scope="module")
def folder_logits() -> str:
    pytest.importorskip("torch")
    pytest.importorskip("timm")
    result = CliRunner().invoke(app, ["logits", str(SAMPLE_DATA), "--json"])
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("width", WIDTHS)
def test_an_image_run_fits(folder_logits: str, width: int) -> None:
    logits = invoke(["logits", "--table"], width, stdin=folder_logits)
    assert_fits(logits, width)
    doc = json.loads(folder_logits)
    for row in np.asarray(doc["logits"]):
        for i in np.argsort(-row, kind="stable")[:DEFAULT_TOP_K]:
            assert format_number(row[i]) in logits
    labels = str(SAMPLE_DATA / "labels.csv")
    args = ["xent", "--targets", labels, "--table"]
    xent = invoke(args, width, stdin=folder_logits)
    assert_fits(xent, width)
    result = json.loads(invoke(["xent", "--targets", labels, "--json"], width, stdin=folder_logits))["result"]
    assert format_number(result) in xent
    assert "tripod" in xent and "ignored" in xent


def test_explain_wide_keeps_prose_to_its_width_and_tables_whole() -> None:
    text = invoke(["explain", "--section", "softmax", "--wide"], 40)
    widths = [cell_len(line.rstrip()) for line in text.splitlines()]
    assert max(widths) <= 100  # prose at most 100 columns, tables at their natural width
    assert "█████████▌" in text and "53.7853" in text and "left out" not in text


def test_rounding_never_makes_the_derivation_look_wrong() -> None:
    """A large logit: 1 + exp(-x) is 1.0000454, which 4 decimals would show as 1.0000 (and p as 1.0000)."""
    tour = build_tour(Batch(np.array([[10.0, -1.0]])), section="sigmoid", torch_checks=False)
    console = Console(width=100, record=True, color_system=None, file=io.StringIO())
    render_tour(tour, console)
    text = " ".join(console.export_text().split())
    assert "1 + exp(-x) = 1.00005, so p = 1 / 1.00005 = 0.99995" in text
    assert format_distinct(1.0) == "1.0000" and format_distinct(2.1644) == "2.1644"
    assert format_distinct(1 + 1e-12) == "1.000000000001"
