"""The CLI at PyTorch's edges: NaN and infinities accepted where PyTorch accepts them, and the same answers."""

from __future__ import annotations

import numpy as np
import pytest


def _numbers(value):
    """JSON's "nan"/"inf"/"-inf" strings back to floats, nested lists to arrays."""
    if isinstance(value, list):
        return np.array([_numbers(v) for v in value], dtype=np.float64)
    return float(value)


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["softmax", "1", "nan", "2"], None),
        (["softmax", "[[1, nan, 2]]"], None),
        (["softmax", '[[1, "nan", 2]]'], None),
        (["softmax", "-"], "1 nan 2\n"),
        (["softmax"], "[[1, NaN, 2]]"),
    ],
    ids=["argument", "bare-json", "string-json", "stdin-numbers", "stdin-json"],
)
def test_nan_is_accepted_in_every_input_form(run, args, stdin) -> None:
    out = run(*args, "--json", input=stdin)
    assert out.code == 0, out.stderr
    assert np.isnan(_numbers(out.json()["result"])).all()  # a NaN logit makes the whole row nan, as in PyTorch


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["bce", "-inf", "--targets", "1"], "nan"),
        (["bce", "-inf", "2", "--targets", "0.3,0.3", "--reduction", "none"], ["nan", 1.5269280110429724]),
        (["xent", "1", "2", "3", "--targets", "0", "--weight", "0,1,1", "--label-smoothing", "0.1"], "nan"),
        (["xent", "1", "2", "3", "--targets", "1", "--weight", "nan,1,1"], 1.4076059644443801),
        (["nll", "[[nan, -1]]", "--targets", "-100", "--reduction", "none"], [0.0]),
        (["sigmoid", "nan", "inf", "-inf"], ["nan", 1.0, 0.0]),
    ],
)
def test_the_issues_examples_give_pytorchs_answer(run, args, expected) -> None:
    out = run(*args, "--json")
    assert out.code == 0, out.stderr
    result = out.json()["result"]
    if not isinstance(expected, str):
        np.testing.assert_allclose(_numbers(result), _numbers(expected), rtol=1e-12, equal_nan=True)
    else:
        assert result == expected


def test_softmax_nan_pipes_into_nll(run) -> None:
    soft = run("softmax", "inf", "1", "2", "--json")
    assert soft.code == 0
    out = run("nll", "--targets", "0", "--json", input=soft.stdout)
    assert out.code == 0, out.stderr
    assert out.json()["result"] == "nan"


# ----------------------------------------------------------------------------- bce --probs

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weight", [None, "2", "0.5,2", "[[1], [3]]", "[[1, 2], [3, nan]]"])
def test_bce_probs_is_binary_cross_entropy(run, reduction, weight) -> None:
    p = [[0.3, 0.0], [1.0, 1e-20]]
    y = [[1.0, 1.0], [0.0, 0.25]]
    args = ["bce", "--probs", str(p), "--targets", str(y), "-r", reduction, "--check"]
    out = run(*args, *(["--weight", weight] if weight else []))
    assert out.code == 0, out.stderr
    doc = out.json()
    assert doc["torch_check"]["function"] == "torch.nn.functional.binary_cross_entropy"
    assert doc["torch_check"]["matches"]
    w = None
    if weight:
        w = torch.tensor(
            _numbers(eval(weight.replace("nan", "float('nan')")))
            if "[" in weight
            else [float(v) for v in weight.split(",")]
        )
    expected = torch.nn.functional.binary_cross_entropy(
        torch.tensor(p, dtype=torch.float64), torch.tensor(y, dtype=torch.float64), weight=w, reduction=reduction
    )
    np.testing.assert_allclose(_numbers(doc["result"]), expected.numpy(), rtol=1e-12, equal_nan=True)
    assert [s["name"] for s in doc["steps"]][:4] == ["probs", "target", "log_p", "log_one_minus_p"]
    assert "bce_log_clamped" in [note["id"] for note in doc["notes"]]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["0.3", "1.2", "--targets", "1,1"], "all elements of input should be between 0 and 1"),
        (["0.3", "nan", "--targets", "1,1"], "all elements of input should be between 0 and 1"),
        (["0.3", "0.2", "--targets", "1,1.5"], "all elements of target should be between 0 and 1"),
        (["0.3", "0.2", "--targets", "1,1", "--pos-weight", "2"], "has no pos_weight"),
    ],
)
def test_bce_probs_refuses_what_torch_refuses(run, args, needle) -> None:
    out = run("bce", "--probs", *args)
    assert out.code == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and needle in out.stderr
