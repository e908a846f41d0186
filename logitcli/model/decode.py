"""One image file to a small RGB image, in memory bounded by what the model needs, not by what the file claims.

A 0.6 MB PNG can hold 12000x12000 RGBA pixels (576 MB decoded); the model looks at 224x224 of them. So:

- a JPEG is decoded already reduced (`Image.draft`: the decoder's DCT scaling, 1/2 to 1/8), never at full size;
- other formats decode once at full size (PNG, TIFF, ... cannot do better), then become RGB and shrink by a whole
  factor (`Image.reduce`, a box filter) in bands of rows, so no second full-size copy ever exists;
- an image is only reduced while its short side stays at least `REDUCING_GAP` times what the model's resize needs,
  so the resize that follows still works from a few times its own size (Pillow's own `reducing_gap` idea). Images
  of the usual sizes are not reduced at all: their pixels, and the model's input, are exactly what they were;
- `DecodeBudget` lets the decoding lanes hold at most a fixed number of decoded bytes at once (an image larger than
  the whole budget runs alone), so the lane count no longer multiplies the peak.

Every mode Pillow opens becomes RGB by one rule (`to_rgb`): 16-bit grey is scaled to 8 bits, not clipped; 32-bit
integer and float images are scaled by their range; transparency is laid on white. Anything that goes wrong with one
image is an `ImageError` for that image only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from logitcli.inputs.files import not_regular_reason

#: Pillow formats that decode in this process (JPEG includes the MPO files many cameras write).
IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "DIB", "TIFF", "WEBP", "PPM", "TGA", "ICO")
_SHOWN_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "TIFF", "WebP", "PPM", "TGA", "ICO")
#: A thin image is resized on its short side, so its long side grows with the ratio: a 64000x1 PNG
#: of 266 bytes would need gigabytes. Classifier inputs are nowhere near 100:1 (panoramas are ~10:1).
MAX_ASPECT_RATIO = 100
#: Reduce only while the short side stays this many times the model's resize target (256 for a 224 crop): the
#: bicubic resize then still sees 3+ source pixels per output pixel, and images under 768 pixels are untouched.
REDUCING_GAP = 3
#: Decoded bytes all decoding lanes may hold at once. One 12000x12000 RGBA image is 576 MB; the largest image
#: Pillow opens (its decompression-bomb limit, 179 million pixels, at 4 bytes) is 716 MB and runs alone.
DECODE_BUDGET_BYTES = 768 * 2**20
#: Rows converted at a time when shrinking: a band is a small, passing copy.
BAND_ROWS = 256
#: Bytes per pixel of the decoded image, by mode (the budget's estimate; unknown modes count 4).
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 2, "La": 2, "PA": 2, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
_EXIF_TRANSPOSE = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270"}
_EXIF_TRANSPOSE |= {7: "TRANSVERSE", 8: "ROTATE_90"}
_ORIENTATION = 0x0112


class ImageError(Exception):
    """A file that cannot be used as an image; `str()` is the reason shown beside its path."""


class DecodeBudget:
    """A count of decoded bytes shared by the decoding threads: `with budget.hold(n):` waits until `n` fits.

    An image larger than the whole budget waits until nothing else is held and then runs alone, so every image
    runs and the peak is at most max(budget, the largest image), whatever the number of lanes.
    """

    def __init__(self, limit: int = DECODE_BUDGET_BYTES) -> None:
        self.limit = limit
        self.held = 0
        self.peak = 0
        self._free = threading.Condition()

    @contextmanager
    def hold(self, size: int) -> Iterator[None]:
        with self._free:
            self._free.wait_for(lambda: self.held == 0 or self.held + size <= self.limit)
            self.held += size
            self.peak = max(self.peak, self.held)
        try:
            yield
        finally:
            with self._free:
                self.held -= size
                self._free.notify_all()


def decode_image(path: str, min_side: int | None = None, budget: DecodeBudget | None = None) -> Any:
    """Open `path` as an RGB PIL image: EXIF rotation applied, transparency laid on white, reduced if huge.

    `min_side` is the short side the model's resize needs (None: never reduce); `budget` bounds the decoded
    bytes held by all threads at once. Raises `ImageError` with a one-line reason for anything that is not a
    readable image: not a regular file, not one of IMAGE_FORMATS, too thin to resize within a bounded memory,
    a mode that does not convert, or broken data.
    """
    from PIL import Image, UnidentifiedImageError

    reason = not_regular_reason(path)
    if reason is not None:
        raise ImageError(reason)
    _pixels_in_mapped_blocks()
    try:
        with Image.open(path, formats=IMAGE_FORMATS) as opened:
            check_image_size(*opened.size)
            factor = reduction_factor(opened.size, min_side)
            if factor > 1 and opened.format == "JPEG":
                opened.draft("RGB", (opened.width // factor, opened.height // factor))
                factor = reduction_factor(opened.size, min_side)  # what the DCT scaling left to do
            with budget.hold(decoded_bytes(opened, factor)) if budget is not None else _nothing():
                try:
                    opened.load()
                    orientation = _orientation(opened)  # after load: a PNG's getexif() decodes the whole image
                    image = shrink_to_rgb(opened, factor)
                finally:
                    opened.close()  # free the full-size pixels now, before the budget lets another image in
    except FileNotFoundError:
        raise ImageError("no such file") from None
    except IsADirectoryError:
        raise ImageError("is a folder") from None
    except PermissionError as error:
        raise ImageError(f"cannot read it ({error.strerror or 'permission denied'})") from None
    except UnidentifiedImageError:
        raise ImageError(f"not an image in a format logitcli reads ({', '.join(_SHOWN_FORMATS)})") from None
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError("image too large (Pillow's decompression-bomb limit)") from None
    except MemoryError:
        raise ImageError("not enough memory to decode it") from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data
        raise ImageError(f"cannot decode: {error}") from None
    except Exception as error:  # a decoder's own surprise (EOFError, struct.error...) is still one bad file
        raise ImageError(f"cannot decode: {type(error).__name__}: {error}") from None
    method = _EXIF_TRANSPOSE.get(orientation)
    return image.transpose(getattr(Image.Transpose, method)) if method else image


@contextmanager
def _nothing() -> Iterator[None]:
    yield


#: Pillow keeps pixels in blocks (16 MB by default). glibc serves blocks under its mmap threshold (raised to 16 MB
#: after the first free) from per-thread heaps that keep the memory after the image is freed: two lanes then
#: held 2 x 576 MB after one 12000x12000 image each. Blocks above glibc's largest threshold (32 MB) are always
#: mapped on their own and given back when freed.
PILLOW_BLOCK_BYTES = 64 * 2**20


def _pixels_in_mapped_blocks() -> None:
    from PIL import Image

    if Image.core.get_block_size() < PILLOW_BLOCK_BYTES:
        Image.core.set_block_size(PILLOW_BLOCK_BYTES)


def _orientation(image: Any) -> int:
    try:
        return int(image.getexif().get(_ORIENTATION, 1))
    except Exception:  # a broken EXIF block is no reason to lose the picture
        return 1


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


def reduction_factor(size: tuple[int, int], min_side: int | None) -> int:
    """The whole factor to shrink by, keeping the short side at least REDUCING_GAP · min_side (1: not at all)."""
    if not min_side:
        return 1
    return max(1, min(size) // (REDUCING_GAP * min_side))


def decoded_bytes(image: Any, factor: int) -> int:
    """What decoding `image` holds at its peak: the decoded pixels and the RGB result."""
    width, height = image.size
    full = width * height * _BYTES_PER_PIXEL.get(image.mode, 4)
    return full + 3 * -(-width // factor) * -(-height // factor)


def shrink_to_rgb(image: Any, factor: int) -> Any:
    """`to_rgb(image).reduce(factor)`, a band of rows at a time: never a second full-size copy.

    Bands start at multiples of `factor`, so each output pixel averages the same block as one `reduce` of the
    whole image would; laying transparency on white commutes with the box average.
    """
    from PIL import Image

    value_range = _value_range(image)
    if image.height <= BAND_ROWS and factor == 1:
        rgb = to_rgb(image, value_range)
        return rgb.copy() if rgb is image else rgb  # the caller closes `image`
    out = Image.new("RGB", (-(-image.width // factor), -(-image.height // factor)))
    step = max(1, BAND_ROWS // factor) * factor
    for top in range(0, image.height, step):
        band = to_rgb(image.crop((0, top, image.width, min(image.height, top + step))), value_range)
        out.paste(band.reduce(factor) if factor > 1 else band, (0, top // factor))
    return out


HIGH_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


def to_rgb(image: Any, value_range: tuple[float, float] | None = None) -> Any:
    """Any mode Pillow opens to 8-bit RGB.

    - 16-bit grey (`I;16*`): v / 257, rounded, so 65535 is 255 (not clipped at 255 as Pillow's convert does);
    - 32-bit integer (`I`) and float (`F`) grey: by the image's range `value_range` (its finite min and max):
      already within 0..255 (an 8-bit image widened) as it is; within 0..65535 (a 16-bit one) / 257; float within
      0..1 times 255; anything else stretched from min..max onto 0..255. NaN is 0, ±inf the ends;
    - transparency (alpha, a palette's transparent index, premultiplied modes) laid on white;
    - everything else (1, L, P, CMYK, YCbCr, LAB, HSV, RGBX...) as Pillow converts it.
    """
    from PIL import Image

    mode = image.mode
    if mode == "RGB":
        return image
    if mode in HIGH_BIT_MODES:
        grey = _grey_to_8bit(np.asarray(image), value_range or _value_range(image), mode)
        return Image.fromarray(grey, "L").convert("RGB")
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or image.mode == "RGBA":
        rgba = image.convert("RGBA") if mode != "La" else image.convert("LA").convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    try:
        return image.convert("RGB")
    except ValueError:
        raise ImageError(f"its colour mode {mode} does not convert to RGB") from None


def _value_range(image: Any) -> tuple[float, float] | None:
    """The finite min and max of a 32-bit or float grey image (band by band, no full-size copy); else None."""
    if image.mode not in ("I", "F"):
        return None
    low, high = np.inf, -np.inf
    for top in range(0, image.height, BAND_ROWS):
        values = np.asarray(image.crop((0, top, image.width, min(image.height, top + BAND_ROWS))))
        finite = values[np.isfinite(values)] if image.mode == "F" else values
        if finite.size:
            low, high = min(low, float(finite.min())), max(high, float(finite.max()))
    return (low, high) if low <= high else (0.0, 0.0)


def _grey_to_8bit(values: np.ndarray, value_range: tuple[float, float] | None, mode: str) -> np.ndarray:
    """One grey band of a high-bit mode to uint8, by the rule in `to_rgb`."""
    x = values.astype(np.float64)
    if mode.startswith("I;16"):
        scaled = x / 257.0
    else:
        low, high = value_range or (0.0, 0.0)
        if 0 <= low and high <= 255 and not (mode == "F" and high <= 1):
            scaled = x
        elif mode == "F" and 0 <= low and high <= 1:
            scaled = x * 255.0
        elif mode == "I" and 0 <= low and high <= 65535:
            scaled = x / 257.0
        elif high > low:
            scaled = (x - low) * (255.0 / (high - low))
        else:
            scaled = np.zeros_like(x)
    with np.errstate(invalid="ignore"):
        scaled = np.nan_to_num(scaled, nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
