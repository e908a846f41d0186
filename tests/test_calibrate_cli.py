"""`logitcli calibrate` as a user meets it: inputs, outputs, widths, bad input in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import BEAR_CLASSES, BEAR_LOGITS, BEAR_TARGETS
from rich.cells import cell_len

from logitcli.cli import options
from logitcli.steps.calibration import CONVENTION_CHOICES, STRATEGIES

BEAR = json.dumps(BEAR_LOGITS)
TARGETS = ",".join(map(str, BEAR_TARGETS))
DOCSTRING_PROBS = "[[0.25, 0.20, 0.55], [0.55, 0.05, 0.40], [0.10, 0.30, 0.60], [0.90, 0.05, 0.05]]"


def test_the_choices_the_cli_offers_are_the_steps() -> None:
    assert options.CONVENTION_CHOICES == CONVENTION_CHOICES
    assert options.STRATEGY_CHOICES == STRATEGIES


def test_json_document_follows_the_contract(run) -> None:
    doc = run("calibrate", BEAR, "--targets", TARGETS, "--json", "--compare", "--fit").json()
    assert {"command", "result", "steps", "notes", "bins", "compare", "temperature"} <= doc.keys()
    assert doc["command"] == "calibrate" and "logits" not in doc
    assert set(doc["result"]) >= {"accuracy", "mean_confidence", "ece", "rmsce", "mce", "smece", "brier", "nll"}
    assert sum(b["count"] for b in doc["bins"]) == len(BEAR_LOGITS) and len(doc["bins"]) == 15
    names = {s["name"] for s in doc["steps"]}
    assert {"confidence", "prediction", "correct"} <= names
    assert [r["name"] for r in doc["compare"]] == [*CONVENTION_CHOICES, "relplot"]
    assert all(r["version"] for r in doc["compare"])
    fit = doc["temperature"]
    assert fit["status"] == "found" and fit["T"] > 0 and abs(fit["derivative_at_T"]) < 1e-12
    assert fit["after"]["nll"] <= fit["before"]["nll"]


def test_the_nll_is_xents_mean(run) -> None:
    ours = run("calibrate", BEAR, "--targets", TARGETS, "--json").json()["result"]["nll"]
    xent = run("xent", BEAR, "--targets", TARGETS, "--json").json()["result"]
    assert ours == pytest.approx(xent, rel=1e-14)


def test_docstring_case_through_the_cli(run) -> None:
    args = ("calibrate", DOCSTRING_PROBS, "--probs", "-t", "0,1,2,0", "--bins", "3", "--convention", "torchmetrics")
    result = run(*args, "--json").json()["result"]
    assert [round(result[k], 4) for k in ("ece", "rmsce", "mce")] == [0.2000, 0.2082, 0.2333]


def test_jsonl_is_a_line_per_example_and_a_summary(run) -> None:
    lines = run("calibrate", BEAR, "--targets", TARGETS, "--jsonl").lines()
    assert len(lines) == len(BEAR_LOGITS) + 1
    assert {s["name"] for s in lines[0]["steps"]} >= {"confidence", "correct"}
    assert lines[-1]["summary"] and "ece" in lines[-1]["result"] and "bins" in lines[-1]


def test_class_names_and_a_pipe_from_softmax(run) -> None:
    probs = run("softmax", BEAR, "--classes", ",".join(BEAR_CLASSES), "--json").stdout
    doc = run("calibrate", "--probs", "--targets", "Brown,Grizzly,Teddy,Grizzly,Teddy", "--json", input=probs).json()
    direct = run("calibrate", BEAR, "--targets", TARGETS, "--json").json()
    assert doc["result"]["ece"] == pytest.approx(direct["result"]["ece"], abs=1e-12)
    table = run("calibrate", "--probs", "-t", "Brown,Grizzly,Teddy,Grizzly,Teddy", "--table", input=probs).stdout
    assert "1 (Brown)" in table


def test_binary_takes_one_logit_per_example(run) -> None:
    doc = run("calibrate", "--binary", "2.1", "-0.3", "0.8", "--targets", "1,0,0", "--json", "--compare").json()
    assert doc["mode"] == "binary" and doc["result"]["n"] == 3
    p = 1 / (1 + np.exp(-np.array([2.1, -0.3, 0.8])))
    assert doc["result"]["brier"] == pytest.approx(np.mean((p - [1, 0, 0]) ** 2), rel=1e-12)
    assert next(r for r in doc["compare"] if r["name"] == "gpleiss")["ece"] is None


def test_classwise_averages_over_classes(run) -> None:
    doc = run("calibrate", BEAR, "--targets", TARGETS, "--classwise", "--json").json()
    assert doc["mode"] == "classwise" and 0 <= doc["result"]["ece"] <= 1


def test_nan_rows_and_ignored_targets_are_noted(run) -> None:
    x = "[[1, 2], [nan, 0], [0.5, 0.1], [3, -1]]"
    done = run("calibrate", x, "--targets", "1,0,-100,0", "--json")
    doc = done.json()
    assert done.code == 0 and doc["result"]["n"] == 2 and doc["left_out"] == [1]
    assert {"calibrate_left_out", "calibrate_ignored"} <= {n["id"] for n in doc["notes"]}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--probs", "[[1.2, -0.2]]", "-t", "0"), "not a probability"),
        (("--probs", "[[0.5, 0.6]]", "-t", "0"), "sum to"),
        (("--binary", BEAR, "-t", TARGETS), "one logit"),
        (("--binary", "--classwise", BEAR, "-t", TARGETS), "choose one"),
        (("--convention", "keras", BEAR, "-t", TARGETS), "unknown --convention"),
        (("--strategy", "quantile", "--convention", "torchmetrics", BEAR, "-t", TARGETS), "equal-width"),
        ((BEAR,), "needs --targets"),
        ((BEAR, "-t", "1,0"), "target"),
        ((BEAR, "-t", TARGETS, "--check"), "--compare"),
        (("--probs", "--fit", "[[0.5, 0.5]]", "-t", "0"), "needs logits"),
        ((BEAR, "-t", TARGETS, "--bins", "0"), "--bins"),
        ((BEAR, "-t", TARGETS, "--temperature", "0"), "temperature"),
        (("--binary", "0.3", "-t", "2"), "0 or 1"),
        (("[]", "-t", "0"), "no numbers"),
        (("[[1, 2], [3, 4]]", "-t", "-100,-100"), "no example left"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run, args: tuple[str, ...], words: str) -> None:
    done = run("calibrate", *args)
    assert done.code == 2, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in done.stderr


def test_no_finite_temperature_is_said_not_printed(run) -> None:
    doc = run("calibrate", "[[2, 0], [0, 1]]", "-t", "0,1", "--fit", "--json").json()
    assert doc["temperature"]["T"] is None and doc["temperature"]["status"] == "to_zero"
    table = run("calibrate", "[[2, 0], [0, 1]]", "-t", "0,1", "--fit", "--table").stdout
    assert "no finite positive T" in table


@pytest.mark.parametrize("width", [40, 80, 120])
def test_every_line_fits_the_terminal(run, monkeypatch, width: int) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    rng = np.random.default_rng(0)
    x = json.dumps((rng.normal(size=(30, 4)) * 3).tolist())
    t = ",".join(str(i) for i in rng.integers(0, 4, 30))
    for extra in ((), ("--compare", "--fit"), ("--binary",)):
        values = json.dumps((rng.normal(size=30) * 2).tolist()) if extra == ("--binary",) else x
        targets = ",".join(str(i) for i in rng.integers(0, 2, 30)) if extra == ("--binary",) else t
        done = run("calibrate", values, "-t", targets, "--table", "--rows", "all", *extra)
        assert done.code == 0, done.stderr
        widest = max(cell_len(line.rstrip()) for line in done.stdout.splitlines())
        assert widest <= width, (extra, widest)


def test_the_diagram_is_saved(run, tmp_path) -> None:
    path = tmp_path / "calibration.svg"
    done = run("calibrate", BEAR, "-t", TARGETS, "--json", "--save", str(path))
    assert done.code == 0 and path.read_text(encoding="utf-8").startswith("<svg")
    assert "reliability" in path.read_text(encoding="utf-8")


def test_npy_files_for_logits_and_targets(run, tmp_path) -> None:
    rng = np.random.default_rng(1)
    np.save(tmp_path / "x.npy", rng.normal(size=(50, 5)))
    np.save(tmp_path / "t.npy", rng.integers(0, 5, 50))
    doc = run("calibrate", "-f", str(tmp_path / "x.npy"), "-t", str(tmp_path / "t.npy"), "--json").json()
    assert doc["result"]["n"] == 50
