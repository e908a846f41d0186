"""What every command promises about its output: the JSON contract, JSON lines, --save, --rows, the pager."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import BEAR_LOGITS, BEAR_TARGETS

from logitcli.steps import cross_entropy
from logitcli.tour import default_lang

BEAR = json.dumps(BEAR_LOGITS)
TARGETS = ",".join(map(str, BEAR_TARGETS))
STEP_KEYS = {"name", "title", "formula", "per", "values"}

DOCUMENTS = {
    "sigmoid": ["sigmoid", "-0.1522", "0.3"],
    "softmax": ["softmax", BEAR],
    "nll": ["nll", "[[-0.4, -1.2, -2.3]]", "--targets", "0"],
    "xent": ["xent", BEAR, "--targets", TARGETS],
    "bce": ["bce", "[[1.2, -0.3]]", "--targets", "[[1, 0]]", "--pos-weight", "2,1"],
}


@pytest.mark.parametrize("command", DOCUMENTS)
def test_every_document_has_command_steps_and_result(run, command: str) -> None:
    doc = run(*DOCUMENTS[command], "--json").json()
    assert doc["command"] == command and "result" in doc
    assert doc["steps"] and all(set(step) == STEP_KEYS for step in doc["steps"])
    assert "steps" not in run(*DOCUMENTS[command], "--json", "--no-steps").json()


def test_logits_and_explain_documents_have_a_result(run) -> None:
    logits = run("logits", BEAR, "--json").json()
    assert logits["command"] == "logits" and logits["result"] == BEAR_LOGITS == logits["logits"]
    tour = run("explain", BEAR, "--targets", TARGETS, "--json").json()
    assert tour["command"] == "explain"
    assert tour["result"]["xent"] == pytest.approx(float(cross_entropy(np.array(BEAR_LOGITS), BEAR_TARGETS).result))
    assert tour["result"]["logits"] == BEAR_LOGITS
    assert [s["result"] for s in tour["sections"]] == list(tour["result"].values())
    article = run("explain", "--section", "sigmoid", "--json").json()
    assert article["result"]["sigmoid"][0] == pytest.approx([0.46202], abs=1e-5)


@pytest.mark.parametrize("no_steps", [False, True])
def test_every_json_line_carries_its_own_result(run, no_steps: bool) -> None:
    flags = ["--jsonl", "--no-steps"] if no_steps else ["--jsonl"]
    lines = run("xent", BEAR, "--targets", TARGETS, *flags).lines()
    expected = cross_entropy(np.array(BEAR_LOGITS), BEAR_TARGETS, reduction="none").result
    assert [line["result"] for line in lines[:-1]] == pytest.approx(expected.tolist(), abs=1e-15)
    assert [line["logits"] for line in lines[:-1]] == BEAR_LOGITS
    assert lines[-1]["summary"] is True and lines[-1]["result"] == pytest.approx(expected.mean(), abs=1e-15)
    for line in lines[:-1]:
        assert ("steps" in line) is not no_steps
        for step in line.get("steps", []):
            assert set(step) == STEP_KEYS and step["per"] in ("class", "example")
    probabilities = run("softmax", BEAR, *flags).lines()
    assert len(probabilities) == 5 and all(sum(line["result"]) == pytest.approx(1) for line in probabilities)


def test_logits_json_lines_carry_their_result(run) -> None:
    lines = run("logits", BEAR, "--jsonl").lines()
    assert [line["result"] for line in lines] == BEAR_LOGITS


def test_explain_reads_piped_numbers(run) -> None:
    tour = run("explain", "--section", "softmax", "--json", input="1 2 3\n").json()
    assert tour["source"] == "yours"
    assert tour["result"]["softmax"] == pytest.approx([0.0900306, 0.2447285, 0.6652410], abs=1e-7)
    assert run("explain", "--section", "softmax", "--json", input="").json()["source"] == "article"


def test_section_is_case_insensitive(run) -> None:
    assert [s["id"] for s in run("explain", "--section", "SoftMax", "--json").json()["sections"]] == ["softmax"]


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({"LANGUAGE": "ja", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LANGUAGE": "fr:ja_JP", "LC_ALL": "en_US.UTF-8"}, "ja"),
        ({"LANGUAGE": "", "LC_ALL": "ja_JP.UTF-8"}, "ja"),
        ({"LC_MESSAGES": "en_GB", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LANGUAGE": "de"}, "en"),
    ],
)
def test_language_follows_gettext_order(environ: dict[str, str], lang: str) -> None:
    assert default_lang(environ) == lang


# ----------------------------------------------------------------------------- rows


def test_rows_all_and_n(run) -> None:
    rows = np.random.default_rng(2).normal(size=(30, 3)).tolist()
    capped = run("xent", json.dumps(rows), "--targets", ",".join(["0"] * 30), "--table", "--rows", "4").stdout
    assert "26 more example(s) not shown; --rows all shows every row" in capped
    assert "#3 " in capped and "#4 " not in capped
    every = run("xent", json.dumps(rows), "--targets", ",".join(["0"] * 30), "--table", "--rows", "all").stdout
    assert "#29 " in every and "not shown" not in every
    bad = run("softmax", "1", "2", "--rows", "0")
    assert bad.code == 2 and bad.stderr.startswith("Error: --rows takes a number")


def test_the_target_row_is_always_shown(run) -> None:
    logits = json.dumps(np.linspace(5, -5, 100).tolist())
    out = run("xent", logits, "--targets", "73", "-k", "1", "--table").stdout
    assert "class 0 " in out and "class 73 ◀ target" in out and "class 1 " not in out
    assert "top 1 of 100 classes by logit, and the target" in out


def test_an_ignored_example_says_why_its_loss_is_0_and_why_the_mean_is_nan(run) -> None:
    out = run("xent", "2", "1", "0.1", "--targets", "0", "--ignore-index", "0", "--table").stdout
    text = " ".join(out.split())
    assert "class 0 ◀ target (ignored)" in text and "target = 0 (ignored)" in text
    assert "has loss 0 and is left out of the mean" in text
    assert "mean = nan" in text and "which is 0 here (every example is ignored); x / 0 is ±inf" in text


def test_a_one_row_bce_table_shows_the_weights(run) -> None:
    out = run("bce", "-0.1522", "--targets", "1", "--pos-weight", "2", "--weight", "0.5", "--table").stdout
    assert " pw " in out and " w " in out and "2.0000" in out and "0.5000" in out


def test_one_default_top_k_whatever_the_number_of_inputs(run) -> None:
    one = run("logits", json.dumps(np.arange(30.0).tolist()), "--table").stdout
    many = run("logits", json.dumps([np.arange(30.0).tolist()] * 4), "--table").stdout
    assert "top 5 of 30 classes" in one and "top 5 of 30 classes" in many


# ----------------------------------------------------------------------------- --save


@pytest.mark.parametrize("suffix", [".txt", ".html", ".svg"])
def test_save_writes_what_the_terminal_shows(run, tmp_path, suffix: str) -> None:
    path = tmp_path / f"table{suffix}"
    shown = run("softmax", "1", "2", "3", "--table", "--save", str(path))
    assert shown.code == 0 and path.exists()
    saved = path.read_text(encoding="utf-8")
    if suffix == ".txt":
        assert saved == shown.stdout
    else:
        assert "0.6652" in saved and ("<svg" in saved if suffix == ".svg" else "<html" in saved.lower())


def test_save_also_works_when_the_output_is_json(run, tmp_path) -> None:
    path = tmp_path / "tour.txt"
    out = run("explain", "--section", "sigmoid", "--json", "--save", str(path))
    assert json.loads(out.stdout)["command"] == "explain"
    assert "sigmoid" in path.read_text(encoding="utf-8") and "0.4620" in path.read_text(encoding="utf-8")
    table = tmp_path / "t.html"
    assert run("softmax", "1", "2", "--save", str(table)).json()["command"] == "softmax"
    assert "0.7311" in table.read_text(encoding="utf-8")


def test_save_refuses_other_formats_before_running(run, tmp_path) -> None:
    out = run("softmax", "1", "2", "--save", str(tmp_path / "table.pdf"))
    assert out.code == 2 and out.stderr.startswith("Error: --save writes .html, .svg or .txt")
    missing = run("softmax", "1", "2", "--save", str(tmp_path / "no" / "such" / "t.txt"))
    assert missing.code == 2 and "there is no folder" in missing.stderr and not missing.stdout
    (tmp_path / "taken.txt").mkdir()  # a folder where the file should go: refused before anything runs
    taken = run("softmax", "1", "2", "--table", "--save", str(tmp_path / "taken.txt"))
    assert taken.code == 2 and "a folder, not a regular file" in taken.stderr and not taken.stdout


def test_a_wide_svg_is_as_wide_as_its_widest_line(run, tmp_path) -> None:
    path = tmp_path / "wide.svg"
    assert run("softmax", "1", "2", "3", "--table", "--wide", "--save", str(path)).code == 0
    view_box = re.search(r'viewBox="0 0 (\d+(?:\.\d+)?) ', path.read_text(encoding="utf-8"))
    assert view_box is not None and float(view_box.group(1)) < 2000


@pytest.mark.parametrize(
    "args",
    [
        ["bce", "1", "2", "--targets", "1,0", "--pos-weight", "2", "--weight", "3", "--grad", "--lr", "1"],
        ["bce", "--probs", "0.9", "0.2", "--targets", "1,0", "--weight", "3", "--grad"],
        ["xent", "2", "1", "0.1", "--targets", "0", "--weight", "1,2,3", "--label-smoothing", "0.1", "--grad"],
        ["xent", "[[2, 1, 0.1]]", "--targets", "[[0.7, 0.2, 0.1]]", "--weight", "1,2,3", "--grad"],
        ["nll", "[[-0.4, -1.2]]", "--targets", "0", "--weight", "1,2", "--grad"],
        ["sigmoid", "1", "2", "--grad"],
    ],
)
def test_each_step_appears_once(run, args: list[str]) -> None:
    names = [step["name"] for step in run(*args, "--json").json()["steps"]]
    assert len(names) == len(set(names)), names
