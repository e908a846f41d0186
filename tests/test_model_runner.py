"""Running the model on batches: order kept, failures named, rows never attributed to the wrong file."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("timm")

from model_helpers import ROOT, SAMPLE_DATA, bundled  # noqa: E402

from logitcli.errors import InputError  # noqa: E402
from logitcli.model import ModelOptions, check_model_name, list_models, run_images  # noqa: E402
from logitcli.model.classes import class_index, imagenet_names, resolve_classes  # noqa: E402
from logitcli.model.runner import ordered_map, plan_threads  # noqa: E402


@pytest.fixture(scope="module")
def single_rows() -> dict[str, np.ndarray]:
    """Each sample image's logits, run on its own."""
    rows = {}
    for name in ("chelsea.png", "coffee.png", "rocket.jpg", "camera.png"):
        run = run_images([str(SAMPLE_DATA / name)], ModelOptions(), loaded=bundled())
        rows[name] = run.batch.values[0]
    return rows


def test_broken_missing_and_non_image_files_leave_the_others_in_order(tmp_path, single_rows) -> None:
    (tmp_path / "broken.png").write_bytes((SAMPLE_DATA / "coffee.png").read_bytes()[:200])
    (tmp_path / "notes.png").write_text("not an image")
    names = ["chelsea.png", "coffee.png", "rocket.jpg", "camera.png"]
    for name in names:
        shutil.copy(SAMPLE_DATA / name, tmp_path / name)
    arguments = [
        str(tmp_path / "chelsea.png"),
        str(tmp_path / "broken.png"),
        str(tmp_path / "coffee.png"),
        str(tmp_path / "missing.jpg"),
        str(tmp_path / "notes.png"),
        str(tmp_path / "rocket.jpg"),
        str(tmp_path / "camera.png"),
    ]
    streamed = []
    # batch size 2 and 3 decoders: batches straddle the failures
    options = ModelOptions(batch_size=2, workers=3)
    run = run_images(arguments, options, on_row=lambda p, r: streamed.append(p), loaded=bundled())
    assert run.batch.inputs == [str(tmp_path / n) for n in names]
    assert streamed == run.batch.inputs
    for name, row in zip(names, run.batch.values, strict=True):
        np.testing.assert_allclose(row, single_rows[name], rtol=1e-4, atol=1e-4)
    failed = dict(run.failures)
    assert set(failed) == {str(tmp_path / n) for n in ("broken.png", "missing.jpg", "notes.png")}
    assert "no such file" in failed[str(tmp_path / "missing.jpg")]
    assert "not an image" in failed[str(tmp_path / "notes.png")]


def test_batch_sizes_and_workers_do_not_change_the_rows(single_rows) -> None:
    arguments = [str(SAMPLE_DATA / n) for n in single_rows]
    expected = np.stack(list(single_rows.values()))
    for batch_size, workers, threads in [(1, 0, None), (3, 2, None), (8, 1, None), (None, None, None), (2, 1, 2)]:
        options = ModelOptions(batch_size=batch_size, workers=workers, threads=threads)
        run = run_images(arguments, options, loaded=bundled())
        np.testing.assert_allclose(run.batch.values, expected, rtol=1e-4, atol=1e-4)


def test_the_batched_input_is_timms_transform_bit_for_bit() -> None:
    from PIL import Image
    from timm.data import create_transform

    from logitcli.model.runner import split_transform

    transform = create_transform(**bundled().data_config, is_training=False)
    prepare, to_tensor = split_transform(transform)
    images = [Image.open(SAMPLE_DATA / n).convert("RGB") for n in ("chelsea.png", "coffee.png", "rocket.jpg")]
    batch = to_tensor(np.stack([np.asarray(prepare(image), dtype=np.uint8) for image in images]))
    assert torch.equal(batch, torch.stack([transform(image) for image in images]))


