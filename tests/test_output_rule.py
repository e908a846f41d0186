"""One rule for what a command prints when piped, and the same words for it in --help and in the README.

The number commands and `logits` print JSON when stdout is not a terminal (output/emit.py `Output.choose`);
`explain` (prose) and `models` (a list of names) print text either way; `explore` is a live screen that
prints its final state as JSON when piped. Every command's --help states its rule
(helptext.OUTPUT_RULES) and the README names the two that print text.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT
from typer.main import get_command

from logitcli.cli.commands import app
from logitcli.cli.helptext import HELP, OUTPUT_RULES

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]
PIPED_RUNS = {
    "sigmoid": ["sigmoid", "0.5"],
    "softmax": ["softmax", "1", "2", "3"],
    "nll": ["nll", "[[-0.4, -1.2, -2.3]]", "--targets", "0"],
    "xent": ["xent", "2", "1", "0.1", "--targets", "0"],
    "bce": ["bce", "0.5", "--targets", "1"],
    "logits": ["logits", "1", "2", "3"],
    "explain": ["explain", "--section", "sigmoid"],
}


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def test_every_command_has_a_rule_and_its_help_states_it(run) -> None:
    assert set(COMMANDS) == set(HELP)
    for name in COMMANDS:
        rule = OUTPUT_RULES[HELP[name].output]
        assert rule in " ".join(run(name, "--help").stdout.split()), name
        assert sum(rule in value for value in OUTPUT_RULES.values()) == 1


@pytest.mark.parametrize("name", sorted(PIPED_RUNS))
def test_what_a_pipe_gets_is_what_the_help_says(run, name: str) -> None:
    done = run(*PIPED_RUNS[name])
    assert done.code == 0, done.stderr
    assert is_json(done.stdout) == (HELP[name].output == "data")


def test_models_prints_names_when_piped(run) -> None:
    pytest.importorskip("timm")
    done = run("models", "resnet1*")
    assert done.code == 0 and not is_json(done.stdout)
    assert "resnet18" in done.stdout.splitlines()


def test_only_the_data_commands_call_json_the_default_when_piped(run) -> None:
    for name in COMMANDS:
        says_default = "default when piped" in run(name, "--help").stdout
        assert says_default == (HELP[name].output == "data"), name


def test_the_readme_states_the_same_rule() -> None:
    section = README.split("## Output:", 1)[1].split("\n## ", 1)[0]
    paragraph = " ".join(section.split("\n\n", 1)[1].split("\n\n", 1)[0].split())
    data = [name for name in COMMANDS if HELP[name].output == "data"]
    text = [name for name in COMMANDS if HELP[name].output in ("tour", "list")]
    screens = [name for name in COMMANDS if HELP[name].output == "app"]
    rule = re.search(r"^(.*?)print tables on a terminal and JSON when stdout is piped", paragraph)
    assert rule is not None, paragraph
    assert sorted(re.findall(r"`(\w+)`", rule.group(1))) == sorted(data)
    for name in text + screens:
        assert f"`{name}` (" in paragraph
    assert "Two commands print text either way" in paragraph and len(text) == 2
    assert "One is a screen" in paragraph and len(screens) == 1
