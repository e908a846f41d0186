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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

GOAL_S = 0.3


def elapsed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout


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
        first, words = elapsed([script], env)
        presses, floor = [], []
        for _ in range(runs):
            presses.append(elapsed([script], env)[0])
            floor.append(elapsed([sys.executable, "-c", "import typer, rich, numpy"], os.environ.copy())[0])
    press = statistics.median(presses)
    print(f"first press (fills the cache, imports timm)  {first:6.3f} s")
    print(f"each later press, median of {runs}            {press:6.3f} s   ({len(words.split())} names offered)")
    base = statistics.median(floor)
    print(f"import typer, rich, numpy, median            {base:6.3f} s   (a press is {press / base:.2f}x this)")
    print(f"goal < {GOAL_S} s a press: {'OK' if press < GOAL_S else 'OVER GOAL'}")


if __name__ == "__main__":
    main()
