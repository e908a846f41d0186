"""Reading the files a user names: regular files only, UTF-8 text with or without a byte-order mark.

A named pipe, a terminal or a device given where a file belongs would block a read forever (or
never end), so everything is checked with `os.stat` before it is opened and refused by name.
"""

from __future__ import annotations

import os
import stat

from logitcli.errors import InputError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def not_regular_reason(path: str | os.PathLike) -> str | None:
    """None for a regular file (symlinks followed), else why it cannot be read as one."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as error:
        return error.strerror or str(error)
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"{kind}, not a regular file"


def require_regular_file(path: str | os.PathLike, what: str) -> None:
    """Raise InputError naming `what` (e.g. `--classes-file x.txt`) unless `path` is a regular file."""
    if str(path) == "":
        raise InputError(f"{what} is empty: give the path of a file")
    reason = not_regular_reason(path)
    if reason is not None:
        raise InputError(f"{what}: {reason}")


def read_text(path: str | os.PathLike, what: str) -> str:
    """A regular file's text as UTF-8 (a byte-order mark, as spreadsheet programs write, is dropped)."""
    require_regular_file(path, what)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise InputError(f"{what}: cannot read it ({error.strerror or error})") from None
    return decode_text(data, what)


def decode_text(data: bytes, what: str) -> str:
    """UTF-8 bytes to text without a byte-order mark; anything else is one clear error."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{what} is not UTF-8 text (byte {error.start} is {data[error.start]:#04x}): give UTF-8 text"
        ) from None
