"""Hostile input on the model side: pipes, loops, foreign formats, thin images, odd checkpoints, big numbers.

Nothing here downloads anything: the bundled model and a tiny seeded resnet10t do the work.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("timm")
pytest.importorskip("PIL")

from hostile_helpers import fifo, one_error_line  # noqa: E402
from model_helpers import SAMPLE_DATA, TINY_MODEL, bundled, tiny_state  # noqa: E402

from logitcli.errors import InputError  # noqa: E402
from logitcli.model import ModelOptions, load_model, run_images, run_random_input  # noqa: E402
from logitcli.model.images import ImageError, decode_image, expand_image_arguments  # noqa: E402

COFFEE = str(SAMPLE_DATA / "coffee.png")


def run_bundled(paths: list[str]):
    return run_images(paths, ModelOptions(), loaded=bundled())


# ----------------------------------------------------------------------------- named pipes


def test_a_named_pipe_as_an_image_is_named_and_the_others_run(tmp_path: Path) -> None:
    with fifo(tmp_path / "pipe.png") as pipe:
        run = run_bundled([str(pipe), COFFEE])
    assert run.batch.inputs == [COFFEE]
    assert run.failures == [(str(pipe), "a named pipe, not a regular file: skipped")]


def test_a_named_pipe_inside_a_folder_is_skipped_by_name(tmp_path: Path) -> None:
    shutil.copy(COFFEE, tmp_path / "a.png")
    with fifo(tmp_path / "b.png") as pipe:
        run = run_bundled([str(tmp_path)])
    assert run.batch.inputs == [str(tmp_path / "a.png")]
    assert run.failures == [(str(pipe), "a named pipe, not a regular file: skipped")]


def test_a_named_pipe_as_weights_is_refused(tmp_path: Path) -> None:
    with fifo(tmp_path / "weights.pth") as pipe, pytest.raises(InputError, match="a named pipe, not a regular file"):
        load_model(ModelOptions(model=TINY_MODEL, weights=str(pipe)))


def test_a_device_is_not_an_image() -> None:
    with pytest.raises(ImageError, match="a character device"):
        decode_image("/dev/zero")


# ----------------------------------------------------------------------------- symlink loops


@pytest.mark.parametrize("loops", [1, 2])
def test_a_glob_through_symlink_loops_runs_each_file_once(tmp_path: Path, loops: int) -> None:
    shutil.copy(COFFEE, tmp_path / "a.png")
    (tmp_path / "sub").mkdir()
    shutil.copy(COFFEE, tmp_path / "sub" / "b.png")
    for name in ("loop", "also")[:loops]:  # with two loops glob's paths multiply at every level
        (tmp_path / "sub" / name).symlink_to("..")
    start = time.perf_counter()
    paths, failures = expand_image_arguments([str(tmp_path / "**" / "*.png")])
    assert time.perf_counter() - start < 5
    assert paths == [str(tmp_path / "a.png"), str(tmp_path / "sub" / "b.png")]
    assert failures == []


def test_a_file_named_twice_runs_once_with_a_note(run, tmp_path: Path) -> None:
    (tmp_path / "same.png").symlink_to(COFFEE)
    out = run("logits", COFFEE, str(tmp_path / "same.png"), str(SAMPLE_DATA / "c*.png"), "--json")
    assert out.code == 0, out.stderr
    assert [Path(p).name for p in out.json()["inputs"]] == ["coffee.png", "camera.png", "chelsea.png"]
    assert out.stderr.splitlines() == [
        "note: 2 path(s) led to a file already in the run (symlinks or repeats): each file runs once"
    ]


# ----------------------------------------------------------------------------- formats and sizes


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\nshowpage\n"


@pytest.mark.parametrize("name", ["picture.eps", "disguised.png"])
def test_eps_is_never_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    from PIL import EpsImagePlugin

    def no_ghostscript(*_args, **_kwargs):
        raise AssertionError("Ghostscript was asked to run")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", no_ghostscript)
    (tmp_path / name).write_bytes(EPS)
    with pytest.raises(ImageError, match="not an image in a format logitcli reads"):
        decode_image(str(tmp_path / name))


def test_a_thin_image_is_refused_from_its_header_and_the_others_keep_their_rows(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("L", (64000, 1)).save(tmp_path / "wide.png")
    Image.new("L", (1, 16000)).save(tmp_path / "tall.png")
    assert (tmp_path / "wide.png").stat().st_size < 1000
    start = time.perf_counter()
    run = run_bundled([str(tmp_path / "wide.png"), COFFEE, str(tmp_path / "tall.png")])
    assert time.perf_counter() - start < 20
    assert run.batch.inputs == [COFFEE]
    assert run.batch.classes[int(np.argmax(run.batch.values[0]))] == "espresso"
    reasons = dict(run.failures)
    assert "64000x1 pixels is too thin" in reasons[str(tmp_path / "wide.png")]
    assert "1x16000 pixels is too thin" in reasons[str(tmp_path / "tall.png")]


def test_a_panorama_is_still_an_image(tmp_path: Path) -> None:
    from PIL import Image

    Image.open(COFFEE).convert("RGB").resize((1200, 150)).save(tmp_path / "pano.png")
    assert decode_image(str(tmp_path / "pano.png")).size == (1200, 150)


def test_a_decompression_bomb_warning_is_a_note(run, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 120_000)  # coffee.png has 400x400: a warning, not an error
    out = run("logits", COFFEE, "--json")
    assert out.code == 0, out.stderr
    lines = out.stderr.splitlines()
    assert lines and all(line.startswith("note: DecompressionBombWarning: ") for line in lines)


# ----------------------------------------------------------------------------- checkpoints


def test_a_timm_train_checkpoint_loads_safely(tmp_path: Path) -> None:
    import timm

    state = tiny_state(3)
    model = timm.create_model(TINY_MODEL, pretrained=False, num_classes=3)
    model.load_state_dict(state)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    args = argparse.Namespace(model=TINY_MODEL, lr=0.1, epochs=3, img_size=None, decay_milestones=[90, 180])
    checkpoint = {
        "epoch": 3,
        "arch": TINY_MODEL,
        "state_dict": state,
        "optimizer": optimizer.state_dict(),
        "version": 2,
        "args": args,
        "metric": 71.5,
    }
    torch.save(checkpoint, tmp_path / "checkpoint.pth.tar")
    torch.save(state, tmp_path / "plain.pth")
    image = [str(SAMPLE_DATA / "chelsea.png")]
    from_checkpoint = run_images(image, ModelOptions(model=TINY_MODEL, weights=str(tmp_path / "checkpoint.pth.tar")))
    plain = run_images(image, ModelOptions(model=TINY_MODEL, weights=str(tmp_path / "plain.pth")))
    np.testing.assert_array_equal(from_checkpoint.batch.values, plain.batch.values)


class _Hook:
    """Any class beside argparse.Namespace stays refused."""


def test_other_classes_in_a_checkpoint_stay_refused(tmp_path: Path) -> None:
    torch.save({"state_dict": tiny_state(3), "args": _Hook()}, tmp_path / "odd.pth")
    with pytest.raises(InputError, match="cannot load .* safely"):
        load_model(ModelOptions(model=TINY_MODEL, weights=str(tmp_path / "odd.pth")))


def test_a_whole_pickled_model_gets_a_whole_sentence(tmp_path: Path) -> None:
    import timm

    torch.save(timm.create_model(TINY_MODEL, pretrained=False, num_classes=3), tmp_path / "whole.pth")
    with pytest.raises(InputError) as error:
        load_model(ModelOptions(model=TINY_MODEL, weights=str(tmp_path / "whole.pth")))
    message = str(error.value)
    assert "timm.models.resnet.ResNet" in message
    assert "torch.save(model.state_dict(), 'weights.pth')" in message
    assert "two options" not in message and "\n" not in message and "\x1b" not in message


# ----------------------------------------------------------------------------- names and numbers


def test_an_unknown_pretrained_tag_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"unknown pretrained tag 'bogus' for efficientnet_lite0: .*ra_in1k"):
        load_model(ModelOptions(model="efficientnet_lite0.bogus", weights="hub"))
    with pytest.raises(InputError, match="unknown pretrained tag"):
        load_model(ModelOptions(model="resnet10t.bogus", weights="random"))


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"num_classes": 100_000_000}, "--num-classes"),
        ({"seed": 2**64}, "--seed"),
        ({"seed": -(2**63) - 1}, "--seed"),
        ({"threads": 10**6}, "--threads"),
    ],
)
def test_numbers_torch_cannot_take_are_refused_up_front(options: dict, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        ModelOptions(model=TINY_MODEL, weights="random", **options)


def test_too_many_random_inputs_are_refused_before_anything_is_allocated() -> None:
    start = time.perf_counter()
    with pytest.raises(InputError, match="--random-input 100000 is out of range"):
        run_random_input(100_000, ModelOptions(model=TINY_MODEL, weights="random"))
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize(
    "args",
    [
        ["logits", "--random-input", "100000"],
        ["logits", "--weights", "random", "--num-classes", "100000000", "--random-input", "1"],
        ["logits", "--weights", "random", "--seed", str(10**30), "--random-input", "1"],
        ["logits", "--weights", "random", "--seed", "9" * 5000, "--random-input", "1"],
        ["logits", "--model", "efficientnet_lite0.bogus", "--weights", "hub", COFFEE],
        ["logits", "--weights", "", COFFEE],
    ],
)
def test_model_options_through_the_cli_are_one_line(run, args: list[str]) -> None:
    out = run(*args)
    assert out.code == 2, out.stderr
    line = one_error_line(out.stderr)
    assert len(line) < 300


def test_a_labels_json_with_a_repeated_image_through_the_model(run, tmp_path: Path) -> None:
    (tmp_path / "labels.json").write_text(json.dumps({"coffee.png": "espresso"})[:-1] + ', "coffee.png": "cup"}')
    out = run("xent", COFFEE, "--targets", str(tmp_path / "labels.json"))
    assert out.code == 2
    assert "'coffee.png' twice" in one_error_line(out.stderr)
    os.remove(tmp_path / "labels.json")
