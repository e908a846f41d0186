"""A 10,000 x 1,000 batch through `softmax --json`, against numpy doing the same job by hand.

Ours: `logitcli softmax --file big.npy --json` (every step and the result, full float64 precision).
Baseline, in the same run: a `python -c` that loads the same .npy, computes the stable softmax with
numpy and writes the result as JSON with the standard library: what a user would do without us.
Both write to /dev/null. Prints the ratio of wall times (goal: at most 1.5) and peak memory of each.
Run: python benchmarks/bench_large.py [--rows 10000 --classes 1000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

GOAL = 1.5
BASELINE = """
import json, sys, numpy as np
x = np.load(sys.argv[1])
e = np.exp(x - x.max(axis=1, keepdims=True))
p = e / e.sum(axis=1, keepdims=True)
sys.stdout.write(json.dumps({"result": p.tolist()}))
"""


PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one command (measured in a wrapper of its own)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *command], check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return seconds, int(done.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--classes", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.npy"
        logits = np.random.default_rng(0).normal(scale=3.0, size=(args.rows, args.classes))
        np.save(path, logits)
        ours_cmd = [sys.executable, "-m", "logitcli", "softmax", "--file", str(path), "--json"]
        result_only = [*ours_cmd, "--no-steps"]
        base_cmd = [sys.executable, "-c", BASELINE, str(path)]
        base, base_mem = timed(base_cmd)
        ours, ours_mem = timed(ours_cmd)
        lean, _ = timed(result_only)
        logits[5, 3], logits[7], logits[100, 1] = np.inf, -np.inf, np.nan  # the day a loss goes nan
        np.save(path, logits)
        broken, broken_mem = timed(ours_cmd)
    print(f"{args.rows} x {args.classes} logits, softmax to JSON")
    print(f"numpy + json.dumps (result only)       {base:6.2f} s   peak {base_mem:7.0f} MiB")
    print(f"logitcli softmax --json (all steps)    {ours:6.2f} s   peak {ours_mem:7.0f} MiB")
    print(f"logitcli softmax --json --no-steps     {lean:6.2f} s")
    print(f"the same with inf, -inf and nan rows   {broken:6.2f} s   peak {broken_mem:7.0f} MiB (diagnosis notes)")
    ratio = ours / base
    print(
        f"ratio {ratio:.2f} (goal <= {GOAL})  {'OK' if ratio <= GOAL else 'OVER GOAL'};"
        f" --no-steps ratio {lean / base:.2f}; with non-finite rows {broken / base:.2f}"
    )


if __name__ == "__main__":
    main()
