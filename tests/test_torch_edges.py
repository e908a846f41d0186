"""PyTorch at the last edges (issue 17): empty and 0-d arrays, bool dtypes, sums near float64's maximum,
and an argument that is both a number and a file.

Every number is compared with torch itself: hypothesis draws the families (empty shapes, 0-d arrays, sums
whose order of addition decides overflow) and the same call runs through torch.nn.functional.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logitcli.steps import cross_entropy, nll

torch = pytest.importorskip("torch")
F = torch.nn.functional

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
SOME = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def same(ours: object, theirs: float) -> bool:
    """Equal as floats, nan equal to nan: the order of addition decides inf or finite, so no tolerance."""
    ours = float(ours)  # type: ignore[arg-type]
    return (math.isnan(ours) and math.isnan(theirs)) or ours == theirs


# ----------------------------------------------------------------------------- sums in PyTorch's order

EDGE = st.sampled_from([1e308, -1e308, 1.7e308, -1.7e308, 9e307, -9e307, 1.0, -2.5, 0.0])


@SOME
@given(
    picked=st.lists(EDGE, min_size=1, max_size=300),
    ignored=st.lists(st.booleans(), min_size=300, max_size=300),
    weighted=st.booleans(),
    reduction=st.sampled_from(["sum", "mean"]),
)
def test_nll_sums_in_pytorchs_order(picked: list[float], ignored: list[bool], weighted: bool, reduction: str) -> None:
    n = len(picked)
    x = np.array(picked)[:, None] * np.array([1.0, 0.5])  # (N, 2): the target column holds the edge values
    targets = np.where(np.array(ignored[:n]), -100, 0)
    weight = np.array([1.5e308, 2.0]) if weighted else None
    ours = nll(x, targets, weight=weight, reduction=reduction).result
    theirs = F.nll_loss(
        torch.tensor(x),
        torch.tensor(targets),
        weight=None if weight is None else torch.tensor(weight),
        reduction=reduction,
    ).item()
    assert same(ours, theirs), (ours, theirs)


@SOME
@given(
    logits=st.lists(EDGE, min_size=2, max_size=200),
    reduction=st.sampled_from(["sum", "mean"]),
)
def test_cross_entropy_with_class_indices_sums_in_pytorchs_order(logits: list[float], reduction: str) -> None:
    x = np.stack([np.array(logits), np.zeros(len(logits))], axis=1)  # log p[1] = -softplus(x): ~-1e308 at the edge
    targets = np.ones(len(logits), dtype=np.int64)
    ours = cross_entropy(x, targets, reduction=reduction).result
    theirs = F.cross_entropy(torch.tensor(x), torch.tensor(targets), reduction=reduction).item()
    assert same(ours, theirs), (ours, theirs)


def test_the_issues_case_and_its_note(run) -> None:
    out = run("nll", "[[1e308],[1e308],[-1e308]]", "--targets", "0,0,0", "--reduction", "sum", "--json")
    assert out.code == 0 and out.json()["result"] == -1e308  # numpy's pairwise order gave -inf
    # PyTorch's cascade adds terms 1 + 2 first (inf) though the exact sum is 0: the note says the order decided
    over = run("nll", "[[1e308],[-1e308],[-1e308],[1e308]]", "--targets", "0,0,0,0", "--reduction", "sum", "--json")
    notes = {note["id"]: note["text"] for note in over.json()["notes"]}
    theirs = F.nll_loss(
        torch.tensor([[1e308], [-1e308], [-1e308], [1e308]], dtype=torch.float64),
        torch.zeros(4, dtype=torch.long),
        reduction="sum",
    )
    assert over.json()["result"] == "inf" == str(theirs.item()) and "in PyTorch's order" in notes["sum_order"]
    bce = run("bce", "[1e308, 1e308, -1e308]", "--targets", "0,0,1", "--reduction", "sum", "--json")
    assert "sum_overflow" in [note["id"] for note in bce.json()["notes"]]  # the exact sum overflows too


def test_a_k_dim_nll_sums_over_positions_in_pytorchs_order() -> None:
    """(N, C, d1, d2): PyTorch's nll_loss2d cascades over the flattened positions, as logitcli's rows are."""
    from logitcli.inputs.batch import Batch

    order_mattered = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        x = rng.choice([1.2e308, -1.2e308, 1.0], p=[0.2, 0.2, 0.6], size=(3, 2, 7, 5))
        targets = rng.integers(0, 2, size=(3, 7, 5))
        batch = Batch.from_array(x)
        ours = nll(batch.values, targets.reshape(-1), reduction="sum").result  # rows: positions in C order
        theirs = F.nll_loss(torch.tensor(x), torch.tensor(targets), reduction="sum").item()
        assert same(ours, theirs), (seed, ours, theirs)
        with np.errstate(over="ignore", invalid="ignore"):
            plain = float(-np.take_along_axis(batch.values, targets.reshape(-1, 1), 1).sum())
        order_mattered += not same(plain, theirs)
    assert order_mattered  # numpy's own order would have been wrong somewhere


# ----------------------------------------------------------------------------- empty and 0-d arrays

EMPTY_SHAPES = st.sampled_from([(0,), (0, 3), (0, 1), (2, 0), (1, 0), (0, 3, 2), (0, 2, 0)])


def _npy(tmp_path: Path, name: str, array: np.ndarray) -> str:
    path = tmp_path / name
    np.save(path, array)
    return str(path)


@SOME
@given(shape=EMPTY_SHAPES, command=st.sampled_from(["softmax", "sigmoid"]))
def test_empty_arrays_give_pytorchs_empty_result(run, tmp_path: Path, shape: tuple, command: str) -> None:
    out = run(command, "--file", _npy(tmp_path, "e.npy", np.zeros(shape)), "--json")
    x = torch.zeros(shape, dtype=torch.float64)
    expected = torch.sigmoid(x) if command == "sigmoid" else F.softmax(x, dim=0 if len(shape) == 1 else 1)
    assert out.code == 0, out.stderr
    assert out.json()["result"] == expected.tolist()
    assert "note:" in out.stderr and "empty" in out.stderr


@SOME
@given(
    classes=st.integers(1, 4),
    command=st.sampled_from(["xent", "nll", "bce"]),
    reduction=st.sampled_from(["mean", "sum", "none"]),
)
def test_losses_over_no_examples_are_pytorchs(run, tmp_path: Path, classes: int, command: str, reduction: str) -> None:
    x = torch.zeros((0, classes), dtype=torch.float64)
    logits = _npy(tmp_path, "x.npy", np.zeros((0, classes)))
    if command == "bce":
        targets = _npy(tmp_path, "t.npy", np.zeros((0, classes)))
        expected = F.binary_cross_entropy_with_logits(x, x, reduction=reduction)
    else:
        targets = _npy(tmp_path, "t.npy", np.zeros((0,), dtype=np.int64))
        function = F.cross_entropy if command == "xent" else F.nll_loss
        expected = function(x, torch.zeros(0, dtype=torch.long), reduction=reduction)
    out = run(command, "--file", logits, "--targets", targets, "--reduction", reduction, "--json")
    assert out.code == 0, out.stderr
    result = out.json()["result"]
    if reduction == "none":
        assert result == expected.tolist()
    else:
        assert same(float(result), expected.item())  # nan for the mean (0 / 0), 0 for the sum


@SOME
@given(value=st.floats(-800, 800, allow_nan=False), command=st.sampled_from(["softmax", "sigmoid"]))
def test_a_0d_array_gives_a_0d_result(run, tmp_path: Path, value: float, command: str) -> None:
    out = run(command, "--file", _npy(tmp_path, "s.npy", np.float64(value)), "--json")
    x = torch.tensor(value, dtype=torch.float64)
    expected = F.softmax(x, dim=0) if command == "softmax" else torch.sigmoid(x)
    assert out.code == 0, out.stderr
    assert expected.dim() == 0 and isinstance(out.json()["result"], float)
    assert math.isclose(out.json()["result"], expected.item(), rel_tol=1e-12, abs_tol=1e-300)


def test_a_0d_bce_is_0d_and_0d_class_losses_are_refused(run, tmp_path: Path) -> None:
    scalar = _npy(tmp_path, "s.npy", np.float64(1.5))
    bce = run("bce", "--file", scalar, "--targets", "1", "--reduction", "none", "--json")
    expected = F.binary_cross_entropy_with_logits(
        torch.tensor(1.5, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64), reduction="none"
    )
    assert bce.code == 0 and math.isclose(bce.json()["result"], expected.item(), rel_tol=1e-12)
    for command in ("xent", "nll"):
        out = run(command, "--file", scalar, "--targets", "0")
        assert out.code == 2 and out.stderr.startswith("Error:") and "0-d" in out.stderr


# ----------------------------------------------------------------------------- bool, as PyTorch


@pytest.mark.parametrize("command", ["softmax", "xent", "nll", "bce"])
def test_bool_logits_are_refused_where_pytorch_refuses_them(run, tmp_path: Path, command: str) -> None:
    flags = np.array([[True, False, True]])
    x = torch.tensor(flags)
    call = {
        "softmax": lambda: F.softmax(x, dim=1),
        "xent": lambda: F.cross_entropy(x, torch.tensor([0])),
        "nll": lambda: F.nll_loss(x, torch.tensor([0])),
        "bce": lambda: F.binary_cross_entropy_with_logits(x, torch.ones(1, 3, dtype=torch.float64)),
    }[command]
    with pytest.raises((RuntimeError, NotImplementedError)):
        call()
    targets = ["--targets", "1,0,1" if command == "bce" else "0"] if command != "softmax" else []
    out = run(command, "--file", _npy(tmp_path, "b.npy", flags), *targets)
    assert out.code == 2 and out.stderr.count("\n") == 1 and "bool" in out.stderr


def test_bool_logits_through_sigmoid_are_promoted_as_pytorch_does(run, tmp_path: Path) -> None:
    flags = np.array([True, False])
    out = run("sigmoid", "--file", _npy(tmp_path, "b.npy", flags), "--json")
    assert out.code == 0
    assert np.allclose(out.json()["result"], torch.sigmoid(torch.tensor(flags)).double().numpy(), rtol=1e-6)


@pytest.mark.parametrize("command", ["xent", "nll", "bce"])
def test_bool_targets_are_refused(run, tmp_path: Path, command: str) -> None:
    targets = _npy(tmp_path, "t.npy", np.array([True, False]) if command != "bce" else np.array([[True, False]]))
    logits = "[[0.5, -1.0], [2.0, 0.1]]" if command != "bce" else "[[0.5, -1.0]]"
    out = run(command, logits, "--targets", targets)
    assert out.code == 2 and "bool targets" in out.stderr


# ----------------------------------------------------------------------------- both a number and a file


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "logitcli", *args],
        capture_output=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"},
    )


def test_an_argument_that_is_a_number_and_a_file(tmp_path: Path) -> None:
    pytest.importorskip("timm")
    shutil.copy(SAMPLE_DATA / "chelsea.png", tmp_path / "1e5")
    logits = cli("logits", "1e5", "--json", cwd=tmp_path)
    assert logits.returncode == 0, logits.stderr
    assert b'"inputs":["1e5"]' in logits.stdout
    note = logits.stderr.decode()
    assert note.count("note:") == 1 and "read as the file" in note and "[1e5]" in note
    softmax = cli("softmax", "1e5", "2", "--json", cwd=tmp_path)
    assert softmax.returncode == 0 and b'"logits":[100000.0,2.0]' in softmax.stdout
    said = softmax.stderr.decode()
    assert said.count("note:") == 1 and "read as the number" in said and "./1e5" in said
    plain = cli("softmax", "3", "2", "--json", cwd=tmp_path)
    assert plain.returncode == 0 and b"note:" not in plain.stderr


def test_targets_that_are_numbers_and_a_file(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("0.0,1.0").write_text("1 0\n")
    from_file = run("bce", "0.3", "-1", "--targets", "0.0,1.0", "--json")
    assert from_file.code == 0 and from_file.json()["steps"][1]["values"] == [1.0, 0.0]
    assert from_file.stderr.count("note:") == 1 and "`[0.0,1.0]`" in from_file.stderr
    as_numbers = run("bce", "0.3", "-1", "--targets", "[0.0,1.0]", "--json")
    assert as_numbers.json()["steps"][1]["values"] == [0.0, 1.0] and "note:" not in as_numbers.stderr