def test_one_image_at_a_time_matches_timm_and_model_exactly_in_any_lane() -> None:
    """Batch 1, one torch thread: bit-identical to the per-image loop; lanes change nothing.

    Larger batches change oneDNN's float32 rounding (~1e-6), so the batch-size test has a tolerance.
    """
    from PIL import Image
    from timm.data import create_transform

    loaded = bundled()
    names = ["chelsea.png", "coffee.png", "rocket.jpg", "camera.png"]
    transform = create_transform(**loaded.data_config, is_training=False)
    for workers in (0, 2):
        options = ModelOptions(batch_size=1, threads=1, workers=workers)
        run = run_images([str(SAMPLE_DATA / n) for n in names], options, loaded=loaded)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        with torch.inference_mode():
            expected = [loaded.model(transform(Image.open(SAMPLE_DATA / n).convert("RGB"))[None]) for n in names]
        torch.set_num_threads(threads)
        np.testing.assert_array_equal(run.batch.values, torch.cat(expected).double().numpy())


def test_cpu_lanes_split_the_cores(monkeypatch) -> None:
    from logitcli.model import runner

    monkeypatch.setattr(runner, "available_cores", lambda: 4)
    cpu = torch.device("cpu")
    assert plan_threads(ModelOptions(), cpu) == (1, 4)
    assert plan_threads(ModelOptions(threads=2), cpu) == (2, 2)
    assert plan_threads(ModelOptions(workers=1), cpu) == (4, 1)
    assert plan_threads(ModelOptions(workers=0), cpu) == (4, 0)
    assert plan_threads(ModelOptions(), cpu, lanes=False) == (4, 0)


def test_no_images_at_all_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="no images to run the model on"):
        run_images([str(tmp_path / "nothing.png")], ModelOptions(), loaded=bundled())


def test_rows_are_float64_and_named_by_imagenet_classes() -> None:
    run = run_images([str(SAMPLE_DATA / "coffee.png")], ModelOptions(), loaded=bundled())
    assert run.batch.values.dtype == np.float64 and run.batch.values.shape == (1, 1000)
    assert run.batch.classes[967] == "espresso"


def test_the_map_helpers_keep_order() -> None:
    from concurrent.futures import ThreadPoolExecutor

    items = [str(i) for i in range(23)]
    with ThreadPoolExecutor(4) as pool:
        assert [r for _, r in ordered_map(pool, lambda s: int(s) * 2, items, ahead=5)] == list(range(0, 46, 2))
        chunks = [items[i : i + 4] for i in range(0, 23, 4)]
        assert [(c, n) for c, n in ordered_map(pool, len, chunks, ahead=2)] == [(c, len(c)) for c in chunks]


# ----------------------------------------------------------------------------- names and classes


def test_imagenet_names_are_short_and_unique() -> None:
    names = imagenet_names()
    assert len(names) == len(set(names)) == 1000
    assert (names[281], names[967], names[657], names[872]) == ("tabby cat", "espresso", "missile", "tripod")


def test_class_index_accepts_names_synonyms_and_numbers() -> None:
    names = list(imagenet_names())
    assert class_index("tabby cat", names, 1000) == 281
    assert class_index("Tabby Cat", names, 1000) == 281
    assert class_index("tabby, tabby cat", names, 1000) == 281
    assert class_index("281", names, 1000) == 281
    with pytest.raises(InputError, match="unknown class 'kitten'"):
        class_index("kitten", names, 1000)


def test_class_names_must_match_the_head(tmp_path) -> None:
    assert resolve_classes(3, classes=["a", "b", "c"]) == ["a", "b", "c"]
    assert resolve_classes(3) is None
    (tmp_path / "names.txt").write_text("# bears\nGrizzly\nBrown\n\nTeddy\n")
    assert resolve_classes(3, classes_file=str(tmp_path / "names.txt")) == ["Grizzly", "Brown", "Teddy"]
    with pytest.raises(InputError, match="--classes has 2 name.* head has 3 classes"):
        resolve_classes(3, classes=["a", "b"])


def test_sample_labels_name_real_classes() -> None:
    import csv

    names = list(imagenet_names())
    with open(SAMPLE_DATA / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all((SAMPLE_DATA / row["file"]).exists() for row in rows)
    assert all(class_index(row["class"], names, 1000) >= 0 for row in rows)


def test_list_models_marks_bundled_weights() -> None:
    found = dict(list_models("efficientnet_lite"))
    assert found["efficientnet_lite0"] is True and found["efficientnet_lite1"] is False
    check_model_name("resnet18.a1_in1k")  # a pretrained tag is fine


def test_importing_the_model_package_imports_nothing_heavy() -> None:
    code = "import sys, logitcli.model; print(sorted(m for m in ('torch', 'timm', 'PIL') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
