"""`--lang en|ja` on every command (else LANGUAGE/LANG): tables, summaries, notes, --check lines and errors'
advice in the language; JSON keys and note ids stay English; saved HTML/SVG keep Japanese in two cells."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from logitcli.cli.commands import app
from logitcli.output.export import html_in_cells, svg_in_cells
from logitcli.output.lang import LANGS, default_lang, lang_in, say_error, texts

COMMANDS = {
    "sigmoid": ["sigmoid", "-0.1522", "2", "--grad"],
    "softmax": ["softmax", "1", "2", "3"],
    "nll": ["nll", "[[0.3, 0.5, 0.2]]", "--targets", "1", "--grad"],  # probabilities: a note
    "xent": ["xent", "2", "1", "0.1", "--targets", "0", "--grad", "--lr", "0.5"],
    "bce": ["bce", "1", "-2", "--targets", "1,0"],
    "logits": ["logits", "[[1, 2, 3], [0, 1, 0]]"],
    "explain": ["explain", "--section", "softmax"],
}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def invoke(args: list[str], **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args, env={"COLUMNS": "100", **env})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_speaks_japanese_with_lang_ja(command: str) -> None:
    table = [] if command == "explain" else ["--table"]
    code, ja, _ = invoke([*COMMANDS[command], *table, "--lang", "ja"])
    assert code == 0
    assert JAPANESE.search(ja), ja
    code, en, _ = invoke([*COMMANDS[command], *table, "--lang", "en"])
    assert code == 0 and not JAPANESE.search(en)
    code, by_locale, _ = invoke([*COMMANDS[command], *table], LANG="ja_JP.UTF-8", LANGUAGE="")
    assert by_locale == ja


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "explain"])
def test_json_keys_and_numbers_are_the_same_in_every_language(command: str) -> None:
    _, en, _ = invoke([*COMMANDS[command], "--json", "--lang", "en"])
    _, ja, _ = invoke([*COMMANDS[command], "--json", "--lang", "ja"])
    en_doc, ja_doc = json.loads(en), json.loads(ja)
    for doc in (en_doc, ja_doc):
        for note in doc.get("notes", []):
            note.pop("text")
    assert en_doc == ja_doc


def test_notes_follow_the_language_and_keep_their_ids() -> None:
    _, ja, _ = invoke([*COMMANDS["nll"], "--table", "--lang", "ja"])
    said = texts("ja")["notes"]["nll_probabilities"]
    assert "補足：" + said[:20] in ja.replace("\n", "")
    _, doc, _ = invoke([*COMMANDS["nll"], "--json", "--lang", "ja"])
    (note,) = json.loads(doc)["notes"]
    assert note["id"] == "nll_probabilities" and note["text"] == said
    _, doc, _ = invoke([*COMMANDS["nll"], "--json", "--lang", "en"])
    assert json.loads(doc)["notes"][0]["text"].startswith("These rows look like probabilities")


def test_errors_advice_in_japanese_and_exit_codes_unchanged() -> None:
    code, _, err = invoke(["xent", "1", "2", "3", "--lang", "ja"])
    assert code == 2 and err.startswith("エラー：xent には --targets が必要です") and "--targets 2,0" in err
    code, _, err = invoke(["xent", "1", "2", "3", "--targets", "7"], LANG="ja_JP.UTF-8", LANGUAGE="")
    assert code == 2 and err.startswith("エラー：ターゲット 7") and "\n" == err[-1] and err.count("\n") == 1
    code, _, err = invoke(["xent", "1", "2", "3", "--lang", "en"], LANG="ja_JP.UTF-8")
    assert code == 2 and err.startswith("Error: xent needs --targets")
    code, _, err = invoke(["softmax", "1", "--lang", "fr"])
    assert code == 2 and "unknown language 'fr'" in err


def test_every_translated_error_says_what_the_english_one_quotes() -> None:
    english, japanese = texts("en")["errors"], texts("ja")["errors"]
    assert english.keys() == japanese.keys()
    for key, pattern in english.items():
        groups = re.compile(pattern).groups
        used = {int(n) for n in re.findall(r"\{(\d+)\}", japanese[key])}
        assert used == set(range(groups)), key
    assert say_error("something new went wrong", "ja") == "something new went wrong"


def test_the_language_comes_from_the_option_then_the_locale() -> None:
    assert lang_in(["xent", "--lang", "ja"]) == "ja" and lang_in(["xent", "--lang=en"]) == "en"
    assert default_lang({"LANGUAGE": "fr:ja", "LANG": "C"}) == "ja"
    assert default_lang({"LANG": "de_DE.UTF-8"}) == "en" and set(LANGS) == {"en", "ja"}


def test_saved_html_and_svg_keep_full_width_characters_in_two_cells(tmp_path: Path) -> None:
    page = tmp_path / "t.html"
    code, _, _ = invoke([*COMMANDS["xent"], "--table", "--lang", "ja", "--save", str(page)])
    text = page.read_text(encoding="utf-8")
    assert code == 0 and '<span class="c2">ク</span>' in text and ".c2 { width: 2ch; }" in text
    assert "Noto Sans Mono CJK JP" in text
    svg = svg_in_cells('<text x="0" textLength="36.6">クラス</text><text textLength="24.4">ab</text>')
    assert 'textLength="73.2"' in svg and 'textLength="24.4"' in svg
    assert html_in_cells("<style></style><pre><code>a◀b</code></pre>").count('class="c1"') == 1


def test_models_marks_bundled_weights_in_the_language() -> None:
    pytest.importorskip("timm")
    code, out, _ = invoke(["models", "efficientnet_lite0", "--lang", "ja"])
    assert code == 0 and "（同梱の重み）" in out
