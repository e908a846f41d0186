"""`logitcli explore` at the command line: its options and input, no terminal, the JSON on quit, its texts,
and that no other command pays for Textual."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from explore_helpers import bear_state

from logitcli import steps
from logitcli.errors import InputError
from logitcli.explore import flow
from logitcli.explore.terminal import keyboard
from logitcli.inputs import article
from logitcli.output.emit import Output
from logitcli.pipeline.read import ModelArgs

TEXTS = Path(__file__).resolve().parent.parent / "logitcli" / "explore" / "texts"


def logitcli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """The console script in a new session: no controlling terminal, as in cron or CI."""
    code = "import sys; from logitcli.cli.commands import main; sys.argv = ['logitcli', *sys.argv[1:]]; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], input=stdin, capture_output=True, text=True, start_new_session=True
    )


def test_softmax_does_not_import_textual() -> None:
    code = (
        "import sys; from logitcli.cli.commands import app\n"
        "try:\n    app(['softmax', '1', '2', '--json'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'logitcli') and "
        "(m.startswith('textual') or m.startswith('logitcli.explore'))), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert json.loads(done.stdout)["command"] == "softmax"
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_without_a_terminal_explore_says_so_in_one_line_and_exits_2() -> None:
    done = logitcli("explore", stdin="1 2 3\n")
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "needs a terminal" in done.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--lr", "0"], "--lr must be a positive number"),
        (["--temperature", "-1"], "temperature must be a positive number"),
        (["--reduction", "avg"], "unknown reduction"),
        (["--label-smoothing", "2"], "--label-smoothing must be at most 1"),
        (["--lang", "fr"], "unknown language 'fr'"),
        (["1", "2", "3", "--targets", "7"], "out of range"),
        (["1", "2", "3", "--targets", "0", "--weight", "1,2"], "give one per class"),
    ],
)
def test_bad_options_are_one_line_and_exit_2_before_any_screen(args: list[str], words: str) -> None:
    done = logitcli("explore", *args)
    assert done.returncode == 2 and words in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_keyboard_without_a_terminal_is_an_input_error(tmp_path: Path) -> None:
    if sys.stdin.isatty():  # pragma: no cover - only when the tests run in a terminal with stdin on it
        pytest.skip("stdin is a terminal here")
    with pytest.raises(InputError, match="needs a terminal"), keyboard(str(tmp_path / "no-tty")):
        pass  # pragma: no cover


def test_nothing_given_is_the_article_bear_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    batch, is_article = flow.read_input(None, None, ModelArgs(), Output("json"))
    assert is_article and batch.classes == article.BEAR_CLASSES
    assert np.array_equal(batch.values, article.BEAR_LOGITS)
    state = flow.first_state(batch, flow.Settings(), is_article)
    assert list(state.numbers.targets) == list(article.BEAR_TARGETS)


def test_piped_logits_keep_their_class_names(monkeypatch: pytest.MonkeyPatch) -> None:
    piped = json.dumps({"command": "logits", "classes": ["cat", "dog"], "logits": [[2.0, 0.5]], "result": [[2.0, 0.5]]})
    monkeypatch.setattr(sys, "stdin", io.StringIO(piped))
    batch, is_article = flow.read_input(None, None, ModelArgs(), Output("json"))
    assert not is_article and batch.classes == ["cat", "dog"]
    state = flow.first_state(batch, flow.Settings(targets="dog"), is_article)
    assert state.target == 1


def test_on_quit_the_final_state_is_the_xent_document(capsys: pytest.CaptureFixture[str]) -> None:
    """The same document as `logitcli xent <final logits> --targets T --grad --json` (a test re-runs the command)."""
    state = bear_state().nudge(0.5).descend()
    from logitcli.inputs.batch import Batch

    batch = Batch(np.array(article.BEAR_LOGITS), classes=list(article.BEAR_CLASSES))
    flow.write_final(state, batch)
    document = json.loads(capsys.readouterr().out)
    final = state.numbers.logits
    command = logitcli(
        "xent", json.dumps(final.tolist()), "--targets", "1,0,2,0,2", "--classes", "Grizzly,Brown,Teddy", "--grad"
    )
    assert command.returncode == 0, command.stderr
    assert document == json.loads(command.stdout)
    assert document["command"] == "xent" and document["logits"] == final.tolist()


def test_with_a_temperature_it_is_the_softmax_document_and_in_sigmoid_mode_bce(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from logitcli.inputs.batch import Batch

    batch = Batch(np.array(article.BEAR_LOGITS))
    flow.write_final(bear_state().temperature(up=True), batch)
    document = json.loads(capsys.readouterr().out)
    assert document["command"] == "softmax" and document["temperature"] == 1.5
    assert document["result"] == steps.softmax(np.array(article.BEAR_LOGITS), 1.5).result.tolist()
    flow.write_final(bear_state().switch_mode(), batch)
    document = json.loads(capsys.readouterr().out)
    assert document["command"] == "bce" and document["result"] == pytest.approx(bear_state().switch_mode().total_loss())


def _placeholders(value: object) -> set[str]:
    return set(re.findall(r"{(\w+)}", json.dumps(value, ensure_ascii=False)))


def test_english_and_japanese_have_the_same_keys_and_placeholders() -> None:
    en = tomllib.loads((TEXTS / "en.toml").read_text(encoding="utf-8"))
    ja = tomllib.loads((TEXTS / "ja.toml").read_text(encoding="utf-8"))
    assert en.keys() == ja.keys()
    for section in en:
        assert en[section].keys() == ja[section].keys(), section
        for key in en[section]:
            assert _placeholders(en[section][key]) == _placeholders(ja[section][key]), (section, key)


def test_every_moment_has_its_words() -> None:
    source = (Path(flow.__file__).parent / "moments.py").read_text(encoding="utf-8")
    ids = set(re.findall(r'Moment\(\s*"(\w+)"', source)) | set(re.findall(r'"(grad_\w+)"', source))
    en = tomllib.loads((TEXTS / "en.toml").read_text(encoding="utf-8"))
    assert ids and ids <= set(en["moments"])
