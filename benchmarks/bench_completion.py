"""One tab press: how long bash waits for `logitcli logits --model resn<TAB>` to be completed.

Runs the completion the way bash's completion script does (the `_LOGITCLI_COMPLETE` variable, COMP_WORDS,
COMP_CWORD), first once to fill the cache of timm's model names (as the first press after installing or
upgrading timm does), then `--runs` times with the cache current, interleaved with
`python -c "import typer, rich, numpy"` for scale. Goal: under 0.3 s a press.
Run: python benchmarks/bench_completion.py [--runs N]   (needs the `logitcli` script on PATH and timm)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

GOAL_S = 0.3


def elapsed(command: list[str], env: dict[str, str]) -> tuple[float, str, float]:
    """Wall-clock seconds, stdout, and CPU seconds (user + system: less disturbed by a busy machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, done.stdout, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    script = shutil.which("logitcli")
    if script is None:
        sys.exit("the logitcli script is not on PATH: pip install . (or -e .) first")
    from logitcli.cli.completion import timm_version

    if timm_version() is None:
        sys.exit("timm is not installed, so there are no names to complete: install the models extra first")
    with tempfile.TemporaryDirectory() as cache:
        env = {
            **os.environ,
            "XDG_CACHE_HOME": cache,
            "_LOGITCLI_COMPLETE": "complete_bash",
            "COMP_WORDS": "logitcli logits --model resn",
            "COMP_CWORD": "3",
        }
        first, words, _ = elapsed([script], env)
        presses, floor, press_cpu, floor_cpu = [], [], [], []
        for _ in range(runs):
            wall, _, cpu = elapsed([script], env)
            presses.append(wall)
            press_cpu.append(cpu)
            wall, _, cpu = elapsed([sys.executable, "-c", "import typer, rich, numpy"], os.environ.copy())
            floor.append(wall)
            floor_cpu.append(cpu)
    press = statistics.median(presses)
    print(f"first press (fills the cache, imports timm)  {first:6.3f} s")
    print(f"each later press, median of {runs}            {press:6.3f} s   ({len(words.split())} names offered)")
    base = statistics.median(floor)
    print(f"import typer, rich, numpy, median            {base:6.3f} s   (a press is {press / base:.2f}x this)")
    print(f"CPU time: a press {statistics.median(press_cpu):.3f} s, the imports {statistics.median(floor_cpu):.3f} s")
    print(f"goal < {GOAL_S} s a press: {'OK' if press < GOAL_S else 'OVER GOAL'}")


if __name__ == "__main__":
    main()
