"""Running the model: images or random tensors in, one float64 logits row per input out.

Decoding (PIL) runs in a few background threads while torch runs the forward pass in batches;
rows come back in the order the inputs were given, and a row is only ever attached to the path
its tensor was decoded from (each tensor travels with its path through the pipeline).
"""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from logitcli.batch import Batch
from logitcli.errors import InputError
from logitcli.model.classes import resolve_classes
from logitcli.model.deps import torch_and_timm
from logitcli.model.images import Failure, ImageError, decode_image, expand_image_arguments
from logitcli.model.options import DEVICES, ModelOptions
from logitcli.model.weights import LoadedModel, load_model

PROGRESS_MIN_IMAGES = 6
CPU_BATCH_SIZE = 4  # measured best for efficientnet_lite0 on 2 CPU cores: 7.8 ms/img, against 8.9 at 8 and 12.7 at 16
GPU_BATCH_SIZE = 64

RowCallback = Callable[[str, np.ndarray], None]


@dataclass
class ModelRun:
    """The logits of every input that worked, and a (path, reason) for every one that did not."""

    batch: Batch
    failures: list[Failure] = field(default_factory=list)


def run_images(
    arguments: list[str],
    options: ModelOptions,
    on_row: RowCallback | None = None,
    progress: bool = False,
    loaded: LoadedModel | None = None,
) -> ModelRun:
    """Run the model on image files, folders and globs; failures are records, not exceptions.

    `on_row(path, logits_row)` is called for each image as soon as its batch is done (for
    streaming `--jsonl`), in input order. `progress` allows a bar on stderr, shown only when stderr
    is a terminal and there are more than a handful of images. `loaded` reuses a model.
    """
    paths, failures = expand_image_arguments(arguments)
    if not paths:
        reason = "; ".join(f"{path}: {why}" for path, why in failures[:3]) or "no image arguments"
        raise InputError(f"no images to run the model on ({reason})")
    torch, timm = torch_and_timm()
    device = pick_device(options.device)
    threads, workers = plan_threads(options, device)
    torch.set_num_threads(threads)
    loaded = loaded or load_model(options)
    model = prepare_model(loaded, device)
    classes = resolve_classes(loaded.num_classes, options.classes, options.classes_file, loaded.label_names)
    prepare, to_tensor = split_transform(timm.data.create_transform(**loaded.data_config, is_training=False))
    batch_size = options.batch_size or (CPU_BATCH_SIZE if device.type == "cpu" else GPU_BATCH_SIZE)

    def load(path: str) -> Any:
        try:
            return np.asarray(prepare(decode_image(path)), dtype=np.uint8)
        except ImageError as error:
            return ImageError(str(error))
        except OSError as error:  # permission denied and the like
            return ImageError(error.strerror or str(error))

    rows: list[np.ndarray] = []
    done: list[str] = []
    pending: list[tuple[str, Any]] = []

    def flush() -> None:
        if not pending:
            return
        x = to_tensor(np.stack([pixels for _, pixels in pending])).to(device, memory_format=torch.channels_last)
        logits = forward(model, x)
        for (path, _), row in zip(pending, logits, strict=True):
            rows.append(row)
            done.append(path)
            if on_row is not None:
                on_row(path, row)
        pending.clear()

    with _Progress(len(paths), enabled=progress) as bar, _executor(workers) as pool:
        if device.type == "cpu":  # decode, then run: the two never compete for the same cores
            results = phased_map(pool, load, paths, chunk=batch_size)
        else:  # the accelerator runs while the CPU decodes the next batch
            results = ordered_map(pool, load, paths, ahead=batch_size + 2 * workers)
        for path, result in results:
            if isinstance(result, ImageError):
                failures.append((path, str(result)))
            else:
                pending.append((path, result))
                if len(pending) >= batch_size:
                    flush()
            bar.advance()
        flush()

    values = np.stack(rows) if rows else np.zeros((0, loaded.num_classes))
    extra = {"model": loaded.name, "weights": loaded.weights}
    return ModelRun(Batch(values, classes=classes, inputs=done, extra=extra), failures)


def run_random_input(count: int, options: ModelOptions, loaded: LoadedModel | None = None) -> ModelRun:
    """The article's experiment: `torch.randn(count, 3, H, W)` through the model, seeded by `--seed`.

    With `--weights random` the seed is set once, before the model is created, and the input is
    drawn right after, as in `torch.manual_seed(s); model = create_model(...); x = torch.randn(...)`.
    """
    if count < 1:
        raise InputError("--random-input needs a count of at least 1")
    torch, _ = torch_and_timm()
    device = pick_device(options.device)
    threads, _ = plan_threads(options, device)
    torch.set_num_threads(threads)
    seeded_by_load = loaded is None and options.weights == "random"
    loaded = loaded or load_model(options)
    if options.seed is not None and not seeded_by_load:
        torch.manual_seed(options.seed)
    _, height, width = loaded.data_config.get("input_size", (3, 224, 224))
    x = torch.randn(count, 3, height, width)
    model = prepare_model(loaded, device)
    logits = forward(model, x.to(device, memory_format=torch.channels_last))
    classes = resolve_classes(loaded.num_classes, options.classes, options.classes_file, loaded.label_names)
    extra = {"model": loaded.name, "weights": loaded.weights, "input": f"torch.randn({count}, 3, {height}, {width})"}
    if options.seed is not None:
        extra["seed"] = options.seed
    return ModelRun(Batch(logits, classes=classes, inputs=None, extra=extra), [])


