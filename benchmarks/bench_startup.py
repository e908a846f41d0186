"""Start-up time of a number command against the floor of its own imports, in the same run.

Times `logitcli softmax 1 2 3` piped (so it prints JSON), the same with `--table` (rich lays out the
table: the path a person at a terminal takes) and `python -c "import typer, rich, numpy"`, interleaved so
all see the same machine load, and prints each command's ratio of medians to the floor.
Goals (issue 18): at most 1.1 for JSON, 1.3 for the table. Measure an installed package, as a user has it
(`pip install .` into a fresh venv, then run this file from outside the checkout, with that venv's python);
in an editable checkout the import system's path hooks add a little. Run: python benchmarks/bench_startup.py [--runs N]

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

SCRIPT = [sys.executable, "-c", "import sys; from logitcli.cli.commands import main; sys.argv[0] = 'logitcli'; main()"]
COMMANDS = {  # each through the console script's own entry point, `main`
    "logitcli softmax 1 2 3 (JSON)": [*SCRIPT, "softmax", "1", "2", "3"],
    "logitcli softmax 1 2 3 --table": [*SCRIPT, "softmax", "1", "2", "3", "--table"],
}
GOALS = {"logitcli softmax 1 2 3 (JSON)": 1.1, "logitcli softmax 1 2 3 --table": 1.3}
BASELINE = [sys.executable, "-c", "import typer, rich, numpy"]


def elapsed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    import logitcli

    package = Path(logitcli.__file__).parent
    if (package.parent / "pyproject.toml").exists():
        print(f"note: measuring the checkout at {package.parent} (editable); the goals are for an installed package")
    compileall.compile_dir(package, quiet=1)
    for command in [*COMMANDS.values(), BASELINE]:  # warm the file cache
        elapsed(command)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    floor = []
    for _ in range(runs):
        for name, command in COMMANDS.items():
            times[name].append(elapsed(command))
        floor.append(elapsed(BASELINE))
    base = statistics.median(floor)
    print(f"{'import typer, rich, numpy':34} median {base * 1000:7.1f} ms")
    for name, measured in times.items():
        ratio = statistics.median(measured) / base
        verdict = "OK" if ratio <= GOALS[name] else "OVER GOAL"
        median = statistics.median(measured) * 1000
        print(f"{name:34} median {median:7.1f} ms  ratio {ratio:.2f} (goal <= {GOALS[name]}) {verdict}")


if __name__ == "__main__":
    main()
