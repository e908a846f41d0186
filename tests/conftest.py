"""Shared helpers: run the CLI in-process with stdout and stderr kept apart, width and colour pinned."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from logitcli.cli.commands import app

# Property tests: the same examples on every run by default (CI must not turn red by the luck of a draw);
# HYPOTHESIS_PROFILE=heavy draws fresh ones, many more of them (each test file sets its own counts).
settings.register_profile("default", derandomize=True, deadline=None)
settings.register_profile("heavy", derandomize=False, deadline=None)
settings.load_profile("heavy" if os.environ.get("HYPOTHESIS_PROFILE") == "heavy" else "default")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"

# The article's bear example (ARTICLE.md section 4).
BEAR_LOGITS = [
    [0.1752, 0.0539, -0.0581],
    [0.0544, 0.0642, 0.0782],
    [0.3230, 0.0958, 0.1941],
    [0.1143, -0.0508, 0.0701],
    [0.1249, 0.0510, 0.1147],
]
BEAR_TARGETS = [1, 0, 2, 0, 2]
BEAR_CLASSES = ["Grizzly", "Brown", "Teddy"]
FIVE_CLASS_LOGITS = [-0.2135, -0.0248, 3.985, -4.235, -0.1831]


@pytest.fixture(autouse=True)
def _pinned_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")


class Run:
    def __init__(self, result) -> None:  # noqa: ANN001 - typer's Result
        self.result = result
        self.code = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr

    def json(self) -> dict:
        return json.loads(self.stdout)

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


@pytest.fixture
def run():
    """run(*args, input=None) -> Run: the app in-process, as a pipe (stdout is not a terminal)."""

    def invoke(*args: str, input: str | None = None) -> Run:
        result = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
        return Run(result)

    return invoke


@pytest.fixture
def bear_file(tmp_path: Path) -> Path:
    path = tmp_path / "bear.json"
    path.write_text(json.dumps(BEAR_LOGITS))
    return path
