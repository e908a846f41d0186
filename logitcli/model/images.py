"""From the user's arguments to decoded RGB images, with every failure kept as a record.

A missing, broken or non-image file never stops a batch: it becomes `(path, reason)` and the
other images go on. Order is the order given; a folder's files are sorted. Only regular files are
opened (a named pipe would block the batch forever), each real file runs once however many
paths (symlinks, loops, repeats) lead to it, and only formats Pillow decodes in-process are read
(never EPS, which Pillow hands to Ghostscript).
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
from typing import Any

from logitcli.inputs.files import not_regular_reason

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm", ".jfif"}
)
#: Pillow formats that decode in this process (JPEG includes the MPO files many cameras write).
IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "DIB", "TIFF", "WEBP", "PPM", "TGA", "ICO")
#: A thin image is resized on its short side, so its long side grows with the ratio: a 64000x1 PNG
#: of 266 bytes would need gigabytes. Classifier inputs are nowhere near 100:1 (panoramas are ~10:1).
MAX_ASPECT_RATIO = 100
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
            found = _images_in_folder(argument)
            if not found:
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
                candidates.extend(_images_in_folder(match) if os.path.isdir(match) else [match])
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


def _images_in_folder(folder: str) -> list[str]:
    """Files with an image suffix under `folder`, sorted; symlinked folders are not followed."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted((d for d in dirs if not d.startswith(".")), key=natural_key)
        for filename in sorted(files, key=natural_key):
            if not filename.startswith(".") and Path(filename).suffix.lower() in IMAGE_SUFFIXES:
                found.append(os.path.join(root, filename))
    return found


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


def decode_image(path: str) -> Any:
    """Open `path` as an RGB PIL image: EXIF rotation applied, transparency laid on white.

    Raises `ImageError` with a one-line reason for anything that is not a readable image: not a
    regular file, not one of IMAGE_FORMATS, too thin to resize within a bounded memory, or broken.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    reason = not_regular_reason(path)
    if reason is not None:
        raise ImageError(reason)
    try:
        with Image.open(path, formats=IMAGE_FORMATS) as opened:
            check_image_size(*opened.size)
            image = ImageOps.exif_transpose(opened)
            image.load()
    except FileNotFoundError:
        raise ImageError("no such file") from None
    except IsADirectoryError:
        raise ImageError("is a folder") from None
    except UnidentifiedImageError:
        raise ImageError(f"not an image in a format logitcli reads ({', '.join(_SHOWN_FORMATS)})") from None
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError("image too large (Pillow's decompression-bomb limit)") from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data
        raise ImageError(f"cannot decode: {error}") from None
    except Exception as error:  # a decoder's own surprise (EOFError, struct.error...) is still one bad file
        raise ImageError(f"cannot decode: {type(error).__name__}: {error}") from None
    return to_rgb(image)


_SHOWN_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "TIFF", "WebP", "PPM", "TGA", "ICO")


def check_image_size(width: int, height: int) -> None:
    """Refuse, from the header alone, an image whose resize would need unbounded memory."""
    if width < 1 or height < 1:
        raise ImageError(f"an image of {width}x{height} pixels has nothing to classify")
    ratio = max(width, height) / min(width, height)
    if ratio > MAX_ASPECT_RATIO:
        raise ImageError(
            f"{width}x{height} pixels is too thin to classify (aspect ratio {ratio:,.0f}:1, at most "
            f"{MAX_ASPECT_RATIO}:1): resizing it would take unbounded memory; crop it first"
        )


def to_rgb(image: Any) -> Any:
    """Grey, palette, CMYK and 16-bit images to RGB; alpha (or palette transparency) onto white."""
    from PIL import Image

    if image.mode == "RGB":
        return image
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")  # 16-bit grey: keep the top 8 bits
    return image.convert("RGB")


class ImageError(Exception):
    """A file that cannot be used as an image; `str()` is the reason shown beside its path."""
