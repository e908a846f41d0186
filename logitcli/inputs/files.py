"""Reading the files a user names, and stdin: regular files only, UTF-8 text, at most MAX_INPUT_BYTES.

A named pipe, a terminal or a device given where a file belongs would block a read forever (or
never end), so everything is checked with `os.stat` before it is opened and refused by name. Text
from any route (a file, stdin, a pipe that never ends such as `yes 1 |`) is read with a bound: a
file larger than it is refused from its size, a stream when it passes it, and a NUL byte (binary
data, `/dev/zero`) at once, since no text input holds one. Larger arrays belong in a .npy file.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from logitcli.errors import InputError

#: The most text read from one file or from stdin: 512 MiB (LOGITCLI_MAX_INPUT_MB sets another number of MiB).
DEFAULT_MAX_INPUT_MB = 512
CHUNK = 1 << 20


def max_input_bytes() -> int:
    """The bound on text input, in bytes (LOGITCLI_MAX_INPUT_MB when it is a positive whole number)."""
    given = os.environ.get("LOGITCLI_MAX_INPUT_MB", "").strip()
    megabytes = int(given) if given.isascii() and given.isdigit() and 0 < int(given) <= 1 << 20 else None
    return (megabytes or DEFAULT_MAX_INPUT_MB) << 20


def too_large(what: str, limit: int) -> InputError:
    return InputError(
        f"{what} holds more than {limit >> 20} MiB of text, logitcli's bound for text input: give a big "
        "array as a .npy file (--file x.npy), or raise the bound with LOGITCLI_MAX_INPUT_MB"
    )


def binary_data(what: str, offset: int) -> InputError:
    return InputError(
        f"{what} holds binary data (a NUL byte at byte {offset}), not text: give numbers, JSON or a .npy file"
    )


def read_bounded(stream: BinaryIO, what: str, limit: int | None = None) -> bytearray:
    """All of a stream, chunk by chunk, refused as soon as it holds a NUL byte or passes `limit` bytes."""
    limit = max_input_bytes() if limit is None else limit
    data = bytearray()
    while True:
        chunk = stream.read(min(CHUNK, limit + 1 - len(data)) or 1)
        if not chunk:
            return data  # decoded as it is: no copy
        nul = chunk.find(b"\0")
        if nul >= 0:  # no text input holds one: what came before says whether it is another encoding
            decode_text(bytes(data[:CHUNK]) + chunk[:nul], what)
            raise binary_data(what, len(data) + nul)
        data += chunk
        if len(data) > limit:
            raise too_large(what, limit)


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words ("a named pipe"), for a refusal that names it."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


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
    return f"{kind_of(mode)}, not a regular file"


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
    limit = max_input_bytes()
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > limit:
                raise too_large(what, limit)
            data = read_bounded(handle, what, limit)
    except OSError as error:
        raise InputError(f"{what}: cannot read it ({error.strerror or error})") from None
    return decode_text(data, what)


def decode_text(data: bytes | bytearray, what: str) -> str:
    """UTF-8 bytes to text without a byte-order mark; anything else is one clear error."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{what} is not UTF-8 text (byte {error.start} is {data[error.start]:#04x}): give UTF-8 text"
        ) from None
