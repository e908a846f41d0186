"""The model side through the CLI: real images, pipes into the number commands, failures by name."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from conftest import SAMPLE_DATA

torch = pytest.importorskip("torch")
pytest.importorskip("timm")
F = torch.nn.functional
CATS = {"tabby cat", "tiger cat", "Egyptian cat"}


@pytest.fixture(scope="module")
def folder_logits() -> dict:
    """`logits sample_data/ --json`, run once for the module."""
    from typer.testing import CliRunner

    from logitcli.cli.commands import app

    out = CliRunner().invoke(app, ["logits", str(SAMPLE_DATA), "--json"])
    assert out.exit_code == 0, out.stderr
    return json.loads(out.stdout)


def test_logits_json_has_what_other_commands_need(folder_logits: dict) -> None:
    doc = folder_logits
    assert doc["model"] == "efficientnet_lite0" and doc["weights"] == "bundled"
    assert [p.split("/")[-1] for p in doc["inputs"]] == [
        "astronaut.png",
        "camera.png",
        "chelsea.png",
        "coffee.png",
        "rocket.jpg",
    ]
    assert len(doc["classes"]) == 1000 and len(doc["logits"]) == 5 and len(doc["logits"][0]) == 1000
    top = {
        p.split("/")[-1]: doc["classes"][int(np.argmax(row))]
        for p, row in zip(doc["inputs"], doc["logits"], strict=True)
    }
    assert top["chelsea.png"] in CATS
    assert top["coffee.png"] == "espresso"


def test_logits_piped_into_softmax_and_xent(run, folder_logits: dict) -> None:
    text = json.dumps(folder_logits)
    probs = run("softmax", "--json", "--no-steps", input=text)
    assert probs.code == 0, probs.stderr
    logits = torch.tensor(folder_logits["logits"], dtype=torch.float64)
    np.testing.assert_allclose(probs.json()["result"], F.softmax(logits, dim=1).numpy(), rtol=1e-12, atol=1e-15)
    assert probs.json()["classes"] == folder_logits["classes"]
    assert probs.json()["inputs"] == folder_logits["inputs"]

    loss = run("xent", "--targets", str(SAMPLE_DATA / "labels.csv"), "--reduction", "none", "--json", input=text)
    assert loss.code == 0, loss.stderr
    assert "astronaut.png: left out of the loss" in loss.stderr
    names = folder_logits["classes"]
    targets = [-100, names.index("tripod"), names.index("tabby cat"), names.index("espresso"), names.index("missile")]
    expected = F.cross_entropy(logits, torch.tensor(targets), reduction="none")
    np.testing.assert_allclose(loss.json()["result"], expected.numpy(), rtol=1e-12)


def test_number_command_runs_the_model_on_images(run) -> None:
    out = run("softmax", str(SAMPLE_DATA / "coffee.png"), "--top-k", "3", "--table")
    assert out.code == 0, out.stderr
    assert "espresso" in out.stdout and "top 3 of 1000 classes" in out.stdout


def test_jsonl_streams_one_line_per_image(run) -> None:
    out = run("logits", str(SAMPLE_DATA / "chelsea.png"), str(SAMPLE_DATA / "coffee.png"), "--jsonl")
    assert out.code == 0, out.stderr
    lines = out.lines()
    assert [line["input"].split("/")[-1] for line in lines] == ["chelsea.png", "coffee.png"]
    assert all(line["weights"] == "bundled" and len(line["logits"]) == 1000 for line in lines)
    again = run("softmax", "--json", "--no-steps", input=out.stdout)
    assert again.json()["classes"][int(np.argmax(again.json()["result"][1]))] == "espresso"


def test_a_broken_image_is_named_and_the_others_still_report(run, tmp_path) -> None:
    shutil.copy(SAMPLE_DATA / "coffee.png", tmp_path / "a_coffee.png")
    (tmp_path / "b_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    shutil.copy(SAMPLE_DATA / "rocket.jpg", tmp_path / "c_rocket.jpg")
    out = run("logits", str(tmp_path), str(tmp_path / "missing.png"), "--json")
    assert out.code == 1
    doc = out.json()
    assert [p.split("/")[-1] for p in doc["inputs"]] == ["a_coffee.png", "c_rocket.jpg"]
    assert doc["classes"][int(np.argmax(doc["logits"][0]))] == "espresso"
    errors = out.stderr.strip().splitlines()
    assert any("b_broken.png" in line for line in errors)
    assert any("missing.png" in line for line in errors)
    assert all(line.startswith("Error: ") for line in errors)


def test_random_input_is_the_articles_code_and_reproducible(run) -> None:
    args = [
        "logits",
        "--random-input",
        "5",
        "--model",
        "resnet18",
        "--weights",
        "random",
        "--num-classes",
        "3",
        "--seed",
        "0",
        "--classes",
        "Grizzly,Brown,Teddy",
        "--json",
    ]
    first, second = run(*args), run(*args)
    assert first.code == 0, first.stderr
    assert first.json()["logits"] == second.json()["logits"]
    assert np.array(first.json()["logits"]).shape == (5, 3)
    assert first.json()["classes"] == ["Grizzly", "Brown", "Teddy"]
    loss = run("xent", "--targets", "Brown,Grizzly,Teddy,Grizzly,Teddy", "--json", input=first.stdout)
    assert loss.code == 0, loss.stderr


@pytest.mark.parametrize(
    "args,needle",
    [
        (["logits", str(SAMPLE_DATA / "chelsea.png"), "--model", "resnet181"], "did you mean"),
        (["logits", str(SAMPLE_DATA / "chelsea.png"), "--weights", "no/such/file.pth"], "no/such/file.pth"),
        (["logits", "nothing/here/*.png"], "no images"),
    ],
    ids=["unknown-model", "missing-weights", "no-images"],
)
def test_model_mistakes_are_one_line(run, args: list[str], needle: str) -> None:
    out = run(*args)
    assert out.code == 2, out.stderr
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0]


def test_mismatched_head_names_both_shapes(run, tmp_path) -> None:
    import timm
    from safetensors.torch import save_file

    model = timm.create_model("resnet10t", pretrained=False, num_classes=3)
    path = tmp_path / "three.safetensors"
    save_file(model.state_dict(), str(path))
    out = run(
        "logits", str(SAMPLE_DATA / "chelsea.png"), "--model", "resnet10t", "--weights", str(path), "--num-classes", "5"
    )
    assert out.code == 2
    line = out.stderr.strip()
    assert line.startswith("Error: ") and "3" in line and "5" in line and "\n" not in line
    ok = run("logits", str(SAMPLE_DATA / "chelsea.png"), "--model", "resnet10t", "--weights", str(path), "--json")
    assert ok.code == 0, ok.stderr
    assert len(ok.json()["logits"][0]) == 3


def test_explain_walks_the_tour_on_an_image(run) -> None:
    out = run("explain", str(SAMPLE_DATA / "coffee.png"), "--section", "softmax")
    assert out.code == 0, out.stderr
    assert "espresso" in out.stdout and "matches torch.softmax" in out.stdout


def test_models_lists_and_marks_bundled(run) -> None:
    out = run("models", "efficientnet_lite*")
    assert out.code == 0
    assert "efficientnet_lite0\t(bundled weights)" in out.stdout.splitlines()


def test_a_real_process_flushes_everything_before_its_quick_exit() -> None:
    """Model runs skip torch's slow teardown: the JSON must still arrive whole, and the exit code stay 1."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "logitcli", "logits", str(SAMPLE_DATA / "coffee.png"), "missing.png", "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    assert doc["classes"][int(np.argmax(doc["logits"][0]))] == "espresso"
    assert done.stderr.strip().splitlines() == ["Error: missing.png: no such file or folder"]


def test_explain_ends_with_the_cross_entropy_of_labelled_images(run) -> None:
    out = run("explain", str(SAMPLE_DATA), "--targets", str(SAMPLE_DATA / "labels.csv"), "--section", "xent")
    assert out.code == 0, out.stderr
    assert "astronaut.png: left out of the loss" in out.stderr
    assert "tabby cat ◀ target" in out.stdout
    assert "matches torch.nn.functional.cross_entropy" in out.stdout