# ----------------------------------------------------------------------------- pieces


def split_transform(transform: Any) -> tuple[Callable[[Any], Any], Callable[[np.ndarray], Any]]:
    """timm's eval transform as (PIL part, batched tensor part), with the same numbers.

    The PIL steps (resize, crop) run in the decoding threads; ToTensor and Normalize run once per
    batch in the main thread, so decoder threads never call torch, whose own threads would then
    compete with the forward pass (measured: that contention costs a third of the throughput).
    The batch comes out NHWC in memory, which is channels_last, the layout the model runs in.
    """
    import torch
    from torchvision import transforms as T

    steps = list(getattr(transform, "transforms", [transform]))
    cut = next((i for i, step in enumerate(steps) if "ToTensor" in type(step).__name__), None)
    tail = steps[cut + 1 :] if cut is not None else []
    if cut is None or any(not isinstance(step, T.Normalize) for step in tail) or len(tail) > 1:
        raise RuntimeError(f"unexpected eval transform from timm: {transform}")
    pil_part = T.Compose(steps[:cut])
    mean = torch.as_tensor(tail[0].mean if tail else (0.0, 0.0, 0.0), dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.as_tensor(tail[0].std if tail else (1.0, 1.0, 1.0), dtype=torch.float32).view(1, 3, 1, 1)

    def to_tensor(pixels: np.ndarray) -> Any:
        x = torch.from_numpy(pixels).permute(0, 3, 1, 2).float().div_(255.0)
        return x.sub_(mean).div_(std)

    return pil_part, to_tensor


def forward(model: Any, x: Any) -> np.ndarray:
    """One forward pass without autograd; logits as a float64 array on the CPU."""
    import torch

    with torch.inference_mode():
        out = model(x)
    return out.float().cpu().numpy().astype(np.float64)


def prepare_model(loaded: LoadedModel, device: Any) -> Any:
    """Eval mode, on `device`, channels_last (the fastest layout for convnets on CPU in oneDNN)."""
    import torch

    return loaded.model.eval().to(device, memory_format=torch.channels_last)


def pick_device(name: str) -> Any:
    """`auto` is CUDA, else Apple's MPS, else the CPU; asking for one that is absent is an InputError."""
    import torch

    if name not in DEVICES:
        raise InputError(f"unknown device {name!r}: use one of {', '.join(DEVICES)}")
    cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if name == "auto":
        name = "cuda" if cuda else "mps" if mps else "cpu"
    if (name == "cuda" and not cuda) or (name == "mps" and not mps):
        raise InputError(f"--device {name}: not available on this machine (use --device cpu or auto)")
    return torch.device(name)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def plan_threads(options: ModelOptions, device: Any) -> tuple[int, int]:
    """(torch threads, decoding threads) that do not fight for the same cores.

    On the CPU, torch's threads spin while they wait; a decoder thread competing with them for a
    core slows both. Measured on 2 cores (benchmarks/bench_images.py): see `_cpu_plan`.
    """
    cores = available_cores()
    if device.type != "cpu":
        threads = options.threads or max(1, min(4, cores))
        return threads, options.workers if options.workers is not None else max(2, min(8, cores))
    threads, workers = _cpu_plan(cores)
    if options.threads is not None:
        threads = options.threads
        if options.workers is None:
            workers = max(1, cores - threads)
    if options.workers is not None:
        workers = options.workers
    return threads, workers


def _cpu_plan(cores: int) -> tuple[int, int]:
    """Defaults for CPU inference: every core to torch, and every core to decoding, in turns."""
    return max(1, cores), max(1, cores)


def _executor(workers: int) -> Any:
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="logitcli-decode") if workers > 0 else _Inline()


def phased_map(pool: Executor, fn: Callable[[str], Any], items: list[str], chunk: int) -> Iterator[tuple[str, Any]]:
    """(item, fn(item)) in input order, `chunk` items at a time, with the pool idle between chunks.

    On the CPU this is faster than overlapping: torch's threads use every core during the forward
    pass, and a decoder thread taking one of them stalls all of them at the next barrier
    (measured on 2 cores, 64 images: 22-63 img/s overlapped, 70-86 phased).
    """
    for start in range(0, len(items), max(1, chunk)):
        part = items[start : start + chunk]
        yield from zip(part, pool.map(fn, part) if not isinstance(pool, _Inline) else map(fn, part), strict=True)


def ordered_map(
    pool: Executor, fn: Callable[[str], Any], items: Iterable[str], ahead: int
) -> Iterator[tuple[str, Any]]:
    """(item, fn(item)) in input order, with at most `ahead` items in flight (bounded memory)."""
    queue: deque = deque()
    iterator = iter(items)
    for item in iterator:
        queue.append((item, pool.submit(fn, item)))
        if len(queue) >= max(1, ahead):
            break
    while queue:
        item, future = queue.popleft()
        following = next(iterator, None)
        if following is not None:
            queue.append((following, pool.submit(fn, following)))
        yield item, future.result()


class _Inline:
    """An executor that runs each call at submit time (workers=0: decode in the main thread)."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable, *args: Any) -> Any:
        from concurrent.futures import Future

        future: Future = Future()
        future.set_result(fn(*args))
        return future


class _Progress:
    """A rich progress bar on stderr, only on a terminal and only for more than a handful of images."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar: Any = None
        if enabled and total >= PROGRESS_MIN_IMAGES and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("images"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.task = self.bar.add_task("images", total=total)

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)
