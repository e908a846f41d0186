"""Help that teaches: examples first, one screen tall, the input said per command; completion offers choices."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from logitcli.cli import completion, options
from logitcli.cli.commands import app
from logitcli.cli.helptext import HELP, command_help
from logitcli.tour import LANGS, SECTIONS

COMMANDS = ("sigmoid", "softmax", "nll", "xent", "bce", "calibrate", "logits", "explain", "explore", "models")
MAX_LINES = 46


def help_text(command: str, width: int = 80) -> str:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_opens_with_examples_and_fits_a_screen(command: str) -> None:
    text = help_text(command)
    assert len(text.splitlines()) <= MAX_LINES, f"{command} --help is {len(text.splitlines())} lines"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[0].startswith(f"Usage: logitcli {command}")
    assert lines[1] == HELP[command].summary  # the summary, then the examples at once
    assert lines[2] == "Examples:"
    examples = lines[3 : 3 + len(HELP[command].examples)]
    assert len(examples) >= 2 and examples == list(HELP[command].examples)
    assert max(len(line) for line in text.splitlines()) <= 80


@pytest.mark.parametrize("command", COMMANDS)
def test_help_paragraphs_have_no_hard_line_breaks(command: str) -> None:
    paragraphs = command_help(command).split("\n\n")
    for paragraph in paragraphs:
        if not paragraph.startswith("Examples:"):
            assert "\n" not in paragraph, paragraph


def test_help_says_what_the_input_is() -> None:
    assert "Log-probabilities" in help_text("nll") and "Logits (" not in help_text("nll")
    assert "Image files" in help_text("logits")
    assert "Logits" in help_text("xent") and "Logits" in help_text("softmax")
    assert "article's own" in help_text("explain")


def test_model_options_live_in_one_place() -> None:
    logits = help_text("logits")
    model_panel = logits.split("Model (when the input is images)", 1)[1]
    for option in ("--model", "--weights", "--device", "--random-input"):
        assert option in model_panel
    assert "--classes" not in model_panel and "--classes" in logits
    for command in ("sigmoid", "softmax", "xent", "bce", "explain"):
        text = help_text(command)
        assert "--weights" not in text and "Model (" not in text
        assert "logitcli logits --help" in text and "--classes" in text


def test_hidden_model_options_still_work(run) -> None:
    out = run("softmax", "1", "2", "--device", "cpu", "--seed", "3", "--json")
    assert out.code == 0 and out.json()["command"] == "softmax"


NUMBER_EXAMPLES = [
    example
    for command in COMMANDS
    for example in HELP[command].examples
    if "sample_data/" not in example.replace("sample_data/bear_logits.json", "")
    and not example.startswith(("logitcli logits", "logitcli models", "logitcli explore"))
]


@pytest.mark.parametrize("example", NUMBER_EXAMPLES)
def test_help_examples_run(example: str) -> None:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run(["bash", "-o", "pipefail", "-c", example], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


# ----------------------------------------------------------------------------- completion


def complete(words: str) -> list[str]:
    script = shutil.which("logitcli", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the logitcli console script is not installed next to this Python")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "_LOGITCLI_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    done = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("logitcli xent --reduction ", ["none", "mean", "sum"]),
        ("logitcli bce -r m", ["mean"]),
        ("logitcli explain --lang ", list(LANGS)),
        ("logitcli explain --section s", ["sigmoid", "softmax"]),
        ("logitcli logits --device c", ["cpu", "cuda"]),
        ("logitcli logits --weights ", ["auto", "bundled", "hub", "random"]),
    ],
)
def test_completion_offers_the_choices(words: str, expected: list[str]) -> None:
    assert complete(words) == expected


def test_completion_of_model_names_starts_without_timm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(completion, "model_names", lambda folder=None: [])  # the cache: tests/test_completion.py
    assert complete("logitcli logits --model ")[0] == "efficientnet_lite0"
    assert "efficientnet_lite0" in options.complete_model("effi")


def test_completion_choices_match_the_tour() -> None:
    assert options.SECTION_CHOICES == SECTIONS and options.LANGS == LANGS
    assert re.fullmatch(r"none\|mean\|sum", "|".join(options.REDUCTION_CHOICES))
