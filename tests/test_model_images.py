"""Images: argument expansion, decoding of awkward formats, and failures that never stop a batch."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from logitcli.model.images import ImageError, decode_image, expand_image_arguments

pytest.importorskip("PIL")

from model_helpers import SAMPLE_DATA  # noqa: E402


def test_files_folders_and_globs_expand_in_order(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    shutil.copy(SAMPLE_DATA / "coffee.png", tmp_path / "b.png")
    shutil.copy(SAMPLE_DATA / "rocket.jpg", tmp_path / "sub" / "a.JPG")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"")
    chelsea = str(SAMPLE_DATA / "chelsea.png")
    with pytest.warns(UserWarning, match="1 path"):  # chelsea.png, named and matched again by c*.png, runs once
        paths, failures = expand_image_arguments([chelsea, str(tmp_path), str(SAMPLE_DATA / "c*.png"), "missing.png"])
    assert paths == [
        chelsea,
        str(tmp_path / "b.png"),
        str(tmp_path / "sub" / "a.JPG"),
        str(SAMPLE_DATA / "camera.png"),
        str(SAMPLE_DATA / "coffee.png"),
    ]
    assert failures == [("missing.png", "no such file or folder")]


def test_empty_folder_and_unmatched_glob_are_failures(tmp_path) -> None:
    paths, failures = expand_image_arguments([str(tmp_path), str(tmp_path / "*.png")])
    assert paths == []
    assert [why for _, why in failures] == ["no image files in this folder", "no files match this pattern"]


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "LA", "CMYK", "I;16"])
def test_every_mode_decodes_to_rgb(tmp_path, mode: str) -> None:
    from PIL import Image

    image = Image.open(SAMPLE_DATA / "chelsea.png").convert("RGB").resize((40, 30))
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image.convert("L"), dtype=np.uint16) * 257)  # 8 -> 16 bits exactly
    else:
        image = image.convert(mode)
    path = tmp_path / f"x.{'tif' if mode == 'CMYK' else 'png'}"
    image.save(path)
    decoded = decode_image(str(path))
    assert decoded.mode == "RGB" and decoded.size == (40, 30)
    grey = np.asarray(Image.open(SAMPLE_DATA / "chelsea.png").convert("L").resize((40, 30)), dtype=float)
    if mode in ("L", "LA", "I;16"):  # brightness survives, 16-bit included
        assert np.abs(np.asarray(decoded, dtype=float)[..., 0] - grey).max() <= 1


def test_transparency_is_laid_on_white(tmp_path) -> None:
    from PIL import Image

    Image.new("RGBA", (4, 4), (255, 0, 0, 0)).save(tmp_path / "clear.png")
    assert decode_image(str(tmp_path / "clear.png")).getpixel((0, 0)) == (255, 255, 255)


def test_exif_orientation_is_respected(tmp_path) -> None:
    from PIL import Image

    image = Image.new("RGB", (40, 20), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    image.save(tmp_path / "rotated.jpg", exif=exif)
    assert decode_image(str(tmp_path / "rotated.jpg")).size == (20, 40)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"just text", "not an image"), (None, "no such file")],
)
def test_bad_files_raise_image_error_with_a_reason(tmp_path, content, reason) -> None:
    path = tmp_path / "bad.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageError, match=reason):
        decode_image(str(path))


def test_truncated_image_is_an_image_error(tmp_path) -> None:
    data = (SAMPLE_DATA / "rocket.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    with pytest.raises(ImageError):
        decode_image(str(tmp_path / "cut.jpg"))
