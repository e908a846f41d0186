"""The README documents every command, and CI runs exactly the test command the README gives."""

from __future__ import annotations

import re

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
