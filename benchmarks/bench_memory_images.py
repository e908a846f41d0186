"""Peak memory of `logitcli logits` on huge images: four 12000 x 12000 RGBA PNGs (0.6 MB each) and one at
Pillow's decompression-bomb limit.

    python benchmarks/bench_memory_images.py [--images 4] [--side 12000] [--bomb]

Each case runs `logitcli logits FOLDER --batch-size 1 --json > /dev/null` in a child process and reports its
peak resident set (ru_maxrss), wall time and the exit status, beside the same command on one sample photo (the
fixed cost: Python, torch and the model, 0.76 GiB here, most of it torch's own import). Goal (issue 17): under
1.5 GiB for the 12000 x 12000 folder on 2 cores, whatever the lane count. Decoded, each image is 576 MB; before
the reduction and the decode budget, the folder took 5.3 GiB.
Measured on 2 cores: sample photo 0.76 GiB; the folder 1.36 GiB (35 s); the bomb-limit image 1.46 GiB.

The PNGs are written row by row with zlib, so making them never holds their pixels in this process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_GIB = 1.5
#: Pillow's decompression-bomb error starts above 2 x Image.MAX_IMAGE_PIXELS (2 x 89,478,485): 13370^2 is under it.
BOMB_SIDE = 13370

PEAK = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
    "stderr=subprocess.DEVNULL); print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def write_png(path: Path, width: int, height: int) -> None:
    """An RGBA PNG with a few horizontal bands (so it is not one colour), compressed row by row."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 6, 0, 0, 0])
    compressor = zlib.compressobj(9)
    colours = [bytes([30, 120, 200, 255]), bytes([250, 200, 20, 128]), bytes([0, 0, 0, 0])]
    rows = [b"\x00" + colour * width for colour in colours]
    data = b"".join(compressor.compress(rows[(y * 3) // height]) for y in range(height)) + compressor.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def peak(arguments: list[str]) -> tuple[int, float, float]:
    """Exit status, peak RSS in GiB and wall seconds of `logitcli ARGUMENTS` in a child process."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "logitcli", *arguments]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True, env=env, check=True)
    status, kib = done.stdout.split()
    return int(status), int(kib) / 2**20, time.perf_counter() - start


def report(name: str, arguments: list[str], goal: float | None = None) -> None:
    status, gib, seconds = peak(arguments)
    verdict = "" if goal is None else f"  (goal < {goal:.1f} GiB: {'met' if gib < goal else 'MISSED'})"
    print(f"{name:<44} peak {gib:5.2f} GiB  {seconds:6.1f} s  exit {status}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--side", type=int, default=12000)
    parser.add_argument("--bomb", action="store_true", help=f"also one {BOMB_SIDE} x {BOMB_SIDE} RGBA PNG")
    options = parser.parse_args()
    print(f"{os.cpu_count()} cores seen, {len(os.sched_getaffinity(0))} usable")
    report("one sample photo (the fixed cost)", ["logits", str(ROOT / "sample_data" / "chelsea.png")])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "huge"
        folder.mkdir()
        for n in range(options.images):
            write_png(folder / f"img{n}.png", options.side, options.side)
        size = (folder / "img0.png").stat().st_size / 1e6
        name = f"{options.images} x {options.side}^2 RGBA PNG ({size:.1f} MB each)"
        report(name, ["logits", str(folder), "--batch-size", "1", "--json"], goal=GOAL_GIB)
        if options.bomb:
            bomb = Path(tmp) / "bomb"
            bomb.mkdir()
            write_png(bomb / "edge.png", BOMB_SIDE, BOMB_SIDE)
            report(f"1 x {BOMB_SIDE}^2 RGBA PNG (the bomb limit)", ["logits", str(bomb), "--json"])


if __name__ == "__main__":
    main()
