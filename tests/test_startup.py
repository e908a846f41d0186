"""The console script builds only the command it runs; everything else still sees every command."""

from __future__ import annotations

import subprocess
import sys

COMMANDS = ("sigmoid", "softmax", "nll", "xent", "bce", "calibrate", "logits", "explain", "explore", "models")


def console(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from logitcli.cli.commands import main; sys.argv = ['logitcli', *sys.argv[1:]]; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env={"COLUMNS": "100", "PATH": ""}
    )


def test_group_help_lists_every_command() -> None:
    done = console("--help")
    assert done.returncode == 0 and all(name in done.stdout for name in COMMANDS)


def test_a_named_command_runs_and_a_misspelt_one_is_suggested() -> None:
    assert console("--debug", "softmax", "1", "2", "--json").stdout.startswith('{"command":"softmax"')
    typo = console("sofmax", "1")
    assert typo.returncode == 2 and "Did you mean 'softmax'?" in typo.stderr


def test_the_registered_commands_are_all_there_in_process() -> None:
    from logitcli.cli.commands import app

    assert {info.callback.__name__ for info in app.registered_commands} == set(COMMANDS)


def test_a_run_that_exits_at_once_has_written_everything(tmp_path) -> None:
    """The console script ends with os._exit once the output is flushed: nothing may be left unwritten."""
    saved = tmp_path / "tables.txt"
    done = console("xent", "[[2, 1, 0.1]]", "--targets", "0", "--json", "--save", str(saved))
    assert done.returncode == 0 and done.stdout.endswith("}\n")
    assert "log softmax" in saved.read_text(encoding="utf-8")
    assert console("xent", "1", "2").returncode == 2  # codes pass through: bad input is 2
