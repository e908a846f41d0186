"""Inputs of any number of dimensions, (N, C, d1, ..., dk), through the CLI: PyTorch's numbers in PyTorch's shape."""

from __future__ import annotations

import json

import numpy as np
import pytest

from logitcli.inputs.batch import Batch, Layout

torch = pytest.importorskip("torch")
F = torch.nn.functional

RNG = np.random.default_rng(7)
X = RNG.normal(size=(2, 3, 4, 4)) * 3
INDICES = RNG.integers(0, 3, size=(2, 4, 4))
PROBS = RNG.random((2, 3, 4, 4))
PROBS /= PROBS.sum(axis=1, keepdims=True)
BINARY = (RNG.random((2, 3, 4, 4)) > 0.5).astype(float)


def numbers(value):
    if isinstance(value, list):
        return np.array([numbers(v) for v in value], dtype=np.float64)
    return np.float64(value)


def tensor(values):
    return torch.tensor(np.asarray(values, dtype=np.float64))


@pytest.fixture
def seg(tmp_path):
    path = tmp_path / "seg.npy"
    np.save(path, X)
    return str(path)


def test_layout_round_trips_any_shape() -> None:
    for shape, axis in [((5,), 0), ((2, 5), 1), ((2, 3, 4), 1), ((2, 3, 4, 5), 1), ((2, 3, 4, 5), 3)]:
        array = RNG.normal(size=shape)
        layout = Layout(shape, axis)
        rows = layout.rows(array)
        assert rows.shape == (layout.n_rows, shape[axis])
        np.testing.assert_array_equal(layout.per_class(rows), array)
        np.testing.assert_array_equal(rows[-1], np.moveaxis(array, axis, -1).reshape(-1, shape[axis])[-1])


def test_rows_are_named_by_position() -> None:
    batch = Batch.from_array(X)
    names = batch.example_names()
    assert len(names) == 32
    assert names[:2] == ["#0 @ (0, 0)", "#0 @ (0, 1)"] and names[-1] == "#1 @ (3, 3)"
    np.testing.assert_array_equal(batch.values[5], X[0, :, 1, 1])


@pytest.mark.parametrize("command", ["softmax", "sigmoid"])
def test_softmax_and_sigmoid_keep_the_shape(run, seg, command) -> None:
    doc = run(command, "--file", seg, "-T", "0.7", "--json") if command == "softmax" else run(command, "-f", seg)
    doc = doc.json()
    expected = torch.softmax(tensor(X) / 0.7, dim=1) if command == "softmax" else torch.sigmoid(tensor(X))
    result = numbers(doc["result"])
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result, expected.numpy(), rtol=1e-12, atol=1e-15)
    assert numbers(doc["logits"]).shape == X.shape
    for step in doc["steps"]:
        shape = numbers(step["values"]).shape
        assert shape in {X.shape, (2, 4, 4), ()}, (step["name"], shape)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize(
    "options",
    [[], ["--weight", "0.5,2,1"], ["--label-smoothing", "0.2"], ["--ignore-index", "1", "--weight", "1,2,3"]],
    ids=["plain", "weight", "smoothing", "ignore"],
)
def test_xent_with_class_index_maps(run, seg, reduction, options) -> None:
    out = run("xent", "-f", seg, "--targets", json.dumps(INDICES.tolist()), "-r", reduction, *options, "--check")
    doc = out.json()
    assert doc["torch_check"]["matches"], doc["torch_check"]
    kwargs = {"reduction": reduction}
    if "--weight" in options:
        kwargs["weight"] = tensor([float(v) for v in options[options.index("--weight") + 1].split(",")])
    if "--label-smoothing" in options:
        kwargs["label_smoothing"] = 0.2
    if "--ignore-index" in options:
        kwargs["ignore_index"] = 1
    expected = F.cross_entropy(tensor(X), torch.tensor(INDICES), **kwargs)
    result = numbers(doc["result"])
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result, expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_xent_with_probability_maps_and_nll(run, seg, reduction) -> None:
    soft = run("xent", "-f", seg, "--targets", json.dumps(PROBS.tolist()), "-r", reduction, "--label-smoothing", "0.1")
    expected = F.cross_entropy(tensor(X), tensor(PROBS), reduction=reduction, label_smoothing=0.1)
    np.testing.assert_allclose(numbers(soft.json()["result"]), expected.numpy(), rtol=1e-12)
    assert numbers(soft.json()["result"]).shape == tuple(expected.shape)
    log_p = F.log_softmax(tensor(X), dim=1)
    nll = run("nll", json.dumps(log_p.tolist()), "--targets", json.dumps(INDICES.tolist()), "-r", reduction)
    expected = F.nll_loss(log_p, torch.tensor(INDICES), reduction=reduction)
    np.testing.assert_allclose(numbers(nll.json()["result"]), expected.numpy(), rtol=1e-12)
    assert numbers(nll.json()["result"]).shape == tuple(expected.shape)


