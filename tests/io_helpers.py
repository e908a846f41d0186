"""Real processes on real terminals, pipes and files, for the hostile I/O tests: never a hang, always a bound."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass

from conftest import ROOT


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def cli(*args: str, stdin: bytes | int | None = b"", timeout: float = 60, **env: str) -> Done:
    """logitcli in a child process with stdout and stderr piped."""
    feed = stdin if isinstance(stdin, bytes) or stdin is None else None
    done = subprocess.run(
        [sys.executable, "-m", "logitcli", *args],
        input=feed,
        stdin=stdin if isinstance(stdin, int) else None,
        capture_output=True,
        timeout=timeout,
        env=child_env(**env),
    )
    return Done(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


def on_terminal(*args: str, columns: int, lines: int, timeout: float = 90, **env: str) -> Done:
    """logitcli with stdout on a pseudo-terminal of `columns` x `lines` (stderr piped apart); killed at `timeout`,
    and at 256 MB of output, so a run that would never end fails the test instead of hanging it."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    child = subprocess.Popen(
        [sys.executable, "-m", "logitcli", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=child_env(**{"TERM": "xterm", **env}),
    )
    os.close(slave)
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and size < 256 << 20:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if child.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        else:
            child.kill()
            child.wait()
            raise AssertionError(f"logitcli {' '.join(args)} did not end on a {columns}x{lines} terminal")
        stderr = child.stderr.read() if child.stderr else b""
        code = child.wait(timeout=30)
    finally:
        os.close(master)
        if child.poll() is None:
            child.kill()
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return Done(code, text, stderr.decode("utf-8", "replace"))
