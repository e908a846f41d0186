"""The keyboard and the screen for a Textual app whose stdin (or stdout, or stderr) is a pipe.

Textual reads keys from file descriptor 0, draws on descriptor 2 and asks descriptor 1 for the terminal's
size (a pipe there reads as 80 x 24, whatever the window). `logitcli logits cat.png --json | logitcli
explore | jq` has the data on 0 and a pipe on 1; once the data is read, `keyboard()` puts the terminal itself
(/dev/tty) on each of 0, 1 and 2 that is not one for the app's run, and puts the old descriptors back
afterwards (so the final JSON still goes down the pipe), the way Textualize's own tools take a pipe.
Without any terminal (a cron job, CI) there is nothing to draw on or read keys from: that is one line and
exit 2, never a hang.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from logitcli.errors import InputError

NO_TERMINAL = (
    "explore is interactive and needs a terminal for its keys and screen, and none is attached: run it in a "
    "terminal (for one step in a script: logitcli xent --grad --lr 1)"
)


def _is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


@contextmanager
def keyboard(tty_path: str = "/dev/tty") -> Iterator[None]:
    """Descriptors 0, 1 and 2 on the terminal while the block runs (those already on one stay as they are)."""
    wanted = [fd for fd in (0, 1, 2) if not _is_terminal(fd)]
    if not wanted:
        yield
        return
    try:
        tty = os.open(tty_path, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        raise InputError(NO_TERMINAL) from None
    saved: list[tuple[int, int]] = []
    sys.stdout.flush()
    try:
        for fd in wanted:
            saved.append((fd, os.dup(fd)))
            os.dup2(tty, fd)
        yield
    finally:
        for fd, old in saved:
            os.dup2(old, fd)
            os.close(old)
        os.close(tty)
