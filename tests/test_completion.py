"""Completing `--model`: timm's names from the user's cache, refreshed when timm's version changes.

How fast a tab press is, is measured by benchmarks/bench_completion.py; here, the cache's logic.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from logitcli.cli import completion
from logitcli.model.names import BUNDLED_MODELS


@pytest.fixture
def fake_timm(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """A stand-in for timm that counts how often its registry is listed (importing the real one takes seconds)."""
    state = types.SimpleNamespace(version="1.0.0", names=["resnet18", "resnet50", "vit_base_patch16_224"], calls=0)

    def list_models() -> list[str]:
        state.calls += 1
        return list(state.names)

    monkeypatch.setitem(sys.modules, "timm", types.SimpleNamespace(list_models=list_models))
    monkeypatch.setattr(completion, "timm_version", lambda: state.version)
    return state


def test_the_first_press_fills_the_cache_and_the_next_reads_it(tmp_path: Path, fake_timm) -> None:
    assert completion.model_names(tmp_path) == fake_timm.names
    assert fake_timm.calls == 1
    saved = json.loads((tmp_path / completion.CACHE_FILE).read_text(encoding="utf-8"))
    assert saved == {"timm": "1.0.0", "names": fake_timm.names}
    assert completion.model_names(tmp_path) == fake_timm.names
    assert fake_timm.calls == 1  # read from the cache: timm not asked again


def test_a_new_timm_version_refreshes_the_cache(tmp_path: Path, fake_timm) -> None:
    completion.model_names(tmp_path)
    fake_timm.version, fake_timm.names = "1.1.0", ["resnet18", "newnet_tiny"]
    assert completion.model_names(tmp_path) == ["resnet18", "newnet_tiny"]
    assert fake_timm.calls == 2
    assert json.loads((tmp_path / completion.CACHE_FILE).read_text(encoding="utf-8"))["timm"] == "1.1.0"


@pytest.mark.parametrize("content", ["", "{not json", '["a list"]', '{"timm": "1.0.0", "names": "resnet18"}'])
def test_a_broken_cache_is_rebuilt(tmp_path: Path, fake_timm, content: str) -> None:
    (tmp_path / completion.CACHE_FILE).write_text(content, encoding="utf-8")
    assert completion.model_names(tmp_path) == fake_timm.names
    assert fake_timm.calls == 1


def test_a_cache_that_cannot_be_written_still_completes(tmp_path: Path, fake_timm) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("", encoding="utf-8")
    assert completion.model_names(blocked / "logitcli") == fake_timm.names
    assert list(tmp_path.iterdir()) == [blocked]  # no temporary file left behind


def test_without_timm_only_the_bundled_and_common_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(completion, "timm_version", lambda: None)
    assert completion.model_names() == []
    assert completion.complete_model("res") == ["resnet18", "resnet50"]


def test_a_prefix_completes_from_every_name(tmp_path: Path, fake_timm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "linux")
    assert completion.cache_dir() == tmp_path / "logitcli"
    assert completion.complete_model("vit") == ["vit_base_patch16_224"]
    assert completion.complete_model("") == [*completion.BUNDLED_MODELS, *completion.COMMON_MODELS]
    assert (tmp_path / "logitcli" / completion.CACHE_FILE).exists()


def test_the_bundled_names_are_the_models() -> None:
    assert completion.BUNDLED_MODELS == BUNDLED_MODELS


@pytest.mark.skipif(completion.timm_version() is None, reason="timm is not installed")
def test_a_tab_press_with_a_current_cache_imports_neither_timm_nor_the_model_package(tmp_path: Path) -> None:
    folder = tmp_path / "logitcli"
    completion.write_cache(str(completion.timm_version()), ["resnet18", "resnet18d"], folder)
    script = (
        "import sys; from logitcli.cli.completion import complete_model; "
        "print(complete_model('resnet18'), 'timm' in sys.modules, 'logitcli.model' in sys.modules)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == ["['resnet18',", "'resnet18d']", "False", "False"]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"COMP_WORDS": "logitcli logits --model resn", "COMP_CWORD": "3"}, "logits"),
        ({"COMP_WORDS": "logitcli lo", "COMP_CWORD": "1"}, None),
        ({"COMP_WORDS": "logitcli --debug xent -r ", "COMP_CWORD": "4"}, "xent"),
        ({"_TYPER_COMPLETE_ARGS": "logitcli softmax --model res"}, "softmax"),
        ({"_TYPER_COMPLETE_ARGS": "logitcli soft"}, None),
        ({"_TYPER_COMPLETE_ARGS": "logitcli bce "}, "bce"),
    ],
)
def test_a_tab_press_names_the_command_already_typed(environ: dict[str, str], expected: str | None) -> None:
    assert completion.typed_command(environ) == expected
