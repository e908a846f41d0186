"""Start-up time of a number command against the floor of its own imports, in the same run.

Times `logitcli softmax 1 2 3` (piped, so it prints JSON) and `python -c "import typer, rich, numpy"`,
interleaved so both see the same machine load, and prints the ratio of the medians.
Goal: at most 1.3. Run: python benchmarks/bench_startup.py [--runs N]

logitcli's own modules are byte-compiled first, as `pip install` does for an installed package: in an
editable checkout with PYTHONDONTWRITEBYTECODE set, every run would otherwise recompile them from source
(about 20 ms here), which a user never pays.
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMAND = [sys.executable, "-m", "logitcli", "softmax", "1", "2", "3"]
BASELINE = [sys.executable, "-c", "import typer, rich, numpy"]
GOAL = 1.3


def elapsed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    import logitcli

    compileall.compile_dir(Path(logitcli.__file__).parent, quiet=1)
    elapsed(COMMAND), elapsed(BASELINE)  # warm the file cache
    ours, floor = [], []
    for _ in range(runs):
        ours.append(elapsed(COMMAND))
        floor.append(elapsed(BASELINE))
    ratio = statistics.median(ours) / statistics.median(floor)
    print(f"logitcli softmax 1 2 3        median {statistics.median(ours) * 1000:7.1f} ms")
    print(f"import typer, rich, numpy     median {statistics.median(floor) * 1000:7.1f} ms")
    print(f"ratio {ratio:.2f} (goal <= {GOAL})  {'OK' if ratio <= GOAL else 'OVER GOAL'}")


if __name__ == "__main__":
    main()
