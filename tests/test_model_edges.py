"""Images at the edges (issue 17): every Pillow mode, huge images in bounded memory, unreadable folders.

The mode family draws tiny images (a few pixels) so it runs in seconds; one real process decodes two
12000x12000 RGBA PNGs (0.6 MB each, 576 MB decoded) in two lanes and must stay under 1.5 GB; that any number
of lanes shares one budget is tested on the budget itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("torch")
pytest.importorskip("timm")
Image = pytest.importorskip("PIL.Image")

from model_helpers import SAMPLE_DATA  # noqa: E402

from logitcli.model import ModelOptions, run_images  # noqa: E402
from logitcli.model.decode import (  # noqa: E402
    REDUCING_GAP,
    DecodeBudget,
    decode_image,
    reduction_factor,
    shrink_to_rgb,
    to_rgb,
)

ROOT = Path(__file__).resolve().parent.parent
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def cli(*args: str, cwd: Path | None = None, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "logitcli", *args],
        capture_output=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"},
    )


# ----------------------------------------------------------------------------- every mode


def _grey16(values: np.ndarray, mode: str) -> object:
    dtype = ">u2" if mode == "I;16B" else "<u2"
    return Image.frombytes(mode, (values.shape[1], values.shape[0]), values.astype(dtype).tobytes())


@FEW
@given(
    mode=st.sampled_from(["I;16", "I;16B", "I;16L"]),
    pixels=st.lists(st.integers(0, 65535), min_size=6, max_size=6),
)
def test_16_bit_grey_is_scaled_not_clipped(mode: str, pixels: list[int]) -> None:
    values = np.array(pixels, dtype=np.int64).reshape(2, 3)
    rgb = np.asarray(to_rgb(_grey16(values, mode)))
    expected = np.rint(values / 257.0)  # 65535 -> 255, 257 -> 1: the whole 16-bit range onto 8 bits
    assert (rgb[..., 0] == expected).all() and (rgb[..., 0] == rgb[..., 2]).all()


@FEW
@given(pixels=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=6, max_size=6))
def test_float_and_32_bit_grey_are_scaled_by_their_range(pixels: list[float]) -> None:
    values = np.array(pixels, dtype=np.float32).reshape(2, 3)
    low, high = float(values.min()), float(values.max())
    rgb = np.asarray(to_rgb(Image.fromarray(values, "F")))[..., 0].astype(float)
    if 0 <= low and high <= 1:
        expected = values * 255.0
    elif 0 <= low and high <= 255:
        expected = values.astype(float)
    elif high > low:
        expected = (values - low) * (255.0 / (high - low))
    else:
        expected = np.zeros_like(values)
    assert np.abs(rgb - np.clip(expected, 0, 255)).max() <= 0.5 + 1e-6
    if high > low and not (0 <= low and high <= 255):
        assert rgb.min() == 0 and rgb.max() == 255  # the range is used, not clipped away


def test_32_bit_grey_holding_16_bit_values_is_scaled_as_16_bit() -> None:
    image = Image.fromarray(np.array([[0, 257 * 100, 65535]], dtype=np.int32), "I")
    assert np.asarray(to_rgb(image))[0, :, 0].tolist() == [0, 100, 255]


MODES = ["1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV", "I", "F"]
MODES += ["I;16", "I;16B", "I;16L"]


@FEW
@given(mode=st.sampled_from(MODES), width=st.integers(1, 9), height=st.integers(1, 9), seed=st.integers(0, 99))
def test_every_pillow_mode_becomes_rgb_of_the_same_size(mode: str, width: int, height: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")
    image = _grey16(rng.integers(0, 65536, (height, width)), mode) if mode.startswith("I;16") else base.convert(mode)
    rgb = shrink_to_rgb(image, 1)
    assert rgb.mode == "RGB" and rgb.size == (width, height)


@pytest.mark.parametrize(
    ("mode", "suffix"), [("I;16B", ".tif"), ("I;16", ".png"), ("CMYK", ".tif"), ("F", ".tif"), ("1", ".png")]
)
def test_files_in_high_bit_and_odd_modes_decode(tmp_path: Path, mode: str, suffix: str) -> None:
    """The issue's 16-bit TIFF (`I;16B`) ended the whole run; now it is an image like any other."""
    ramp = np.tile(np.linspace(0, 65535, 16).astype(np.int64), (4, 1))
    image = _grey16(ramp, mode) if mode.startswith("I;16") else Image.new(mode, (16, 4))
    path = tmp_path / f"x{suffix}"
    image.save(path)
    decoded = decode_image(str(path))
    assert decoded.mode == "RGB" and decoded.size == (16, 4)
    if mode.startswith("I;16"):
        assert np.asarray(decoded)[0, [0, -1], 0].tolist() == [0, 255]


