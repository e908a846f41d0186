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

from logitcli.cli.commands import app

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


#: explore is interactive (a terminal's keys): tests/test_explore_*.py drive it headless instead.
NUMBER_ONE_LINERS = [c for c in readme_one_liners() if not needs_the_model(c) and "logitcli explore" not in c]


def test_the_readme_has_number_one_liners_to_check() -> None:
    assert len(NUMBER_ONE_LINERS) >= 15


@pytest.mark.parametrize("command", NUMBER_ONE_LINERS)
def test_readme_one_liner_runs(command: str, in_a_scratch_folder: Path) -> None:
    """The README's number examples run as printed (the model ones are covered by tests/test_cli_models.py)."""
    if "| jq" in command and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=in_a_scratch_folder,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


# ----------------------------------------------------------------------------- console examples and the JSON contract


def console_examples() -> list[tuple[str, list[str]]]:
    """Every `$ command` of the README's console blocks with the lines it prints (until the next `$`)."""
    examples: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.S):
        assert block.startswith("$ "), f"a console block must start with the command it shows:\n{block[:200]}"
        continued = False
        for line in block.splitlines():
            if continued:  # a command continued with a backslash, as a shell reads it
                examples[-1] = (examples[-1][0][:-1] + " " + line.strip(), [])
            elif line.startswith("$ "):
                examples.append((line[2:], []))
            else:
                examples[-1][1].append(line.rstrip())
            continued = (continued or line.startswith("$ ")) and line.endswith("\\")
    return examples


def as_on_a_terminal(command: str) -> str:
    """A terminal gets tables by default; under test stdout is a pipe, so a lone command gets `--table`."""
    last = command.rsplit("|", 1)[-1]
    words = [word for word in last.split() if "=" not in word or word.startswith("-")]  # not COLUMNS=40
    if words[0] != "logitcli" or "--json" in words or "--jsonl" in words or words[1] in ("explain", "models"):
        return command
    return command + " --table"


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; a `...` line stands for any number of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and matches(expected[1:], actual[1:])


CONSOLE = console_examples()


def test_the_readme_has_console_examples() -> None:
    assert len(CONSOLE) >= 5


@pytest.fixture
def in_a_scratch_folder(tmp_path: Path) -> Path:
    """Run where files written by an example land in a temporary folder, with sample_data/ at hand."""
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    return tmp_path


@pytest.mark.parametrize(("command", "expected"), CONSOLE, ids=[c for c, _ in CONSOLE])
def test_readme_console_example_prints_what_it_shows(command: str, expected: list[str], in_a_scratch_folder) -> None:
    if "| jq" in command and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    if needs_the_model(command):
        pytest.importorskip("torch")
        pytest.importorskip("timm")
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "80",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", as_on_a_terminal(command)],
        cwd=in_a_scratch_folder,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    actual = [line.rstrip() for line in done.stdout.rstrip("\n").splitlines()]
    while expected and not expected[-1]:
        expected = expected[:-1]
    assert matches(expected, actual), "\n".join(["expected:", *expected, "got:", *actual])


def contract_rows() -> dict[str, set[str]]:
    """The README's JSON contract table: its first column, and the backticked keys of its second."""
    section = README.split("**The JSON contract.**", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for line in section.splitlines()[2:]:
        what, keys = [cell.strip() for cell in line.strip("|").split("|")]
        rows[what] = set(re.findall(r"`([^`]+)`", keys))
    return rows


BEAR = "[[0.1752, 0.0539, -0.0581], [0.0544, 0.0642, 0.0782], [0.323, 0.0958, 0.1941]]"


def test_the_json_contract_table_holds_for_every_command(run) -> None:
    rows = contract_rows()
    documents = {
        "sigmoid": run("sigmoid", BEAR, "--json").json(),
        "softmax": run("softmax", BEAR, "--json").json(),
        "nll": run("nll", "[[-0.4, -1.2]]", "--targets", "0", "--json").json(),
        "xent": run("xent", BEAR, "--targets", "1,0,2", "--json").json(),
        "bce": run("bce", "[[1.2, -0.3]]", "--targets", "[[1, 0]]", "--json").json(),
        "logits": run("logits", BEAR, "--json").json(),
        "explain": run("explain", BEAR, "--targets", "1,0,2", "--json").json(),
    }
    for doc in documents.values():
        assert rows["every command's `--json` document"] <= doc.keys()
    steps_keys = rows["`sigmoid`, `softmax`, `nll`, `xent`, `bce`"] - {"logits"}
    for name in ("sigmoid", "softmax", "nll", "xent", "bce"):
        assert steps_keys <= documents[name].keys(), name
        for step in documents[name]["steps"]:
            assert rows["each entry of `steps`"] - {"class", "example", "batch"} == step.keys()
            assert step["per"] in {"class", "example", "batch"}
    assert "logits" in documents["xent"] and "logits" not in documents["nll"]
    targets_keys = rows["`nll`, `xent`, `bce`"]
    assert targets_keys == {"targets", "targets_kind"}
    for name in ("nll", "xent", "bce"):
        assert targets_keys <= documents[name].keys(), name
    assert (documents["xent"]["targets"], documents["xent"]["targets_kind"]) == ([1, 0, 2], "class indices")
    assert (documents["nll"]["targets"], documents["nll"]["targets_kind"]) == ([0], "class indices")
    assert (documents["bce"]["targets"], documents["bce"]["targets_kind"]) == ([[1.0, 0.0]], "per-entry probabilities")
    soft = run("xent", "[[2, 1]]", "--targets", "[[0.25, 0.75]]", "--json").json()
    assert (soft["targets"], soft["targets_kind"]) == ([[0.25, 0.75]], "class probabilities")
    noted = run("xent", "[[inf, 1, 2]]", "--targets", "0", "--json").json()["notes"]
    assert noted and all(note.keys() == rows["each entry of `notes`"] for note in noted)
    assert rows["`logits`"] - {"model", "weights"} <= documents["logits"].keys()
    calibrate = run("calibrate", BEAR, "--targets", "1,0,2", "--json", "--compare", "--fit").json()
    assert rows["`calibrate`"] - {"confidence", "prediction", "target", "correct"} <= calibrate.keys()
    assert {"confidence", "prediction", "target", "correct"} <= {step["name"] for step in calibrate["steps"]}
    explain = documents["explain"]
    assert {"lang", "source", "title", "sections"} <= explain.keys()
    assert all({"blocks", "result"} <= section.keys() for section in explain["sections"])
    lines = run("xent", BEAR, "--targets", "1,0,2", "--jsonl").lines()
    line_keys = rows["each `--jsonl` line"] - {"input"}
    assert all(line_keys <= line.keys() for line in lines[:-1])
    assert [line["targets"] for line in lines[:-1]] == [1, 0, 2] and "targets" not in lines[-1]
    assert rows["the last `--jsonl` line, when a reduction applies"] <= lines[-1].keys()


def test_models_json_follows_the_contract(run) -> None:
    pytest.importorskip("timm")
    doc = run("models", "efficientnet_lite*", "--json").json()
    assert {"command", "result", "pattern"} <= doc.keys()
    assert {"name": "efficientnet_lite0", "bundled": True} in doc["result"]
