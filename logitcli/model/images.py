"""From the user's arguments to decoded RGB images, with every failure kept as a record.

A missing, broken or non-image file never stops a batch: it becomes `(path, reason)` and the
other images go on. Order is the order given; a folder's files are sorted.
"""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path
from typing import Any

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm", ".jfif"}
)
Failure = tuple[str, str]


def expand_image_arguments(arguments: list[str]) -> tuple[list[str], list[Failure]]:
    """Files as given, folders searched recursively for image files, globs expanded (sorted).

    A file named explicitly is kept whatever its suffix (decoding will say if it is no image);
    inside folders only common image suffixes count, and hidden files are skipped.
    """
    paths: list[str] = []
    failures: list[Failure] = []
    for argument in arguments:
        if os.path.isdir(argument):
            found = _images_in_folder(argument)
            if not found:
                failures.append((argument, "no image files in this folder"))
            paths.extend(found)
        elif os.path.exists(argument):
            paths.append(argument)
        elif glob.has_magic(argument):
            matches = sorted(glob.glob(os.path.expanduser(argument), recursive=True), key=natural_key)
            if not matches:
                failures.append((argument, "no files match this pattern"))
            for match in matches:
                paths.extend(_images_in_folder(match) if os.path.isdir(match) else [match])
        else:
            failures.append((argument, "no such file or folder"))
    return paths, failures


def _images_in_folder(folder: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted((d for d in dirs if not d.startswith(".")), key=natural_key)
        for filename in sorted(files, key=natural_key):
            if not filename.startswith(".") and Path(filename).suffix.lower() in IMAGE_SUFFIXES:
                found.append(os.path.join(root, filename))
    return found


def natural_key(name: str) -> tuple[list[str | int], str]:
    """Sort `c2` before `c10`, as a person counts: digit runs compare as numbers (ties keep plain order)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)], name


def decode_image(path: str) -> Any:
    """Open `path` as an RGB PIL image: EXIF rotation applied, transparency laid on white.

    Raises `ImageError` with a one-line reason for anything that is not a readable image.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened)
            image.load()
    except FileNotFoundError:
        raise ImageError("no such file") from None
    except IsADirectoryError:
        raise ImageError("is a folder") from None
    except UnidentifiedImageError:
        raise ImageError("not an image (or a format Pillow cannot read)") from None
    except Image.DecompressionBombError:
        raise ImageError("image too large (Pillow's decompression-bomb limit)") from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data
        raise ImageError(f"cannot decode: {error}") from None
    except Exception as error:  # a decoder's own surprise (EOFError, struct.error...) is still one bad file
        raise ImageError(f"cannot decode: {type(error).__name__}: {error}") from None
    return to_rgb(image)


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
