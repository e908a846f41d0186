"""stdout while `--save` still has a file to write.

`logitcli softmax 1 2 --save k.txt | true`: the reader is gone before the tables are printed. Without
--save the run stops there, quietly (as `cat` does). With --save the file must still be written, so the
first failure of stdout (a closed pipe, a full disk) is kept here, everything after it is dropped, and the
run goes on to write the file; `Output.finish` then raises the kept failure, which ends the run as it
would have ended without --save.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


class KeptStdout:
    """Writes to the current sys.stdout (text) and its buffer (bytes), keeping the first OSError."""

    def __init__(self) -> None:
        self.error: OSError | None = None

    def _attempt(self, action: Callable[[], Any]) -> None:
        if self.error is not None:
            return
        try:
            action()
        except OSError as error:
            self.error = error

    def write_bytes(self, data: bytes) -> None:
        self._attempt(lambda: sys.stdout.buffer.write(data))

    def write_text(self, text: str) -> None:
        self._attempt(lambda: sys.stdout.write(text))

    def flush(self) -> None:
        self._attempt(sys.stdout.flush)
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:
            self._attempt(buffer.flush)

    @property
    def text(self) -> TextSide:
        return TextSide(self)

    @property
    def binary(self) -> BinarySide:
        return BinarySide(self)


class TextSide:
    """A text file for rich's Console: it asks stdout whether it is a terminal and for its encoding."""

    def __init__(self, kept: KeptStdout) -> None:
        self._kept = kept

    def write(self, text: str) -> int:
        self._kept.write_text(text)
        return len(text)

    def flush(self) -> None:
        self._kept.flush()

    def isatty(self) -> bool:
        return bool(getattr(sys.stdout, "isatty", lambda: False)())

    def fileno(self) -> int:
        return sys.stdout.fileno()

    @property
    def encoding(self) -> str:
        return getattr(sys.stdout, "encoding", None) or "utf-8"


class BinarySide:
    """A binary file for the JSON writers."""

    def __init__(self, kept: KeptStdout) -> None:
        self._kept = kept

    def write(self, data: bytes) -> int:
        self._kept.write_bytes(data)
        return len(data)

    def flush(self) -> None:
        self._kept.flush()
