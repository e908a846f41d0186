"""How fast `logitcli logits DIR` runs, against a careful per-image loop and the bare forward pass.

    python benchmarks/bench_images.py [--images 64] [--repeats 3]

All three measure the same model (the bundled efficientnet_lite0) on the same 64 images, made from
sample_data/ (resized and mirrored copies, PNG and JPEG) in a temporary folder:

(a) what `logitcli logits DIR` runs at its defaults: `run_images([DIR], ModelOptions())`, timed
    in this process after the model is loaded (files found, decoded, batched, run), so the three
    figures compare the same work. The whole command is also timed in a subprocess, for 64 images
    and for one, to show its fixed cost (imports, model load, shutdown): subtracting the two is too
    noisy on a shared 2-core machine to serve as the figure itself;
(b) a careful per-image loop: open, transform, `model(x)` one image at a time, `eval()`, `inference_mode`;
(c) the forward pass alone on pre-made tensors at the best batch size (and layout: see `forward_only`).

Goals: (a)/(b) >= 1.5 and (a)/(c) >= 0.8. Then `logits sample_data/chelsea.png` end to end
against `python -c "import timm"`. Other processes on the machine make single runs noisy, so each
figure is the best of `--repeats` runs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"


def make_images(folder: Path, count: int) -> None:
    """`count` images from sample_data: scaled 0.5x-1.25x, every other one mirrored, PNG and JPEG."""
    from PIL import Image, ImageOps

    sources = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".png", ".jpg"))
    scales = (1.0, 0.75, 0.5, 1.25, 0.6, 0.9)
    for n in range(count):
        image = Image.open(sources[n % len(sources)]).convert("RGB")
        k = n // len(sources)
        scale = scales[k % len(scales)]
        image = image.resize((max(64, int(image.width * scale)), max(64, int(image.height * scale))))
        if k % 2:
            image = ImageOps.mirror(image)
        image.save(folder / f"img{n:03d}.{'jpg' if n % 2 else 'png'}")


def cli_seconds(arguments: list[str]) -> float:
    """Wall time of `python -m logitcli ARGS` (stdout discarded, failure is fatal)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "logitcli", *arguments], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def python_seconds(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    return time.perf_counter() - start


def per_image_loop(loaded, paths: list[Path]) -> float:
    """(b): the loop a careful user writes, one image at a time."""
    import timm.data
    import torch
    from PIL import Image

    model = loaded.model.eval()
    transform = timm.data.create_transform(**loaded.data_config, is_training=False)
    start = time.perf_counter()
    with torch.inference_mode():
        for path in paths:
            x = transform(Image.open(path).convert("RGB")).unsqueeze(0)
            model(x)
    return len(paths) / (time.perf_counter() - start)


def forward_only(loaded, count: int, batch_sizes=(1, 4, 8, 16)) -> tuple[float, str]:
    """(c): the forward pass on pre-made channels_last tensors, at its best batch size and layout.

    Layouts: one call at a time on all torch threads, or one call per core at once with one
    torch thread each (the layout (a) uses on the CPU, and faster per core), so that (a) is never
    compared with a ceiling lower than the one it runs under.
    """
    import torch

    from logitcli.model.runner import available_cores

    model = loaded.model.eval().to(memory_format=torch.channels_last)
    _, h, w = loaded.data_config["input_size"]
    threads, lanes = torch.get_num_threads(), available_cores()
    best = (0.0, "")

    def run(x, times: int) -> None:
        with torch.inference_mode():
            for _ in range(times):
                model(x)

    for bs in batch_sizes:
        x = torch.randn(bs, 3, h, w).to(memory_format=torch.channels_last)
        calls = max(1, count // bs)
        run(x, 1)
        start = time.perf_counter()
        run(x, calls)
        best = max(best, (calls * bs / (time.perf_counter() - start), f"batch {bs}, 1 call at a time"))
        if lanes > 1:
            per_lane = max(1, calls // lanes)
            with ThreadPoolExecutor(lanes, initializer=torch.set_num_threads, initargs=(1,)) as pool:
                list(pool.map(run, [x] * lanes, [1] * lanes))
                start = time.perf_counter()
                list(pool.map(run, [x] * lanes, [per_lane] * lanes))
                rate = lanes * per_lane * bs / (time.perf_counter() - start)
            best = max(best, (rate, f"batch {bs}, {lanes} calls at once"))
    torch.set_num_threads(threads)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    from logitcli.model import ModelOptions, load_model, run_images

    loaded = load_model(ModelOptions())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_images(folder, args.images)
        paths = sorted(folder.iterdir())
        one = str(paths[0])
        cli_seconds(["logits", one, "--json"])  # warm the file cache
        a_rates, b_rates, c_rates, raw = [], [], [], []
        threads = torch.get_num_threads()
        run_images([str(folder)], ModelOptions(), loaded=loaded)  # warm-up
        for _ in range(args.repeats):
            start = time.perf_counter()
            run_images([str(folder)], ModelOptions(), loaded=loaded)
            a_rates.append(args.images / (time.perf_counter() - start))
            torch.set_num_threads(threads)  # the same threads for (b) and (c) as torch's default
            b_rates.append(per_image_loop(loaded, paths))
            c_rates.append(forward_only(loaded, args.images))
            raw.append((cli_seconds(["logits", str(folder), "--json"]), cli_seconds(["logits", one, "--json"])))
        a = max(a_rates)
        b = max(b_rates)
        c, c_how = max(c_rates)
        print(f"images: {args.images}, torch threads here: {torch.get_num_threads()}, repeats: {args.repeats}")
        total, startup = min(raw)
        print(f"(a) logits DIR (run_images, defaults):    {a:6.1f} img/s  runs {[round(r, 1) for r in a_rates]}")
        print(f"    whole command, best: {total:.2f} s for {args.images} images, {startup:.2f} s for 1 image")
        print(f"(b) per-image loop:                        {b:6.1f} img/s  runs {[round(r, 1) for r in b_rates]}")
        c_runs = [round(r, 1) for r, _ in c_rates]
        print(f"(c) forward only, best:                    {c:6.1f} img/s  runs {c_runs}  ({c_how})")
        print(f"(a)/(b) = {a / b:.2f}  (goal >= 1.5)")
        print(f"(a)/(c) = {a / c:.2f}  (goal >= 0.8)")

    sample = str(SAMPLES / "chelsea.png")
    end_to_end = min(cli_seconds(["logits", sample, "--json"]) for _ in range(args.repeats))
    import_timm = min(python_seconds("import timm") for _ in range(args.repeats))
    import_torch = min(python_seconds("import torch") for _ in range(args.repeats))
    bare = min(python_seconds("pass") for _ in range(args.repeats))
    print(f"logits sample_data/chelsea.png end to end: {end_to_end:.2f} s")
    print(f"python -c 'import timm': {import_timm:.2f} s   'import torch': {import_torch:.2f} s   'pass': {bare:.2f} s")
    print(f"end to end minus import timm: {end_to_end - import_timm:.2f} s")


if __name__ == "__main__":
    main()
