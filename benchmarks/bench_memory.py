"""Peak memory (RSS) for inputs that are large, or claim to be: what issue 17 bounds.

Each benchmark is a function `(folder, args) -> list[Row]` registered in BENCHMARKS; run one with
`--only NAME`, all by default. A row is one command, its peak resident memory (measured in a wrapper
process of its own, so nothing of this script counts), its wall time, and the goal it is held to.

- `text`: a single-line text file of about 200 MB (`--text-mb`), numbers split on spaces, read through
  `--file`, stdin and as a JSON array. The parse alone is held to the text plus 3 times the numbers' own
  size (8 bytes a number); the whole `softmax --json --no-steps` is reported beside it (its steps and JSON
  output cost what they cost for that many numbers).
- `endless`: `/dev/zero` and `yes 1` on stdin, which must end at once or at the documented bound.

- `images`: the folder of 12000 x 12000 PNGs and the bomb-limit image (benchmarks/bench_memory_images.py).

Measured on 2 shared cores (181 MiB of text, 20,000,000 numbers, 153 MiB as float64): parsing it takes
520 MiB (`--file`) and 541 MiB (as a JSON array), against 2.3 GiB and 1.3 GiB before; `softmax --json
--no-steps` on it peaks at 2.2 GiB, most of it the softmax's five full-size steps and the JSON text;
`/dev/zero` ends at once (33 MiB), `yes 1 |` at the 512 MiB bound (546 MiB).
Run: python benchmarks/bench_memory.py [--only text] [--text-mb 200]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MIB = 1 << 20
#: Runs `command` (argv after the wrapper's own) with stdin from a file or a program, prints its peak RSS in KiB.
PEAK = """
import resource, subprocess, sys
stdin_file, producer, command = sys.argv[1], sys.argv[2], sys.argv[3:]
source = subprocess.Popen(producer.split(), stdout=subprocess.PIPE) if producer else None
stdin = source.stdout if source else (open(stdin_file, "rb") if stdin_file else subprocess.DEVNULL)
done = subprocess.run(command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if source:
    source.kill()
sys.stderr.write(done.stderr.decode(errors="replace")[-300:])
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
PARSE_ONLY = """
import sys
from logitcli.inputs.read import read_file
batch = read_file(sys.argv[1])
print(batch.values.size)
"""


@dataclass
class Row:
    name: str
    seconds: float
    peak_mib: float
    exit_code: int
    goal_mib: float | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.goal_mib is None:
            return ""
        return "ok" if self.peak_mib <= self.goal_mib else "OVER"


def measure(name: str, command: list[str], *, stdin: Path | None = None, producer: str = "", **row: object) -> Row:
    """Wall seconds and peak resident MiB of `command` (the largest child of the wrapper: the command)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(stdin or ""), producer, *command], capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    code, kib = done.stdout.split()
    note = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    return Row(name, seconds, int(kib) / 1024, int(code), note=note, **row)  # type: ignore[arg-type]


def logitcli(*args: str) -> list[str]:
    return [sys.executable, "-m", "logitcli", *args]


# ----------------------------------------------------------------------------- text


def write_text_input(folder: Path, megabytes: int) -> tuple[Path, Path, int]:
    """A single line of numbers (6 decimals, about 10 bytes each) of `megabytes` MB, and the same as JSON."""
    count = megabytes * 1_000_000 // 10
    values = np.random.default_rng(0).normal(size=count)
    text = folder / "one_line.txt"
    as_json = folder / "one_line.json"
    line = " ".join(np.char.mod("%.6f", values))
    text.write_text(line)
    as_json.write_text("[" + line.replace(" ", ",") + "]")
    return text, as_json, count


def text_benchmarks(folder: Path, args: argparse.Namespace) -> list[Row]:
    text, as_json, count = write_text_input(folder, args.text_mb)
    own = 8 * count / MIB
    text_mib = text.stat().st_size / MIB
    baseline = measure("python with numpy imported", [sys.executable, "-c", "import numpy, logitcli.inputs.read"])
    goal = baseline.peak_mib + text_mib + 3 * own
    print(f"text input: {text_mib:.0f} MiB on one line, {count:,} numbers = {own:.0f} MiB as float64")
    return [
        baseline,
        measure("parse --file (text)", [sys.executable, "-c", PARSE_ONLY, str(text)], goal_mib=goal),
        measure("parse --file (JSON array)", [sys.executable, "-c", PARSE_ONLY, str(as_json)], goal_mib=goal),
        measure("softmax --file --json --no-steps", logitcli("softmax", "--file", str(text), "--json", "--no-steps")),
        measure("softmax < file --json --no-steps", logitcli("softmax", "--json", "--no-steps"), stdin=text),
    ]


# ----------------------------------------------------------------------------- endless stdin


def endless_benchmarks(folder: Path, args: argparse.Namespace) -> list[Row]:
    from logitcli.inputs.files import DEFAULT_MAX_INPUT_MB

    bound = DEFAULT_MAX_INPUT_MB * 2 + 200  # the bytes read, decoded once, and the interpreter
    return [
        measure("softmax < /dev/zero", logitcli("softmax"), stdin=Path("/dev/zero"), goal_mib=200),
        measure("yes 1 | softmax", logitcli("softmax"), producer="yes 1", goal_mib=bound),
    ]


# ----------------------------------------------------------------------------- images


def image_benchmarks(folder: Path, args: argparse.Namespace) -> list[Row]:
    """The folder of 12000 x 12000 PNGs and the bomb-limit image: bench_memory_images.py, with its own report."""
    script = Path(__file__).with_name("bench_memory_images.py")
    subprocess.run([sys.executable, str(script), "--bomb"], check=False)
    return []


#: name -> benchmark, each in its own function; all run by default, `--only NAME` picks.
BENCHMARKS: dict[str, Callable[[Path, argparse.Namespace], list[Row]]] = {
    "text": text_benchmarks,
    "endless": endless_benchmarks,
    "images": image_benchmarks,
}


def report(rows: list[Row]) -> None:
    print(f"{'command':<36} {'peak MiB':>9} {'goal MiB':>9} {'seconds':>8} {'exit':>5}")
    for row in rows:
        goal = f"{row.goal_mib:9.0f}" if row.goal_mib is not None else " " * 9
        print(f"{row.name:<36} {row.peak_mib:9.0f} {goal} {row.seconds:8.1f} {row.exit_code:5d}  {row.verdict}")
        if row.exit_code not in (0,) and row.note:
            print(f"    {row.note[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append")
    parser.add_argument("--text-mb", type=int, default=200, help="size of the one-line text input (MB)")
    args = parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.only or list(BENCHMARKS):
            rows += BENCHMARKS[name](Path(folder), args)
    report(rows)
    if any(row.verdict == "OVER" for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
