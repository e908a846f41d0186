"""--grad and --lr through the CLI: JSON shaped like the input and equal to torch.autograd, tables, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import BEAR_CLASSES, BEAR_LOGITS, BEAR_TARGETS

from logitcli import steps as S

BEAR = np.array(BEAR_LOGITS)
TARGETS = ",".join(map(str, BEAR_TARGETS))


def autograd(function, x, *args, **kwargs) -> np.ndarray:
    torch = pytest.importorskip("torch")
    leaf = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = function(torch, leaf, *args, **kwargs)
    out.backward(torch.ones_like(out))
    return leaf.grad.numpy()


def xent(torch, x, t, **options):
    weight = options.pop("weight", None)
    weight = None if weight is None else torch.tensor(weight, dtype=torch.float64)
    return torch.nn.functional.cross_entropy(x, torch.tensor(t), weight=weight, **options)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("smoothing", ["0", "0.1"])
def test_xent_grad_json_is_autograds(run, bear_file, reduction: str, smoothing: str) -> None:
    targets = [1, -100, 2, 0, 2]
    out = run(
        "xent",
        "-f",
        str(bear_file),
        "--targets",
        ",".join(map(str, targets)),
        "--weight",
        "0.2,1,3",
        "--reduction",
        reduction,
        "--label-smoothing",
        smoothing,
        "--grad",
        "--json",
    )
    assert out.code == 0, out.stderr
    doc = out.json()
    expected = autograd(xent, BEAR, targets, weight=[0.2, 1, 3], reduction=reduction, label_smoothing=float(smoothing))
    np.testing.assert_allclose(doc["grad"], expected, rtol=1e-12, atol=1e-15)
    names = [s["name"] for s in doc["steps"]]
    assert names[-1] == "grad" and "grad_target" in names and "grad_weight_factor" in names
    assert "descent" not in doc


def test_a_one_example_input_gets_a_one_example_gradient(run) -> None:
    doc = run("xent", "2", "1", "0.1", "--targets", "0", "--grad", "--lr", "0.5", "--json").json()
    assert np.shape(doc["grad"]) == (3,)
    expected = autograd(lambda torch, x: torch.nn.functional.cross_entropy(x, torch.tensor(0)), np.array([2, 1, 0.1]))
    np.testing.assert_allclose(doc["grad"], expected, rtol=1e-12)
    descent = doc["descent"]
    assert descent["lr"] == 0.5
    np.testing.assert_allclose(descent["logits"], np.array([2, 1, 0.1]) - 0.5 * expected, rtol=1e-12)
    assert descent["loss"] == pytest.approx(S.cross_entropy(np.array([descent["logits"]]), np.array([0])).result)
    assert descent["loss"] < doc["result"]


def test_descent_on_the_bear_example_lowers_the_mean_loss(run, bear_file) -> None:
    doc = run("xent", "-f", str(bear_file), "--targets", TARGETS, "--grad", "--lr", "1", "--json").json()
    grad = np.array(doc["grad"])
    np.testing.assert_allclose(grad, (S.softmax_rows(BEAR) - np.eye(3)[BEAR_TARGETS]) / 5, rtol=1e-12, atol=1e-17)
    np.testing.assert_allclose(doc["descent"]["logits"], BEAR - grad, rtol=1e-15)
    assert round(doc["result"], 4) == 1.0884
    assert doc["descent"]["loss"] < doc["result"]


def test_nll_grad_is_minus_the_weight_over_the_denominator(run) -> None:
    x = [[-0.4, -1.2, -2.3], [-1.0, -0.5, -3.0]]
    doc = run("nll", json.dumps(x), "--targets", "0,2", "--weight", "1,1,3", "--grad", "--json").json()
    assert doc["grad"] == [[-0.25, 0.0, 0.0], [0.0, 0.0, -0.75]]
    expected = autograd(
        lambda torch, v: torch.nn.functional.nll_loss(
            v, torch.tensor([0, 2]), weight=torch.tensor([1.0, 1.0, 3.0], dtype=torch.float64)
        ),
        np.array(x),
    )
    np.testing.assert_array_equal(doc["grad"], expected)


def test_bce_grad_with_pos_weight_and_weight_is_autograds(run) -> None:
    x = [[1.2, -0.3, 2.0], [0.1, 0.0, -4.0]]
    y = [[1, 0, 1], [0, 1, 1]]
    out = run(
        "bce", json.dumps(x), "--targets", json.dumps(y), "--pos-weight", "2,1,0.5", "--weight", "1,2,1", "--grad"
    )
    doc = out.json()

    def bce(torch, v):
        f64 = torch.float64
        return torch.nn.functional.binary_cross_entropy_with_logits(
            v,
            torch.tensor(y, dtype=f64),
            weight=torch.tensor([1.0, 2.0, 1.0], dtype=f64),
            pos_weight=torch.tensor([2.0, 1.0, 0.5], dtype=f64),
        )

    np.testing.assert_allclose(doc["grad"], autograd(bce, np.array(x)), rtol=1e-12, atol=1e-17)
    names = [s["name"] for s in doc["steps"]]
    assert names[-4:] == ["grad_pos_factor", "grad_difference", "grad_weighted", "grad"]


def test_sigmoid_grad_is_the_derivative(run) -> None:
    doc = run("sigmoid", "-10", "0", "10", "--grad", "--json").json()
    assert doc["grad"][1] == 0.25
    expected = autograd(lambda torch, v: torch.sigmoid(v), np.array([-10.0, 0.0, 10.0]))
    np.testing.assert_allclose(doc["grad"], expected, rtol=1e-12, atol=0)
    assert any("derivative nearly 0" in note["text"] for note in doc["notes"])


def test_jsonl_lines_carry_their_row_of_the_gradient(run, bear_file) -> None:
    lines = run("xent", "-f", str(bear_file), "--targets", TARGETS, "--grad", "--lr", "1", "--jsonl").lines()
    grad = S.cross_entropy_grad(BEAR, np.array(BEAR_TARGETS)).values
    assert len(lines) == 6
    for row, line in enumerate(lines[:5]):
        np.testing.assert_allclose(line["grad"], grad[row], rtol=1e-15)
        np.testing.assert_allclose(line["descent"]["logits"], BEAR[row] - grad[row], rtol=1e-15)
        assert "loss" not in line["descent"]
    summary = lines[-1]
    assert summary["summary"] is True and summary["descent"]["loss"] < summary["result"]
    per_example = run("xent", "-f", str(bear_file), "-t", TARGETS, "-r", "none", "--grad", "--lr", "1", "--jsonl")
    for line in per_example.lines():
        assert line["descent"]["loss"] < line["result"]


def test_no_steps_keeps_the_gradient(run) -> None:
    doc = run("xent", "2", "1", "--targets", "0", "--grad", "--no-steps", "--json").json()
    assert "steps" not in doc and len(doc["grad"]) == 2


def test_check_compares_the_gradient_too(run, bear_file) -> None:
    pytest.importorskip("torch")
    out = run("xent", "-f", str(bear_file), "--targets", TARGETS, "--label-smoothing", "0.2", "--grad", "--check")
    record = out.json()["torch_check"]
    assert record["matches"] is True
    assert record["grad"]["matches"] is True
    assert record["grad"]["function"] == "torch.autograd.grad(torch.nn.functional.cross_entropy)"
    table = run("sigmoid", "3", "--grad", "--check", "--table").stdout
    assert "gradient matches torch.autograd.grad(torch.sigmoid)" in table


def test_tables_show_the_gradient_and_the_descent(run, bear_file) -> None:
    out = run(
        "xent", "-f", str(bear_file), "--targets", TARGETS, "--classes", ",".join(BEAR_CLASSES), "--grad", "--lr", "1"
    )
    assert out.code == 0
    table = run(
        "xent",
        "-f",
        str(bear_file),
        "-t",
        TARGETS,
        "--classes",
        ",".join(BEAR_CLASSES),
        "--grad",
        "--lr",
        "1",
        "--table",
    ).stdout
    for text in ("p - q", "(p - q) / 5", "∂L/∂x", "-0.1338", "one step of gradient descent, lr = 1", "x - 1·∂L/∂x"):
        assert text in table, text
    before, after = out.json()["result"], out.json()["descent"]["loss"]
    assert f"mean loss {before:.4f} → {after:.4f}" in table
    one = run("xent", "2", "1", "0.1", "--targets", "0", "--grad", "--lr", "0.5", "--table").stdout
    assert "◀ target" in one and "-0.3410" in one and "2.1705" in one


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["xent", "1", "2", "--targets", "0", "--lr", "1"], "add --grad"),
        (["xent", "1", "2", "--targets", "0", "--grad", "--lr", "0"], "--lr must be a positive number"),
        (["bce", "1", "2", "--targets", "1,0", "--grad", "--lr", "-1"], "--lr must be a positive number"),
        (["nll", "[[-1, -2]]", "--targets", "0", "--grad", "--lr", "inf"], "--lr must be a positive number"),
        (["sigmoid", "1", "--grad", "--lr", "1"], "No such option: --lr"),
    ],
)
def test_bad_lr_is_one_line_and_exit_2(run, args: list[str], message: str) -> None:
    out = run(*args)
    assert out.code == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]


def test_an_all_ignored_batch_has_a_nan_loss_and_a_zero_gradient(run) -> None:
    doc = run("xent", "[[1, 2], [3, 4]]", "--targets", "-100,-100", "--grad", "--lr", "1", "--json").json()
    assert doc["result"] == "nan"
    assert doc["grad"] == [[0.0, 0.0], [0.0, 0.0]]
    assert doc["descent"]["logits"] == [[1.0, 2.0], [3.0, 4.0]]
    assert any("no example takes part" in note["text"] for note in doc["notes"])


def test_nan_and_inf_in_the_gradient_are_json_strings(run) -> None:
    doc = run("xent", "[[inf, 1], [1, 2]]", "--targets", "0,1", "--grad", "--json").json()
    assert doc["grad"][0] == ["nan", "nan"]
    assert all(isinstance(v, float) for v in doc["grad"][1])


# ----------------------------------------------------------------------------- with the edges: K-dim, --probs


def test_k_dimensional_gradient_and_descent_have_the_inputs_shape(run, tmp_path) -> None:
    rng = np.random.default_rng(3)
    x, t = rng.normal(size=(2, 3, 2, 2)), rng.integers(0, 3, size=(2, 2, 2))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "t.npy", t)
    doc = run(
        "xent", "-f", str(tmp_path / "x.npy"), "--targets", str(tmp_path / "t.npy"), "--grad", "--lr", "0.5", "--json"
    ).json()
    expected = autograd(lambda torch, v: torch.nn.functional.cross_entropy(v, torch.tensor(t)), x)
    np.testing.assert_allclose(np.array(doc["grad"]), expected, rtol=1e-12, atol=1e-15)
    assert np.array(doc["descent"]["logits"]).shape == x.shape
    np.testing.assert_allclose(np.array(doc["descent"]["logits"]), x - 0.5 * expected, rtol=1e-12)


def test_bce_probs_grad_is_autograds_and_a_step_out_of_range_is_refused(run) -> None:
    p, y = np.array([[0.9, 0.2, 0.5]]), np.array([[1.0, 0.0, 1.0]])
    doc = run("bce", "--probs", json.dumps(p.tolist()), "--targets", json.dumps(y.tolist()), "--grad", "--json").json()
    expected = autograd(lambda torch, v: torch.nn.functional.binary_cross_entropy(v, torch.tensor(y)), p)
    np.testing.assert_allclose(np.array(doc["grad"]), expected, rtol=1e-12, atol=0)
    checked = run("bce", "--probs", "0.9", "0.2", "--targets", "1,0", "--grad", "--lr", "0.1", "--check", "--json")
    assert checked.json()["torch_check"]["grad"]["matches"] is True
    refused = run("bce", "--probs", "0.9", "0.2", "--targets", "1,0", "--grad", "--lr", "10")
    assert refused.code == 2 and refused.stderr.count("\n") == 1
    assert "after one step with --lr 10" in refused.stderr and "smaller --lr" in refused.stderr
