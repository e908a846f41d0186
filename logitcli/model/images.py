"""From the user's arguments to decoded RGB images, with every failure kept as a record.

A missing, broken or non-image file never stops a batch: it becomes `(path, reason)` and the
other images go on. Order is the order given; a folder's files are sorted. Only regular files are
opened (a named pipe would block the batch forever), each real file runs once however many
paths (symlinks, loops, repeats) lead to it, and only formats Pillow decodes in-process are read
(never EPS, which Pillow hands to Ghostscript). Decoding itself is `logitcli.model.decode`.
"""

from __future__ import annotations

import fnmatch
import glob
import itertools
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

from logitcli.inputs.files import not_regular_reason
from logitcli.model.decode import ImageError, decode_image

__all__ = ["ImageError", "decode_image", "expand_image_arguments", "expand_pattern", "natural_key"]

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm", ".jfif"}
)
#: A pattern that reaches more paths than this walks a symlink loop (or the wrong folder).
MAX_PATTERN_PATHS = 100_000
Failure = tuple[str, str]


def expand_image_arguments(arguments: list[str]) -> tuple[list[str], list[Failure]]:
    """Files as given, folders searched recursively for image files, globs expanded (sorted).

    A file named explicitly is kept whatever its suffix (decoding will say if it is no image);
    inside folders only common image suffixes count, and hidden files are skipped. Anything that
    is not a regular file (a named pipe, a device) is a failure, named and skipped; each real file
    is taken once, at the first path that leads to it.
    """
    candidates: list[str] = []
    failures: list[Failure] = []
    for argument in arguments:
        if os.path.isdir(argument):
            found, unreadable = _images_in_folder(argument)
            failures.extend((folder, f"cannot read this folder ({why})") for folder, why in unreadable)
            if not found and not unreadable:
                failures.append((argument, "no image files in this folder"))
            candidates.extend(found)
        elif os.path.exists(argument):
            candidates.append(argument)
        elif glob.has_magic(argument):
            matches = list(itertools.islice(expand_pattern(os.path.expanduser(argument)), MAX_PATTERN_PATHS + 1))
            if len(matches) > MAX_PATTERN_PATHS:
                failures.append((argument, f"reaches over {MAX_PATTERN_PATHS:,} paths (a symlink loop?): narrow it"))
                continue
            if not matches:
                failures.append((argument, "no files match this pattern"))
            for match in sorted(matches, key=natural_key):
                if os.path.isdir(match):
                    found, unreadable = _images_in_folder(match)
                    failures.extend((folder, f"cannot read this folder ({why})") for folder, why in unreadable)
                    candidates.extend(found)
                else:
                    candidates.append(match)
        else:
            failures.append((argument, "no such file or folder"))
    paths = []
    for path in _each_file_once(candidates):
        reason = not_regular_reason(path)
        if reason is None or reason == "no such file":  # gone since: decoding names it
            paths.append(path)
        else:
            failures.append((path, f"{reason}: skipped"))
    return paths, failures


def expand_pattern(pattern: str) -> Iterator[str]:
    """`glob.iglob(pattern, recursive=True)`, except that `**` enters each real folder once.

    glob follows symlinked folders, so one loop (`d/loop -> .`) repeats every file dozens of
    times and two loops repeat them exponentially (a hang). Here `**` walks folders by their
    identity on disk, so a loop adds nothing. A trailing `**` gives the folders themselves.
    """
    if "**" not in pattern:
        yield from glob.iglob(pattern, recursive=True)
        return
    parts = pattern.split(os.sep)
    base = os.sep if parts[0] == "" else ""
    yield from _match(base, [p for p in parts if p] if base else parts)


def _match(base: str, parts: list[str]) -> Iterator[str]:
    if not parts:
        if base:
            yield base
        return
    head, rest = parts[0], parts[1:]
    if head == "**":
        for folder in _folders_once(base):
            yield from _match(folder, rest) if rest else iter([folder or os.curdir])
    elif glob.has_magic(head):
        try:
            names = sorted(os.listdir(base or os.curdir))
        except OSError:
            return
        for name in fnmatch.filter(names, head):
            if name.startswith(".") and not head.startswith("."):
                continue
            path = os.path.join(base, name)
            if not rest or os.path.isdir(path):
                yield from _match(path, rest)
    else:
        path = os.path.join(base, head)
        if os.path.isdir(path) if rest else os.path.lexists(path):
            yield from _match(path, rest)


def _folders_once(top: str) -> Iterator[str]:
    """`top` and every folder below it (symlinks followed, hidden ones skipped), each real folder once."""
    seen: set[tuple[int, int]] = set()
    pending = [top]
    while pending:
        folder = pending.pop(0)
        try:
            info = os.stat(folder or os.curdir)
            entries = sorted(os.listdir(folder or os.curdir))
        except OSError:
            continue
        if (info.st_dev, info.st_ino) in seen:
            continue
        seen.add((info.st_dev, info.st_ino))
        yield folder
        pending.extend(
            os.path.join(folder, name)
            for name in entries
            if not name.startswith(".") and os.path.isdir(os.path.join(folder, name))
        )


def _images_in_folder(folder: str) -> tuple[list[str], list[Failure]]:
    """Files with an image suffix under `folder`, sorted; symlinked folders are not followed.

    Also the folders (the top one or any below) that could not be listed, with why: `chmod 000 photos` is
    "cannot read this folder (Permission denied)", not "no image files".
    """
    found: list[str] = []
    unreadable: list[Failure] = []

    def note(error: OSError) -> None:
        unreadable.append((str(error.filename or folder), error.strerror or type(error).__name__))

    for root, dirs, files in os.walk(folder, onerror=note):
        dirs[:] = sorted((d for d in dirs if not d.startswith(".")), key=natural_key)
        for filename in sorted(files, key=natural_key):
            if not filename.startswith(".") and Path(filename).suffix.lower() in IMAGE_SUFFIXES:
                found.append(os.path.join(root, filename))
    return found, unreadable


def _each_file_once(paths: list[str]) -> list[str]:
    """Each real file once, at its first place, named by the shortest path to it (not loop/loop/a.png).

    A note says how many other paths led to a file already kept.
    """
    seen: dict[tuple[int, int], int] = {}
    kept: list[str] = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:  # decoding will name the problem
            kept.append(path)
            continue
        key = (info.st_dev, info.st_ino)
        if key not in seen:
            seen[key] = len(kept)
            kept.append(path)
        elif len(path) < len(kept[seen[key]]):
            kept[seen[key]] = path
    if len(kept) < len(paths):
        warnings.warn(
            f"{len(paths) - len(kept)} path(s) led to a file already in the run (symlinks or repeats): "
            "each file runs once",
            stacklevel=3,
        )
    return kept


def natural_key(name: str) -> tuple[list[str | int], str]:
    """Sort `c2` before `c10`, as a person counts: digit runs compare as numbers (ties keep plain order)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)], name
