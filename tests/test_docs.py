"""The README documents every command, and CI runs exactly the test command the README gives."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from typer.main import get_command

from logitcli.cli import app

README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_every_command_has_a_readme_section() -> None:
    for name in get_command(app).commands:  # type: ignore[attr-defined]
        assert f"### `{name}`" in README, f"README has no section for `logitcli {name}`"


def test_quick_start_has_exactly_two_set_up_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert commands[0].startswith("pip install") and "logitcli logits sample_data/" in commands[0]
    assert commands[1].startswith("pip install") and "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start_commands()[1] in ci.splitlines()


def readme_one_liners() -> list[str]:
    """Every `logitcli ...` line of the README's shell blocks, continuation lines joined."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        pending = ""
        for line in block.splitlines():
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            command = (pending + line).split("  #")[0].strip()
            pending = ""
            if command.startswith(("logitcli", "echo")):
                commands.append(command)
    return commands


def needs_the_model(command: str) -> bool:
    return any(
        word in command
        for word in (
            "sample_data/chelsea",
            "sample_data/coffee",
            "sample_data/ ",
            "sample_data/*",
            "--random-input",
            "logitcli logits",
            "logitcli models",
        )
    )


NUMBER_ONE_LINERS = [c for c in readme_one_liners() if not needs_the_model(c)]


def test_the_readme_has_number_one_liners_to_check() -> None:
    assert len(NUMBER_ONE_LINERS) >= 15


@pytest.mark.parametrize("command", NUMBER_ONE_LINERS)
def test_readme_one_liner_runs(command: str) -> None:
    """The README's number examples run as printed (the model ones are covered by tests/test_cli_models.py)."""
    if "| jq" in command and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
