"""Bad input: one line on stderr naming the problem, nothing on stdout, exit 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import SAMPLE_DATA

BAD_INPUTS = {
    "word": (["softmax", "1", "abc"], "'abc' is not a number"),
    "empty-stdin": (["softmax", "--json"], "empty input"),
    "broken-json": (["softmax", "[1, 2"], "broken JSON"),
    "ragged": (["softmax", "[[1, 2], [3]]"], "ragged rows"),
    "nan-class-index": (["xent", "1", "2", "--targets", "nan"], "whole class indices"),
    "target-out-of-range": (["xent", "1", "2", "--targets", "2"], "out of range"),
    "target-negative": (["xent", "1", "2", "--targets", "-3"], "out of range"),
    "targets-count": (["xent", "[[1,2],[3,4]]", "--targets", "0"], "1 target(s) for 2 example(s)"),
    "weight-length": (["xent", "1", "2", "--targets", "0", "--weight", "1,2,3"], "3 value(s) but there are 2"),
    "label-smoothing": (["xent", "1", "2", "--targets", "0", "--label-smoothing", "1.5"], "at most 1"),
    "reduction": (["xent", "1", "2", "--targets", "0", "--reduction", "avg"], "unknown reduction 'avg'"),
    "class-name": (["xent", "1", "2", "--classes", "cat,dog", "--targets", "cow"], "unknown class name 'cow'"),
    "missing-file": (["softmax", "--file", "no/such.json"], "file not found"),
    "temperature-zero": (["softmax", "1", "2", "--temperature", "0"], "temperature"),
    "no-targets": (["xent", "1", "2"], "needs --targets"),
    "bce-target-count": (["bce", "1", "2", "--targets", "1"], "1 target(s) for 2 logit(s)"),
    "two-formats": (["softmax", "1", "--json", "--jsonl"], "choose one of"),
    "classes-count": (["softmax", "1", "2", "--classes", "a,b,c"], "3 class name(s)"),
    "unknown-option": (["softmax", "1", "--frobnicate"], "No such option"),
    "not-json-object": (["softmax", '{"a": 1}'], "no `logits` or `result`"),
    "option-after-dashes": (["nll", "--", "-1.2", "-0.4", "--targets", "1"], "--targets comes after `--`"),
    "image-as-file": (["softmax", "--file", str(SAMPLE_DATA / "chelsea.png")], "is an image: give it as an argument"),
    "word-in-weight": (["xent", "1", "2", "-t", "1", "--weight", '[1, "x"]'], "'x' in --weight is not a number"),
    "word-in-csv-line": (["softmax", str(SAMPLE_DATA / "labels.csv")], "labels.csv (line 2) is not a number"),
}


@pytest.mark.parametrize("args,needle", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_one_clear_line(run, args: list[str], needle: str) -> None:
    out = run(*args, input="")
    assert out.code == 2, (out.stdout, out.stderr)
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("Error: ")
    assert needle in lines[0]
    assert "Traceback" not in out.stderr


def test_real_process_exit_code_and_no_traceback() -> None:
    done = subprocess.run([sys.executable, "-m", "logitcli", "softmax", "1", "oops"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("Error: 'oops' is not a number")
    assert "Traceback" not in done.stderr


def test_debug_shows_the_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "logitcli", "--debug", "softmax", "1", "oops"], capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "Traceback" in done.stderr


def test_no_command_shows_help_without_an_empty_error(run) -> None:
    out = run()
    assert "Usage: logitcli" in out.stdout + out.stderr
    assert "Error" not in out.stdout + out.stderr