def test_palette_transparency_is_white(tmp_path: Path) -> None:
    image = Image.new("P", (4, 4), 1)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.save(tmp_path / "p.png", transparency=1)
    assert decode_image(str(tmp_path / "p.png")).getpixel((0, 0)) == (255, 255, 255)


def test_a_failing_conversion_is_that_images_error_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import logitcli.model.decode as decode

    shutil.copy(SAMPLE_DATA / "chelsea.png", tmp_path / "a.png")
    Image.new("I;16B", (40, 30)).save(tmp_path / "b.tif")
    shutil.copy(SAMPLE_DATA / "coffee.png", tmp_path / "c.png")
    real = decode.to_rgb

    def broken(image: object, value_range: object = None) -> object:
        if image.mode == "I;16B":  # type: ignore[attr-defined]
            raise ValueError("point operation not supported for this mode")
        return real(image, value_range)

    monkeypatch.setattr(decode, "to_rgb", broken)
    run = run_images([str(tmp_path)], ModelOptions())
    assert run.batch.inputs == [str(tmp_path / "a.png"), str(tmp_path / "c.png")]
    assert [path for path, _ in run.failures] == [str(tmp_path / "b.tif")]
    assert "point operation" in run.failures[0][1]


# ----------------------------------------------------------------------------- reduction and the budget


def test_usual_images_are_not_reduced_so_their_logits_stay() -> None:
    """The sample photos (up to 640 pixels) decode to exactly their own pixels, as before."""
    for path in sorted(SAMPLE_DATA.glob("*.*g")):
        with Image.open(path) as opened:
            assert reduction_factor(opened.size, 256) == 1
            own = np.asarray(opened.convert("RGB"))
        assert (np.asarray(decode_image(str(path), 256)) == own).all()


def test_a_reduced_image_is_the_box_average_and_keeps_enough_pixels(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (1700, 2000, 4), dtype=np.uint8)
    Image.fromarray(pixels, "RGBA").save(tmp_path / "big.png")
    decoded = decode_image(str(tmp_path / "big.png"), 256)
    factor = reduction_factor((2000, 1700), 256)
    assert factor == 2 and decoded.size == (1000, 850) and min(decoded.size) >= REDUCING_GAP * 256 // 1 - 1
    whole = to_rgb(Image.fromarray(pixels, "RGBA")).reduce(factor)  # one reduce of the whole image
    assert np.abs(np.asarray(decoded, dtype=int) - np.asarray(whole, dtype=int)).max() <= 1


def test_a_large_jpeg_is_decoded_already_scaled(tmp_path: Path) -> None:
    Image.new("RGB", (4000, 3000), (200, 10, 10)).save(tmp_path / "big.jpg", quality=90)
    decoded = decode_image(str(tmp_path / "big.jpg"), 256)
    assert 768 <= min(decoded.size) < 1536 and decoded.size[0] * 3 == decoded.size[1] * 4
    assert np.abs(np.asarray(decoded, dtype=int)[1, 1] - [200, 10, 10]).max() <= 6


