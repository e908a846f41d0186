"""Weights: the bundled mapping, every --weights form, and the errors a user can cause."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("timm")

from model_helpers import SAMPLE_DATA, TINY_MODEL, bundled, tiny_state  # noqa: E402

from logitcli.errors import InputError, RunError  # noqa: E402
from logitcli.model import ModelOptions, load_model, run_images, run_random_input  # noqa: E402
from logitcli.model.weights import bundled_weights_path, map_bundled_state_dict  # noqa: E402


def top_class(run, index: int = 0) -> str:
    return run.batch.classes[int(np.argmax(run.batch.values[index]))]


# ----------------------------------------------------------------------------- bundled


def test_bundled_mapping_loads_every_tensor() -> None:
    import timm

    source = torch.load(bundled_weights_path(), map_location="cpu", weights_only=True)
    model = timm.create_model("efficientnet_lite0", pretrained=False)
    mapped = map_bundled_state_dict(source, model.state_dict())
    assert len(mapped) == len(source) == len(model.state_dict())
    result = model.load_state_dict(mapped, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert torch.equal(model.classifier.weight, source["_fc.weight"])


def test_bundled_mapping_refuses_a_shape_mismatch() -> None:
    target = {"a.weight": torch.zeros(2, 3), "b.weight": torch.zeros(4)}
    source = {"_a.weight": torch.zeros(2, 3), "_b.weight": torch.zeros(5)}
    with pytest.raises(RunError, match="_b.weight has shape 5 but b.weight needs 4"):
        map_bundled_state_dict(source, target)


@pytest.mark.parametrize(
    ("image", "expected"),
    [("chelsea.png", {"tabby cat", "tiger cat", "Egyptian cat"}), ("coffee.png", {"espresso"})],
)
def test_bundled_model_knows_the_sample_images(image: str, expected: set[str]) -> None:
    run = run_images([str(SAMPLE_DATA / image)], ModelOptions(), loaded=bundled())
    assert top_class(run) in expected
    assert run.batch.extra == {"model": "efficientnet_lite0", "weights": "bundled"}


def test_bundled_preprocessing_matches_the_weights_batch_norm_statistics() -> None:
    """The stem's activations on real images sit closest to the saved BN statistics with mean/std 0.5."""
    import timm.data
    from PIL import Image

    loaded = bundled()
    images = [Image.open(SAMPLE_DATA / f).convert("RGB") for f in ("chelsea.png", "coffee.png", "rocket.jpg")]

    def stem_mismatch(mean, std) -> float:
        transform = timm.data.create_transform(**{**loaded.data_config, "mean": mean, "std": std})
        x = torch.stack([transform(im) for im in images])
        with torch.inference_mode():
            a = loaded.model.conv_stem(x).double()
        bn = loaded.model.bn1
        z = (a.mean((0, 2, 3)) - bn.running_mean) / bn.running_var.sqrt()
        return float(z.abs().median())

    assert loaded.data_config["mean"] == (0.5, 0.5, 0.5)
    assert stem_mismatch((0.5,) * 3, (0.5,) * 3) < stem_mismatch((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


def test_auto_is_bundled_for_the_default_model() -> None:
    assert ModelOptions().weights == "auto"
    assert load_model(ModelOptions(weights="auto")).weights == "bundled"


def test_bundled_for_another_model_says_what_to_use() -> None:
    with pytest.raises(InputError, match="no bundled weights for resnet18"):
        load_model(ModelOptions(model="resnet18", weights="bundled"))


# ----------------------------------------------------------------------------- files and folders


@pytest.fixture
def run_tiny():
    """Run the tiny model with `--weights WEIGHTS` on chelsea.png."""

    def run(weights: str, **kwargs) -> np.ndarray:
        options = ModelOptions(model=kwargs.pop("model", TINY_MODEL), weights=weights, **kwargs)
        return run_images([str(SAMPLE_DATA / "chelsea.png")], options)

    return run


def test_safetensors_file_gives_the_head_size_from_the_file(tmp_path, run_tiny) -> None:
    from safetensors.torch import save_file

    path = tmp_path / "tiny.safetensors"
    save_file(tiny_state(3), str(path))
    run = run_tiny(str(path))
    assert run.batch.values.shape == (1, 3)
    assert run.batch.classes is None
    assert run.batch.extra["weights"] == str(path)


def test_every_file_form_gives_the_same_logits(tmp_path, run_tiny) -> None:
    from safetensors.torch import save_file

    state = tiny_state(3)
    save_file(state, str(tmp_path / "a.safetensors"))
    torch.save(state, tmp_path / "b.pth")
    torch.save(
        {"epoch": 3, "arch": TINY_MODEL, "state_dict": {f"module.{k}": v for k, v in state.items()}},
        tmp_path / "c.pt",
    )
    results = [run_tiny(str(tmp_path / name)).batch.values for name in ("a.safetensors", "b.pth", "c.pt")]
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_save_for_hf_folder_brings_architecture_and_label_names(tmp_path) -> None:
    import timm
    from timm.models import save_for_hf

    torch.manual_seed(0)
    model = timm.create_model(TINY_MODEL, pretrained=False, num_classes=3)
    save_for_hf(
        model, tmp_path / "saved", model_config={"label_names": ["Grizzly", "Brown", "Teddy"]}, safe_serialization=True
    )
    # the default --model is replaced by the folder's architecture
    run = run_images([str(SAMPLE_DATA / "chelsea.png")], ModelOptions(weights=str(tmp_path / "saved")))
    assert run.batch.classes == ["Grizzly", "Brown", "Teddy"]
    assert run.batch.extra["model"] == TINY_MODEL
    loaded = load_model(ModelOptions(weights=str(tmp_path / "saved")))
    saved, restored = model.state_dict(), loaded.model.state_dict()
    assert saved.keys() == restored.keys()
    assert all(torch.equal(saved[k], restored[k]) for k in saved)
    config = json.loads((tmp_path / "saved" / "config.json").read_text())
    assert config["architecture"] == TINY_MODEL


def test_num_classes_that_contradicts_the_file_names_both(tmp_path) -> None:
    torch.save(tiny_state(3), tmp_path / "tiny.pth")
    with pytest.raises(InputError, match=r"--num-classes 5 does not match .*fc.weight has shape 3x512 \(3 classes\)"):
        load_model(ModelOptions(model=TINY_MODEL, weights=str(tmp_path / "tiny.pth"), num_classes=5))


def test_wrong_model_for_the_file_is_one_clear_line(tmp_path) -> None:
    torch.save(tiny_state(3), tmp_path / "tiny.pth")
    with pytest.raises(InputError, match="does not fit resnet18") as error:
        load_model(ModelOptions(model="resnet18", weights=str(tmp_path / "tiny.pth")))
    assert "\n" not in str(error.value)


def test_a_shape_mismatch_names_both_shapes(tmp_path) -> None:
    state = dict(tiny_state(3))
    state["conv1.0.weight"] = torch.zeros(24, 3, 5, 5)
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(InputError, match=r"conv1.0.weight has shape 24x3x5x5 in the file but 24x3x3x3 in the model"):
        load_model(ModelOptions(model=TINY_MODEL, weights=str(tmp_path / "bad.pth")))


class _RunsCode:
    """Unpickling this calls a function: exactly what a weights file must never be able to do."""

    def __reduce__(self):
        return (print, ("code from a weights file ran",))


def test_pickled_code_is_refused(tmp_path, capsys) -> None:
    torch.save({"state_dict": tiny_state(3), "extra": _RunsCode()}, tmp_path / "unsafe.pth")
    with pytest.raises(InputError, match="cannot load .* safely"):
        load_model(ModelOptions(model=TINY_MODEL, weights=str(tmp_path / "unsafe.pth")))
    assert "ran" not in capsys.readouterr().out


def test_missing_weights_path_lists_the_choices() -> None:
    with pytest.raises(InputError, match="no such file or folder.*auto, bundled, hub, random"):
        load_model(ModelOptions(weights="nope.safetensors"))


# ----------------------------------------------------------------------------- hub, random, names


def test_hub_without_network_fails_fast_with_one_line(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    start = time.perf_counter()
    with pytest.raises(RunError) as error:
        load_model(ModelOptions(model="resnet18", weights="hub"))
    assert time.perf_counter() - start < 3
    message = str(error.value)
    assert "resnet18" in message and "--weights random" in message and "--weights PATH" in message
    assert "\n" not in message


def test_unknown_model_gets_suggestions() -> None:
    with pytest.raises(InputError, match="unknown model 'resnet181': did you mean resnet18, resnet18d, resnet101"):
        load_model(ModelOptions(model="resnet181", weights="random"))


def test_random_input_is_reproducible_with_a_seed() -> None:
    options = ModelOptions(model=TINY_MODEL, weights="random", num_classes=3, seed=0, classes=["a", "b", "c"])
    first = run_random_input(2, options)
    second = run_random_input(2, options)
    np.testing.assert_array_equal(first.batch.values, second.batch.values)
    assert first.batch.values.shape == (2, 3)
    assert first.batch.classes == ["a", "b", "c"]
    other = run_random_input(2, ModelOptions(model=TINY_MODEL, weights="random", num_classes=3, seed=1))
    assert not np.array_equal(first.batch.values, other.batch.values)


def test_hub_unreachable_fails_fast_without_retries(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    start = time.perf_counter()
    with pytest.raises(RunError, match="cannot get pretrained weights for resnet18 .*unreachable"):
        load_model(ModelOptions(model="resnet18", weights="hub"))
    assert time.perf_counter() - start < 3
