"""Every example in every --help runs as written, from a folder that has nothing of logitcli's in it.

The examples name the samples that ship in the package (`sample:chelsea.png`), never a path of the checkout.
Each example line is run as a shell would: `echo` feeds the next command's stdin, `|` chains commands.
Examples that need the model are skipped without the models extra.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from conftest import Run
from typer.testing import CliRunner

from logitcli.cli.commands import app
from logitcli.cli.helptext import HELP
from logitcli.model import is_installed

EXAMPLES = [(name, line) for name, entry in HELP.items() for line in entry.examples]
NEEDS_THE_MODEL = ("sample:", "--random-input", "logitcli models", ".png", ".jpg")
#: What explore says without a terminal, after its input was read (tests/test_explore_cli.py drives the screen).
NO_TERMINAL = "explore is interactive and needs a terminal"


def run_line(line: str) -> Run:
    """A pipeline of `echo ...` and `logitcli ...` stages; the last stage's result."""
    stdin: str | None = None
    done: Run | None = None
    for stage in line.split(" | "):
        words = shlex.split(stage)
        if words[0] == "echo":
            stdin = " ".join(words[1:]) + "\n"
            continue
        assert words[0] == "logitcli", stage
        done = Run(CliRunner().invoke(app, words[1:], input=stdin, catch_exceptions=False))
        if words[1] == "explore" and done.code == 2 and NO_TERMINAL in done.stderr:
            return done  # it read its input (a bad one is refused first); the screen needs a real terminal
        assert done.code == 0, f"{stage}: {done.stderr}"
        stdin = done.stdout
    assert done is not None
    return done


def test_every_command_has_examples() -> None:
    assert all(len(entry.examples) >= 2 for entry in HELP.values())


def test_no_example_names_a_path_of_the_checkout() -> None:
    for _, line in EXAMPLES:
        assert "sample_data" not in line and "/" not in line.replace("sample:", ""), line


@pytest.mark.parametrize(("name", "line"), EXAMPLES, ids=[line for _, line in EXAMPLES])
def test_the_example_runs_from_any_folder(
    name: str, line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if any(word in line for word in NEEDS_THE_MODEL) and not is_installed():
        pytest.skip("needs the models extra")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    done = run_line(line)
    assert done.stdout.strip() or NO_TERMINAL in done.stderr, line
    assert list(tmp_path.iterdir()) in ([], [tmp_path / "cache"])  # it wrote nothing here
