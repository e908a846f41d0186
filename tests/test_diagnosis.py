"""The NaN diagnosis: where each NaN and infinity first appeared, and the arithmetic that made it."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

from logitcli import steps as S
from logitcli.inputs.batch import Batch
from logitcli.steps.diagnosis import TEXTS, diagnose, origins
from logitcli.tour import build_tour, load_texts, render_tour

inf, nan = np.inf, np.nan


def rendered(tour, width: int = 200) -> str:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    render_tour(tour, console)
    return " ".join(console.export_text().split())


def ids(calc: S.Calculation) -> list[str]:
    return [note.id for note in diagnose(calc)]


@pytest.mark.parametrize(
    ("calc", "expected"),
    [
        (lambda: S.softmax(np.array([[1.0, 2.0, 3.0]])), []),
        (lambda: S.softmax(np.array([[inf, 1.0, 2.0]])), ["inf_input", "nan_inf_shift"]),
        (lambda: S.softmax(np.array([[1.0, 2.0], [-inf, -inf]])), ["inf_input", "nan_all_neg_inf"]),
        (lambda: S.softmax(np.array([[1000.0, 0.0]])), ["exp_overflow"]),
        (lambda: S.softmax(np.array([[1e308, 0.0]]), 0.5), ["overflow", "nan_inf_shift"]),
        (lambda: S.sigmoid(np.array([[nan, -1000.0]])), ["nan_input", "exp_overflow"]),
        (lambda: S.nll(np.array([[-inf, -1.0]]), np.array([0]), weight=np.array([0.0, 1.0])), None),
        (lambda: S.nll(np.array([[-1.0, -2.0]]), np.array([-100])), ["mean_zero_denominator"]),
        (
            lambda: S.cross_entropy(np.array([[1.0, 2.0]]), np.array([0]), np.array([inf, 1.0])),
            ["inf_input", "mean_inf_denominator"],
        ),
        (lambda: S.cross_entropy(np.array([[-inf, 2.0, 3.0]]), np.array([0])), ["inf_input", "log_zero"]),
        (
            lambda: S.cross_entropy(np.array([[1.0, 2, 3]]), np.array([0]), np.array([0.0, 1, 1]), label_smoothing=0.1),
            ["mean_zero_denominator"],
        ),
        (
            lambda: S.cross_entropy(np.array([[-inf, 2.0, 3.0]]), np.array([[0.0, 0.5, 0.5]])),
            ["inf_input", "log_zero", "nan_zero_times_inf"],
        ),
        (lambda: S.binary_cross_entropy(np.array([[-inf]]), np.array([[1.0]])), None),
        (
            lambda: S.binary_cross_entropy(np.array([[-inf, 2.0]]), np.array([[0.3, 0.3]]), reduction="none"),
            ["inf_input", "nan_inf_minus_inf", "bce_nan_limit"],
        ),
    ],
)
def test_each_cause_is_named(calc, expected) -> None:
    calc = calc()
    if expected is None:  # 0 · inf
        assert "nan_zero_times_inf" in ids(calc)
    else:
        assert ids(calc) == expected


def test_the_place_is_the_first_in_step_order() -> None:
    calc = S.softmax(np.array([[1.0, 2.0], [3.0, inf], [-inf, -inf]]))
    notes = diagnose(calc, ["a", "b", "c"], ["cat", "dog"])
    shift = next(note for note in notes if note.id == "nan_inf_shift")
    assert shift.args == {"step": "x - max", "where": "b, dog"}
    assert "'x - max' at b, dog: inf - inf" in shift
    first = origins(calc)[0]
    assert (first.step.name, first.cell, first.kind) == ("logits", (1, 1), "inf")


def test_inherited_values_are_not_origins() -> None:
    """A NaN input makes every later value nan; only the input is named, once."""
    calc = S.cross_entropy(np.array([[nan, 1.0], [2.0, 3.0]]), np.array([0, 1]))
    assert ids(calc) == ["nan_input"]
    assert {origin.step.name for origin in origins(calc)} == {"logits"}


def test_bce_limit_says_what_the_loss_tends_to() -> None:
    notes = diagnose(S.binary_cross_entropy(np.array([[inf, -inf]]), np.array([[1.0, 0.0]]), reduction="none"))
    limit = next(note for note in notes if note.id == "bce_nan_limit")
    assert limit.args["limit"] == "0" and limit.args["x"] == "inf"


def test_a_finite_calculation_has_no_diagnosis() -> None:
    assert diagnose(S.cross_entropy(np.array([[0.1, 2.0, -3.0]]), np.array([1]), label_smoothing=0.2)) == ()


def test_notes_are_bounded() -> None:
    big = np.full((200, 50), nan)
    assert len(diagnose(S.softmax(big))) == 1
    assert len(diagnose(S.softmax(big), limit=4)) <= 4


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_diagnosis_has_words_in_each_language_with_the_same_placeholders(lang: str) -> None:
    said = load_texts(lang)["notes"]
    for note_id, text in TEXTS.items():
        assert note_id in said
        if lang == "en":
            assert said[note_id] == text  # the tour's English is the CLI's English


def test_explain_says_the_diagnosis_in_japanese() -> None:
    batch = Batch(np.array([[inf, 1.0, 2.0]]), one_example=True)
    ja = rendered(build_tour(batch, section="softmax", lang="ja", torch_checks=False), width=200)
    assert "inf - inf です" in ja
    en = rendered(build_tour(batch, section="softmax", lang="en", torch_checks=False), width=200)
    assert "'x - max' at #0, class 0: inf - inf" in en


# ----------------------------------------------------------------------------- the CLI


def test_json_notes_are_objects_with_a_stable_id(run) -> None:
    out = run("softmax", "inf", "1", "2", "--json")
    notes = out.json()["notes"]
    assert [note["id"] for note in notes] == ["inf_input", "nan_inf_shift"]
    assert notes[1]["args"]["where"] == "#0, class 0"
    assert notes[1]["text"].startswith("nan first appears in 'x - max'")


def test_a_pipe_explains_its_nan(run) -> None:
    soft = run("softmax", "inf", "1", "2", "--json")
    out = run("nll", "--targets", "0", "--table", input=soft.stdout)
    assert out.code == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert "NaN in the input: 'log p' holds nan at #0, class 0" in text
    assert "came from `logitcli softmax`, which said: nan first appears in 'x - max'" in text


def test_tables_print_the_diagnosis(run) -> None:
    out = run("xent", "1", "2", "3", "--targets", "0", "--weight", "0,1,1", "--label-smoothing", "0.1", "--table")
    text = " ".join(out.stdout.split())
    assert "mean = nan" in text
    assert "the mean divides by sum of w[target] over kept examples, which is 0 here" in text


@pytest.mark.parametrize(
    "args",
    [
        ["nan", "inf", "-inf", "--targets", "1"],
        ["-inf", "-inf", "--targets", "0"],
        ["[[[1, nan], [3, 4]], [[1, 2], [inf, 4]]]", "--targets", "[[0, 1], [1, 1]]"],
    ],
)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_explain_walks_nan_and_k_dim_numbers(run, args, lang) -> None:
    out = run("explain", *args, "--lang", lang)
    assert out.code == 0, out.stderr
    assert ("NaN" in out.stdout or "nan" in out.stdout) and out.stderr == ""
