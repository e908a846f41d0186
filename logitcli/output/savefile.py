"""The one way logitcli writes a file (`--save`): checked first, written whole, never over its own input.

- Only a regular file (or a new one) is written: a named pipe would block forever, a device would take
  the page; they are refused in one line, as reads refuse them.
- The text goes to a temporary file in the same folder, which is then renamed over the target
  (`os.replace`, atomic on one file system): a reader, or another logitcli saving to the same path at the
  same moment, only ever sees one whole file. Through a symlink, the file it points to is replaced whole
  and the link stays.
- A file that the same command reads (`--file`, `--targets FILE`, `--classes-file`, stdin redirected from
  it...) is not saved over: the input would be lost.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from logitcli.errors import InputError, RunError, shown
from logitcli.inputs.files import kind_of

SAVE_SUFFIXES = (".html", ".htm", ".svg", ".txt")


def target_of(path: str) -> Path:
    """The file a write to `path` really replaces: symlinks followed (a dangling one names its target)."""
    return Path(os.path.realpath(path))


def check_save_path(path: str | None, reads: Iterable[str] = ()) -> None:
    """Before anything runs: a kind of file --save writes, in a folder that exists, not a pipe or a device,
    and none of the files this command reads (`reads`, and stdin when it is a file)."""
    if path is None:
        return
    if Path(path).suffix.lower() not in SAVE_SUFFIXES:
        raise InputError(f"--save writes .html, .svg or .txt files, got {shown(path)}: e.g. --save tour.html")
    target = target_of(path)
    folder = target.parent
    if not Path(path).parent.is_dir() or not folder.is_dir():
        raise InputError(
            f"--save {shown(path)}: there is no folder {shown(str(Path(path).parent))}; create it or save elsewhere"
        )
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return  # a new file: nothing to compare with
    except OSError as error:
        raise InputError(f"--save {shown(path)}: {error.strerror or error}") from None
    if not stat.S_ISREG(mode):
        raise InputError(f"--save {shown(path)} is {kind_of(mode)}, not a regular file: save to a file")
    if not os.access(target, os.W_OK):
        raise InputError(f"--save {shown(path)} is read-only: make it writable (chmod u+w) or save elsewhere")
    read = _read_by_this_command(target, reads)
    if read is not None:
        raise InputError(f"--save {shown(path)} is {read}, which this command reads: save to another file")


def _read_by_this_command(target: Path, reads: Iterable[str]) -> str | None:
    """How the command reads `target` (`--file x.txt`, `stdin`), or None when it does not."""
    try:
        saved = os.stat(target)
    except OSError:
        return None
    for name in reads:
        with contextlib.suppress(OSError, ValueError):
            if os.path.samestat(os.stat(name), saved):
                return f"the input {shown(name)}"
    with contextlib.suppress(OSError, ValueError, AttributeError):
        if os.path.samestat(os.fstat(sys.stdin.fileno()), saved):
            return "the file on stdin"
    return None


def write_whole(path: str, text: str) -> None:
    """Write `text` (UTF-8) to `path` so that readers see the old file or the new one, never a part.

    The temporary file lies beside the target (so the rename never crosses file systems) and takes the
    target's permissions, or the umask's for a new file; it is removed if anything fails.
    """
    target = target_of(path)
    check_save_path(path)  # again: the path may have become a pipe while the command ran
    data = text.encode("utf-8")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError as error:
        raise RunError(f"cannot write {shown(path)}: {error.strerror or error}") from None
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), mode)
        os.replace(temporary, target)
        temporary = None
    except OSError as error:
        raise RunError(f"cannot write {shown(path)}: {error.strerror or error}") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
