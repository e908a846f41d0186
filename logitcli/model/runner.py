"""Running the model: images or random tensors in, one float64 logits row per input out.

On the CPU, a few "lanes" (threads) each decode a batch and run it with one torch thread; on an
accelerator, threads decode while the main thread runs batches. Rows come back in the order the
inputs were given, and a row is only ever attached to the path its tensor was decoded from (each
tensor travels with its path through the pipeline).
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

from logitcli.errors import InputError, shown
from logitcli.inputs.batch import Batch
from logitcli.model.classes import resolve_classes
from logitcli.model.decode import DecodeBudget, ImageError, decode_image
from logitcli.model.deps import torch_and_timm
from logitcli.model.images import Failure, expand_image_arguments
from logitcli.model.options import DEVICES, ModelOptions
from logitcli.model.weights import LoadedModel, load_model

PROGRESS_MIN_IMAGES = 6
CPU_BATCH_SIZE = 4  # per lane; measured on 2 cores, 64 images: 92-98 img/s at 4, 93 at 6, 77 at 8, 81 at 1
GPU_BATCH_SIZE = 64
MAX_RANDOM_INPUT = 1024  # one torch.randn call: 1024 x 3 x 224 x 224 float32 is 0.6 GB

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
    min_side, budget = resize_side(prepare), DecodeBudget()

    def load(path: str) -> Any:
        """One image's pixels after the PIL part of the transform, or its ImageError (never an exception)."""
        try:
            return np.asarray(prepare(decode_image(path, min_side, budget)), dtype=np.uint8)
        except ImageError as error:
            return ImageError(str(error))
        except OSError as error:  # permission denied and the like
            return ImageError(error.strerror or str(error))
        except Exception as error:  # one image's surprise is that image's error; the others keep their rows
            return ImageError(f"cannot convert it for the model ({type(error).__name__}: {error})")

    def run(pixels: list[np.ndarray]) -> np.ndarray:
        return forward(model, to_tensor(np.stack(pixels)).to(device, memory_format=torch.channels_last))

    def run_chunk(chunk: list[str]) -> list[tuple[str, Any]]:
        """Decode `chunk` and run its good images in one batch: (path, row or ImageError) for each."""
        results = [(path, load(path)) for path in chunk]
        good = [pixels for _, pixels in results if not isinstance(pixels, ImageError)]
        out = iter(run(good) if good else [])
        return [(path, r if isinstance(r, ImageError) else next(out)) for path, r in results]

    rows: list[np.ndarray] = []
    done: list[str] = []

    def record(path: str, result: Any) -> None:
        if isinstance(result, ImageError):
            failures.append((path, str(result)))
            return
        rows.append(result)
        done.append(path)
        if on_row is not None:
            on_row(path, result)

    with _Progress(len(paths), enabled=progress) as bar, _executor(workers, threads) as pool:
        if device.type == "cpu":  # each lane decodes a batch and runs it: no core waits on another
            chunks = [paths[i : i + batch_size] for i in range(0, len(paths), batch_size)]
            for _, results in ordered_map(pool, run_chunk, chunks, ahead=max(1, workers)):
                for path, result in results:
                    record(path, result)
                    bar.advance()
        else:  # the accelerator runs while the CPU decodes the next batch
            pending: list[tuple[str, np.ndarray]] = []

            def flush() -> None:
                if pending:
                    for (done_path, _), row in zip(pending, run([px for _, px in pending]), strict=True):
                        record(done_path, row)
                    pending.clear()

            for path, result in ordered_map(pool, load, paths, ahead=batch_size + 2 * workers):
                if isinstance(result, ImageError):
                    record(path, result)
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
    if not 1 <= count <= MAX_RANDOM_INPUT:
        raise InputError(
            f"--random-input {shown(count)} is out of range: give 1 to {MAX_RANDOM_INPUT} "
            "(each input is a 3x224x224 tensor; 100,000 of them would need 56 GiB)"
        )
    torch, _ = torch_and_timm()
    device = pick_device(options.device)
    torch.set_num_threads(plan_threads(options, device, lanes=False)[0])
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


def resize_side(pil_part: Any) -> int | None:
    """The short side the transform's Resize makes (256 for timm's 224 crop at 0.875): what decoding may keep.

    Without a Resize (a transform that only crops) nothing may be reduced: None.
    """
    for step in getattr(pil_part, "transforms", [pil_part]):
        size = getattr(step, "size", None)
        if "Resize" in type(step).__name__ and size is not None:
            return int(max(size) if isinstance(size, list | tuple) else size)
    return None


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


def plan_threads(options: ModelOptions, device: Any, lanes: bool = True) -> tuple[int, int]:
    """(torch threads, worker threads) that do not fight for the same cores.

    On the CPU the workers are lanes, each decoding a batch and running it with `threads` torch
    threads; by default one lane per core with one torch thread each, see `_cpu_plan`. Without
    `lanes` (one forward pass on its own), torch gets every core.
    """
    cores = available_cores()
    if device.type != "cpu":
        threads = options.threads or max(1, min(4, cores))
        return threads, options.workers if options.workers is not None else max(2, min(8, cores))
    if not lanes:
        return options.threads or cores, 0
    workers = options.workers
    if workers is None:
        workers = max(1, cores // options.threads) if options.threads else _cpu_plan(cores)
    threads = options.threads or max(1, cores // max(1, workers))
    return threads, workers


def _cpu_plan(cores: int) -> int:
    """Lanes for CPU inference: one per core, each with one torch thread.

    One torch thread is more efficient per core than two (efficientnet_lite0 at batch 4: 14.4 ms
    per image on one thread, 8.2 on two, i.e. 16.4 core-ms), and a lane never waits for another.
    Decoding a batch and then running it on every core (the previous plan) left a core idle
    whenever the other finished first, and overlapping a decoder with two spinning torch threads
    collapsed throughput. Measured on 2 cores, 64 images, same runs: 86-98 img/s against 60-89.
    """
    return max(1, cores)


def _executor(workers: int, torch_threads: int) -> Any:
    """A pool of `workers` threads, each with its own torch thread count (OpenMP's is per thread)."""
    if workers <= 0:
        return _Inline()
    import torch

    return ThreadPoolExecutor(
        max_workers=workers,
        thread_name_prefix="logitcli-lane",
        initializer=torch.set_num_threads,
        initargs=(torch_threads,),
    )


def ordered_map(
    pool: Executor, fn: Callable[[Any], Any], items: Iterable[Any], ahead: int
) -> Iterator[tuple[Any, Any]]:
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
    """An executor that runs each call at submit time (workers=0: everything in the main thread)."""

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
