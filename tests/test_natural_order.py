"""Folders and globs list their images as a person counts: c1, c2, c10."""

from __future__ import annotations

from logitcli.model.images import expand_image_arguments, natural_key


def test_folder_files_come_in_natural_order(tmp_path) -> None:
    for name in ("c10.png", "c2.png", "c1.png", "b.png", "c02.png"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "d10").mkdir()
    (tmp_path / "d9").mkdir()
    (tmp_path / "d10" / "x.png").write_bytes(b"")
    (tmp_path / "d9" / "x.png").write_bytes(b"")
    paths, failures = expand_image_arguments([str(tmp_path)])
    assert not failures
    names = [p.removeprefix(str(tmp_path) + "/") for p in paths]
    assert names == ["b.png", "c1.png", "c02.png", "c2.png", "c10.png", "d9/x.png", "d10/x.png"]
    globbed, _ = expand_image_arguments([str(tmp_path / "c*.png")])
    assert [p.rsplit("/", 1)[1] for p in globbed] == ["c1.png", "c02.png", "c2.png", "c10.png"]


def test_natural_key_compares_digit_runs_as_numbers() -> None:
    assert sorted(["img10", "img9", "img100", "Img1"], key=natural_key) == ["Img1", "img9", "img10", "img100"]
