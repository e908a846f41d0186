"""Writing a long table to a file: `softmax --file big.npy --table > out.txt` against the same with `--json`.

A random (N, 3) batch is saved as .npy; each command runs with stdout to a file (the path a person takes to
keep a table), interleaved so both see the same machine load. Prints seconds per 10,000 rows (wall clock, and
the CPU time of the command, which a busy machine disturbs less) and the ratio of the table to JSON.
Goal: at most 1 s per 10,000 rows. Run: python benchmarks/bench_tables.py [--rows N] [--classes C] [--runs R]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

GOAL_S_PER_10K = 1.0


def timed(command: list[str], output: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one run, stdout to `output`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with output.open("wb") as stream:
        subprocess.run(command, check=True, stdout=stream)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "big.npy"
        np.save(data, np.random.default_rng(0).normal(size=(args.rows, args.classes)))
        base = [sys.executable, "-m", "logitcli", "softmax", "--file", str(data)]
        commands = {"--table": [*base, "--table"], "--json": [*base, "--json"]}
        out = Path(folder) / "out.txt"
        for command in commands.values():  # warm the file cache and the byte-code
            timed(command, out)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                wall, cpu = timed(command, out)
                walls[name].append(wall)
                cpus[name].append(cpu)
    per = 10_000 / args.rows
    print(f"softmax --file ({args.rows:,} x {args.classes}) > file, median of {args.runs} runs")
    for name in commands:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"  {name:8} {wall:7.3f} s wall ({wall * per:.3f} s per 10,000 rows)   {cpu:7.3f} s CPU")
    table, json = statistics.median(walls["--table"]), statistics.median(walls["--json"])
    table_cpu = statistics.median(cpus["--table"])
    verdict = "OK" if table * per <= GOAL_S_PER_10K else "OVER GOAL"  # wall clock: what the user waits
    print(f"  table / json: {table / json:.2f}x wall, {table_cpu / statistics.median(cpus['--json']):.2f}x CPU")
    print(f"  goal <= {GOAL_S_PER_10K} s per 10,000 rows: {verdict}")


if __name__ == "__main__":
    main()