@pytest.mark.parametrize("weight_shape", [(), (4,), (1, 4), (4, 1), (3, 1, 1), (2, 3, 4, 4)])
def test_bce_broadcasts_on_the_last_axis(run, seg, weight_shape) -> None:
    w = RNG.random(weight_shape) + 0.5
    w_text = json.dumps(w.tolist()) if weight_shape else str(float(w))
    out = run("bce", "-f", seg, "--targets", json.dumps(BINARY.tolist()), "-r", "none", "--weight", w_text)
    out2 = run("bce", "-f", seg, "--targets", json.dumps(BINARY.tolist()), "--pos-weight", w_text, "--check")
    assert out.code == 0 and out2.code == 0, out.stderr + out2.stderr
    expected = F.binary_cross_entropy_with_logits(tensor(X), tensor(BINARY), weight=tensor(w), reduction="none")
    np.testing.assert_allclose(numbers(out.json()["result"]), expected.numpy(), rtol=1e-12)
    assert out2.json()["torch_check"]["matches"]


@pytest.mark.parametrize("weight", ["1,2,3", "[[1, 2, 3, 4], [1, 2, 3, 4]]"])
def test_bce_refuses_what_torch_refuses_in_one_line(run, seg, weight) -> None:
    out = run("bce", "-f", seg, "--targets", json.dumps(BINARY.tolist()), "--pos-weight", weight)
    assert out.code == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and "PyTorch refuses it" in out.stderr


def test_wrong_target_shape_is_refused(run, seg) -> None:
    out = run("xent", "-f", seg, "--targets", json.dumps(INDICES[:, :2].tolist()))
    assert out.code == 2 and "give class indices of shape (2, 4, 4)" in out.stderr


def test_table_names_positions_and_stays_readable(run, seg) -> None:
    out = run("xent", "-f", seg, "--targets", json.dumps(INDICES.tolist()), "--table")
    assert out.code == 0, out.stderr
    assert "#0 @ (0, 1)" in out.stdout and "#1 @ (0, 0)" in out.stdout
    assert "#1 @ (3, 3)" in out.stdout  # --table into a pipe shows every position
    assert max(len(line) for line in out.stdout.splitlines()) <= 100
    fewer = run("xent", "-f", seg, "--targets", json.dumps(INDICES.tolist()), "--table", "--rows", "8")
    assert "24 more example(s) not shown; --rows all shows every row" in fewer.stdout
    assert "#1 @ (3, 3)" not in fewer.stdout


def test_jsonl_records_carry_their_position(run, seg) -> None:
    lines = run("softmax", "-f", seg, "--jsonl").lines()
    assert len(lines) == 32
    assert lines[5]["position"] == [0, 1, 1]
    np.testing.assert_allclose(lines[5]["logits"], X[0, :, 1, 1])


def test_nested_json_input_of_three_dimensions(run) -> None:
    doc = run("softmax", "[[[1, 2], [3, 4]]]", "--json").json()
    expected = torch.softmax(tensor([[[1, 2], [3, 4]]]), dim=1)
    np.testing.assert_allclose(numbers(doc["result"]), expected.numpy(), rtol=1e-12)


def test_label_maps_from_npy_files(run, seg, tmp_path) -> None:
    """Segmentation targets come as arrays: integers are class indices, floats class probabilities."""
    np.save(tmp_path / "labels.npy", INDICES)
    np.save(tmp_path / "probs.npy", PROBS)
    hard = run("xent", "-f", seg, "--targets", str(tmp_path / "labels.npy"), "-r", "none").json()
    np.testing.assert_allclose(
        numbers(hard["result"]), F.cross_entropy(tensor(X), torch.tensor(INDICES), reduction="none").numpy(), rtol=1e-12
    )
    assert hard["targets"] == INDICES.tolist() and hard["targets_kind"] == "class indices"  # PyTorch's (N, d1, ...)
    soft = run("xent", "-f", seg, "--targets", str(tmp_path / "probs.npy")).json()
    assert soft["targets_kind"] == "class probabilities"
    np.testing.assert_array_equal(numbers(soft["targets"]), PROBS)  # the logits' shape, classes on axis 1
    np.testing.assert_allclose(soft["result"], F.cross_entropy(tensor(X), tensor(PROBS)).item(), rtol=1e-12)


def test_explain_results_have_pytorchs_shape_too(run, seg) -> None:
    doc = run("explain", "-f", seg, "--section", "softmax", "--json").json()
    assert np.array(doc["sections"][0]["result"]).shape == (2, 3, 4, 4)
