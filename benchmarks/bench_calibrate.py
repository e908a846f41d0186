"""calibrate on an ImageNet-validation-sized input: 50,000 x 1,000 float64 logits from a .npy file.

Ours: `logitcli calibrate --file logits.npy --targets labels.npy --fit --json` (per example, bins, every
metric, the exact temperature and the metrics after it), in a process of its own, with its peak memory.
Beside it, in one run: torchmetrics' `multiclass_calibration_error` alone on the same array (when torch is
installed), and the ECE alone in-process with the array already loaded (ours: the chunked top-label pass and
the 15 bins; theirs: the same call as above), timed against each other.
Goals: calibrate --fit within 10 s with peak memory under 3x the input's size; our ECE alone no slower than
torchmetrics'. Measured, not a timed test. Run: python benchmarks/bench_calibrate.py [--rows N --classes C]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one command (measured in a wrapper of its own)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *command], check=True, capture_output=True, text=True)
    return time.perf_counter() - start, int(done.stdout.strip()) / 1024


def synthetic(rows: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from a softmax, logits then sharpened 2.5x: an over-confident model (T* near 2.5)."""
    rng = np.random.default_rng(0)
    base = rng.normal(scale=2.0, size=(rows, classes))
    top = base.argmax(axis=1)
    labels = np.where(rng.uniform(size=rows) < 0.7, top, rng.integers(0, classes, rows))
    return base * 2.5, labels


def best_of(repeats: int, work) -> float:  # noqa: ANN001 - a callable
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--classes", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        logits_path, labels_path = Path(folder) / "logits.npy", Path(folder) / "labels.npy"
        logits, labels = synthetic(args.rows, args.classes)
        np.save(logits_path, logits)
        np.save(labels_path, labels)
        size = logits.nbytes / 2**20
        command = [sys.executable, "-m", "logitcli", "calibrate", "--file", str(logits_path)]
        command += ["--targets", str(labels_path), "--fit", "--json"]
        ours, ours_mem = timed(command)
        print(f"input: {args.rows} x {args.classes} float64, {size:.0f} MiB")
        print(
            f"calibrate --fit --json: {ours:.2f} s (goal: 10 s), peak {ours_mem:.0f} MiB = {ours_mem / size:.2f}x input"
        )
        print(f"  goals met: time {ours <= 10}, memory {ours_mem < 3 * size}")
        ece_alone(logits, labels)
    print(f"this process's peak: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def ece_alone(logits: np.ndarray, labels: np.ndarray) -> None:
    """The ECE alone, the array already in memory: ours against torchmetrics' on the same array."""
    from logitcli.steps.calibration import CONVENTIONS, measure
    from logitcli.steps.calibration.outcomes import top_label

    def ours() -> float:
        found = top_label(logits, labels, -100)
        return measure(found.confidence, found.correct, CONVENTIONS["torchmetrics"], 15, float32=True).ece

    ours_s = best_of(3, ours)
    try:
        import torch  # noqa: TID253 - the benchmark's baseline
        from torchmetrics.functional.classification import multiclass_calibration_error
    except ImportError:
        print(f"ECE alone, in-process: ours {ours_s:.3f} s (torchmetrics not installed: no baseline)")
        return
    x, t = torch.from_numpy(logits), torch.from_numpy(labels)

    def theirs() -> float:
        return float(multiclass_calibration_error(x, t, logits.shape[1], n_bins=15))

    theirs_s = best_of(3, theirs)
    print(
        f"ECE alone, in-process ({torch.get_num_threads()} torch threads): ours {ours_s:.3f} s, torchmetrics "
        f"{theirs_s:.3f} s, ratio {ours_s / theirs_s:.2f} (goal: at most 1)"
    )
    print(f"  same number: ours {ours():.9f}, torchmetrics {theirs():.9f}")


if __name__ == "__main__":
    main()
