"""What pyproject.toml claims ships with the package: LICENSE in the wheel and in the sdist, the samples."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile

import pytest
from conftest import ROOT

# One build per process: setuptools keeps options between builds in one process (the sdist then lands elsewhere).
BUILD = """
import sys
from setuptools import build_meta
print("BUILT", getattr(build_meta, sys.argv[1])(sys.argv[2]))
"""


def build(kind: str, source, out) -> str:
    done = subprocess.run([sys.executable, "-c", BUILD, kind, str(out)], cwd=source, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return next(line for line in done.stdout.splitlines() if line.startswith("BUILT ")).split()[1]


def test_license_is_apache_2_as_pyproject_says() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text and len(text.splitlines()) > 190


def test_wheel_and_sdist_carry_the_license(tmp_path) -> None:
    pytest.importorskip("setuptools")
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".ruff_cache")
    shutil.copytree(ROOT, source, ignore=ignore)
    wheel = build("build_wheel", source, tmp_path / "dist")
    sdist = build("build_sdist", source, tmp_path / "dist")
    with zipfile.ZipFile(tmp_path / "dist" / wheel) as archive:
        names = archive.namelist()
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        assert "License-Expression: Apache-2.0" in metadata and "License-File: LICENSE" in metadata
        assert any(n.endswith("tour/texts/ja.toml") for n in names)
        samples = {n.rsplit("/", 1)[1] for n in names if n.startswith("logitcli/samples/")}
        assert {"chelsea.png", "bear_logits.json", "labels.csv", "SOURCES.md"} <= samples  # sample:NAME works
        assert sum(archive.getinfo(n).file_size for n in names if n.startswith("logitcli/samples/")) < 2_000_000
    with tarfile.open(tmp_path / "dist" / sdist) as archive:
        assert any(n.endswith("/LICENSE") for n in archive.getnames())


def test_the_readme_and_the_install_hint_name_this_version_of_the_wheel() -> None:
    from logitcli import __version__
    from logitcli.model.deps import INSTALL_HINT

    wheel = f"logitcli-{__version__}-py3-none-any.whl[models]"
    assert wheel in (ROOT / "README.md").read_text(encoding="utf-8") and wheel in INSTALL_HINT
    assert "pip install -e '.[models]'" in INSTALL_HINT
