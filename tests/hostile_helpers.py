"""Shared by the hostile-input tests: the one-line rule, and named pipes that cannot hang a test."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path


def one_error_line(stderr: str) -> str:
    """The single `Error: ...` line of a refused input (the test fails on anything else)."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


@contextlib.contextmanager
def fifo(path: Path, timeout: float = 10.0) -> Iterator[Path]:
    """A named pipe at `path`; should anything open it for reading and block, a watchdog opens the
    writing end after `timeout` seconds (so the reader sees end of file and the test ends) and the
    test fails. Nothing may ever read it."""
    os.mkfifo(path)
    done = threading.Event()
    fired = threading.Event()

    def watchdog() -> None:
        if done.wait(timeout):
            return
        fired.set()
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # fails unless a reader is blocked in open()
            os.close(fd)

    thread = threading.Thread(target=watchdog, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        done.set()
        thread.join()
    assert not fired.is_set(), f"something opened the named pipe {path} and waited on it"
