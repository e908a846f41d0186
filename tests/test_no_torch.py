"""Number commands never import torch or timm, and work where the `models` extra is not installed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import SAMPLE_DATA

# Runs the CLI in a fresh interpreter where importing torch/timm fails, as if they were not installed.
WITHOUT_TORCH = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"torch", "timm", "torchvision"}:
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, Block())
sys.argv = ["logitcli", *sys.argv[1:]]
from logitcli.cli.commands import main
main()
"""

CHECK_MODULES = """
import sys
sys.argv = ["logitcli", *sys.argv[1:]]
from logitcli.cli.commands import app
try:
    app()
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"torch", "timm", "torchvision", "PIL"})
print(heavy, file=sys.stderr)
"""

NUMBER_COMMANDS = [
    ["sigmoid", "-0.1522"],
    ["softmax", "-0.2135", "-0.0248", "3.985", "-T", "2"],
    ["nll", "[[-0.1, -2.3]]", "--targets", "0"],
    ["xent", "2", "1", "0.1", "--targets", "0", "--label-smoothing", "0.1"],
    ["bce", "0.3", "-1", "--targets", "1,0"],
    ["xent", "[[[1, nan], [3, inf]]]", "--targets", "[[0, 1]]"],  # K-dim with NaN: a diagnosis, still no torch
    ["bce", "--probs", "0.3", "0", "--targets", "1,0"],
    ["xent", "2", "1", "0.1", "--targets", "0", "--weight", "1,2,1", "--grad", "--lr", "0.5"],
    ["sigmoid", "-10", "0", "10", "--grad"],
    ["bce", "--probs", "0.3", "0.9", "--targets", "1,0", "--grad", "--lr", "0.1"],
    ["calibrate", "[[2, 1], [0, 3], [nan, 1]]", "--targets", "0,0,1", "--compare", "--fit"],
]


@pytest.mark.parametrize("args", NUMBER_COMMANDS, ids=[a[0] for a in NUMBER_COMMANDS])
def test_number_commands_do_not_import_torch(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", CHECK_MODULES, *args, "--json"], capture_output=True, text=True)
    assert json.loads(done.stdout)["command"] == args[0]
    assert done.stderr.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("flags", [["--table"], ["--table", "--wide"], ["--jsonl", "--no-steps"]])
def test_the_table_path_does_not_import_torch_either(flags: list[str], tmp_path) -> None:
    args = ["softmax", "1", "2", "3", *flags, "--save", str(tmp_path / "t.html")]
    done = subprocess.run([sys.executable, "-c", CHECK_MODULES, *args], capture_output=True, text=True)
    assert done.returncode == 0 and (tmp_path / "t.html").exists()
    assert done.stderr.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("args", NUMBER_COMMANDS, ids=[a[0] for a in NUMBER_COMMANDS])
def test_number_commands_work_without_the_models_extra(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", WITHOUT_TORCH, *args, "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["command"] == args[0]
    table = subprocess.run([sys.executable, "-c", WITHOUT_TORCH, *args, "--table"], capture_output=True, text=True)
    assert table.returncode == 0, table.stderr


def test_images_without_the_models_extra_say_how_to_install() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, "logits", str(SAMPLE_DATA / "chelsea.png")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "pip install -e '.[models]'" in lines[0] and ".whl[models]'" in lines[0]  # a checkout and a wheel