def test_the_budget_lets_lanes_hold_at_most_its_bytes_and_a_bigger_image_alone() -> None:
    budget, inside, most = DecodeBudget(limit=100), [], [0]
    lock = threading.Lock()

    def lane(size: int) -> None:
        with budget.hold(size):
            with lock:
                inside.append(size)
                most[0] = max(most[0], sum(inside))
            time.sleep(0.01)
            with lock:
                inside.remove(size)

    threads = [threading.Thread(target=lane, args=(size,)) for size in [60, 60, 30, 250, 40, 60]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert not any(thread.is_alive() for thread in threads)
    assert most[0] == 250 or most[0] <= 100  # 250 only ever alone
    assert budget.held == 0


def _write_png(path: Path, width: int, height: int) -> None:
    """A flat RGBA PNG of any size, written row by row (the test never holds the pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 6, 0, 0, 0])
    compressor = zlib.compressobj(9)
    row = b"\x00" + bytes([30, 120, 200, 255]) * width
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def peak_rss_kib(*args: str) -> tuple[int, int, bytes]:
    """One child's own peak RSS (wait4's rusage for that child alone), its exit code and its stderr."""
    child = subprocess.Popen(
        [sys.executable, "-m", "logitcli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"},
    )
    assert child.stderr is not None
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here; Popen must not wait again
    return usage.ru_maxrss, child.returncode, stderr


#: What decoding may add to the memory of the same command on one sample photo. The issue's bound is 1.5 GiB in
#: all, and torch with the model and one photo takes about 0.76 GiB here; the images get the rest. Measured as a
#: difference because RSS also counts the pages of torch's libraries that are mapped, and how many of those are
#: resident depends on the page cache (a freshly installed venv, as in CI, maps about 0.24 GiB more of them).
IMAGES_BUDGET_KIB = int(0.74 * 2**20)


@pytest.mark.skipif(sys.platform != "linux", reason="peak RSS of one child from wait4, as on Linux")
def test_two_12000_pixel_pngs_in_two_lanes_stay_under_1_5_gb(tmp_path: Path) -> None:
    """The issue's case: a lane per core (2 here), batch size 1; before, each lane held its own 576 MB and more."""
    for name in ("a.png", "b.png"):
        _write_png(tmp_path / name, 12000, 12000)
    assert (tmp_path / "a.png").stat().st_size < 2_000_000
    baseline, code, stderr = peak_rss_kib("logits", str(SAMPLE_DATA / "chelsea.png"), "--json")
    assert code == 0, stderr.decode()
    peak, code, stderr = peak_rss_kib("logits", str(tmp_path), "--batch-size", "1", "--json")
    assert code == 0, stderr.decode()
    added = peak - baseline
    assert added < IMAGES_BUDGET_KIB, f"the images added {added / 2**20:.2f} GiB (peak {peak / 2**20:.2f} GiB)"
    assert b"DecompressionBombWarning" in stderr and b"Error" not in stderr


# ----------------------------------------------------------------------------- unreadable folders


def _without_read_rights() -> tuple[str, ...] | None:
    """How to run a child that permissions apply to: as is for a normal user; as root, root without the
    capabilities that let it read any folder (setpriv). None where neither is possible."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    probe = subprocess.run([setpriv, "--bounding-set=-dac_override,-dac_read_search", "true"], capture_output=True)
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search") if probe.returncode == 0 else None


def test_a_folder_that_cannot_be_read_says_so(tmp_path: Path) -> None:
    prefix = _without_read_rights()
    if prefix is None:
        pytest.skip("running as root without setpriv: root reads every folder, so nothing here is unreadable")
    locked = tmp_path / "locked"
    (locked / "inner").mkdir(parents=True)
    shutil.copy(SAMPLE_DATA / "chelsea.png", locked / "a.png")
    shutil.copy(SAMPLE_DATA / "chelsea.png", tmp_path / "ok.png")
    (locked / "inner").chmod(0)
    locked.chmod(0)
    try:
        alone = cli("logits", str(locked), prefix=prefix)
        beside = cli("logits", str(locked), str(tmp_path / "ok.png"), "--json", prefix=prefix)
    finally:
        locked.chmod(0o755)
        (locked / "inner").chmod(0o755)
    assert alone.returncode == 2
    line = alone.stderr.decode().strip().splitlines()[-1]
    assert "cannot read this folder (Permission denied)" in line and "no image files" not in line
    assert beside.returncode == 1 and b'ok.png"]' in beside.stdout  # the readable image keeps its row
    assert b"cannot read this folder" in beside.stderr
