"""The commands' numbers through the CLI equal torch.nn.functional, options included."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import BEAR_LOGITS, BEAR_TARGETS, FIVE_CLASS_LOGITS

torch = pytest.importorskip("torch")
F = torch.nn.functional
BEAR = torch.tensor(BEAR_LOGITS, dtype=torch.float64)


def test_softmax_article_example_true_numbers(run) -> None:
    doc = run("softmax", *map(str, FIVE_CLASS_LOGITS), "--json").json()
    steps = {s["name"]: s["values"] for s in doc["steps"]}
    assert [round(v, 4) for v in steps["exp"]] == [0.8078, 0.9755, 53.7853, 0.0145, 0.8327]
    assert round(steps["sum_exp"], 4) == 56.4157
    assert [round(v, 4) for v in doc["result"]] == [0.0143, 0.0173, 0.9534, 0.0003, 0.0148]


def test_softmax_table_shows_the_article_steps(run) -> None:
    out = run("softmax", *map(str, FIVE_CLASS_LOGITS), "--table")
    assert out.code == 0, out.stderr
    for text in ("exp(x)", "x - max", "53.7853", "56.4157", "0.9534", "█"):
        assert text in out.stdout
    assert not out.stdout.lstrip().startswith("{")


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("smoothing", ["0", "0.1"])
def test_xent_matches_torch_with_every_option(run, bear_file, reduction: str, smoothing: str) -> None:
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
        "--json",
    )
    assert out.code == 0, out.stderr
    expected = F.cross_entropy(
        BEAR,
        torch.tensor(targets),
        weight=torch.tensor([0.2, 1, 3], dtype=torch.float64),
        reduction=reduction,
        label_smoothing=float(smoothing),
    )
    np.testing.assert_allclose(out.json()["result"], expected.numpy(), rtol=1e-13)


def test_xent_article_four_steps(run, bear_file) -> None:
    doc = run("xent", "-f", str(bear_file), "--targets", "1,0,2,0,2", "--reduction", "none", "--json").json()
    names = [s["name"] for s in doc["steps"]]
    assert names[:3] == ["logits", "softmax", "log_softmax"]
    assert "nll" in names
    assert [round(v, 4) for v in doc["result"]] == [1.1063, 1.1099, 1.1132, 1.0313, 1.0813]
    mean = run("xent", "-f", str(bear_file), "--targets", "1,0,2,0,2", "--json").json()
    assert round(mean["result"], 4) == 1.0884
    assert mean["denominator"] == 5


def test_xent_soft_targets(run, bear_file) -> None:
    q = np.random.default_rng(0).dirichlet(np.ones(3), size=5)
    out = run("xent", "-f", str(bear_file), "--targets", json.dumps(q.tolist()), "--label-smoothing", "0.2", "--json")
    assert out.code == 0, out.stderr
    expected = F.cross_entropy(BEAR, torch.tensor(q), label_smoothing=0.2)
    assert out.json()["result"] == pytest.approx(expected.item(), rel=1e-13)
    assert out.json()["denominator"] == 5


def test_xent_weighted_mean_denominator_is_pytorchs(run, bear_file) -> None:
    doc = run("xent", "-f", str(bear_file), "--targets", "1,0,2,0,2", "--weight", "0.2,1,3", "--json").json()
    assert doc["denominator"] == pytest.approx(1 + 0.2 + 3 + 0.2 + 3)
    table = run("xent", "-f", str(bear_file), "--targets", "1,0,2,0,2", "--weight", "0.2,1,3", "--table")
    assert "Σ loss / 7.4" in table.stdout


def test_nll_matches_torch(run) -> None:
    log_p = F.log_softmax(BEAR, dim=1)
    out = run("nll", json.dumps(log_p.tolist()), "--targets", "1,0,2,0,2", "--weight", "1,2,3", "--json")
    assert out.code == 0, out.stderr
    expected = F.nll_loss(log_p, torch.tensor(BEAR_TARGETS), weight=torch.tensor([1.0, 2, 3], dtype=torch.float64))
    assert out.json()["result"] == pytest.approx(expected.item(), rel=1e-13)
    assert out.json()["notes"] == []


def test_sigmoid_article_and_extremes(run) -> None:
    doc = run("sigmoid", "-0.1522", "1000", "-1000", "0", "--json").json()
    expected = torch.sigmoid(torch.tensor([-0.1522, 1000, -1000, 0], dtype=torch.float64)).numpy()
    np.testing.assert_allclose(doc["result"], expected, rtol=1e-13)
    assert round(doc["result"][0], 4) == 0.4620


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_bce_matches_torch(run, bear_file, reduction: str) -> None:
    y = (np.random.default_rng(1).random((5, 3)) > 0.5).astype(float)
    out = run(
        "bce",
        "-f",
        str(bear_file),
        "--targets",
        json.dumps(y.tolist()),
        "--weight",
        "1,2,0.5",
        "--pos-weight",
        "3,1,0.25",
        "--reduction",
        reduction,
        "--json",
    )
    assert out.code == 0, out.stderr
    expected = F.binary_cross_entropy_with_logits(
        BEAR,
        torch.tensor(y),
        weight=torch.tensor([1, 2, 0.5]).double(),
        pos_weight=torch.tensor([3, 1, 0.25]).double(),
        reduction=reduction,
    )
    np.testing.assert_allclose(out.json()["result"], expected.numpy(), rtol=1e-13)


def test_bce_single_logit(run) -> None:
    out = run("bce", "-0.1522", "--targets", "1", "--json")
    expected = F.binary_cross_entropy_with_logits(
        torch.tensor([-0.1522], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64)
    )
    assert out.json()["result"] == pytest.approx(expected.item(), rel=1e-13)


def test_jsonl_streams_one_object_per_example_and_a_summary(run, bear_file) -> None:
    lines = run("xent", "-f", str(bear_file), "--targets", "1,0,2,0,2", "--jsonl").lines()
    assert [line.get("index") for line in lines[:-1]] == [0, 1, 2, 3, 4]
    assert lines[-1]["summary"] is True
    assert round(lines[-1]["result"], 4) == 1.0884


def test_no_steps_keeps_the_result(run) -> None:
    doc = run("softmax", "1", "2", "--json", "--no-steps").json()
    assert "steps" not in doc
    assert len(doc["result"]) == 2


def test_piped_output_is_json_and_table_flag_is_plain_text(run) -> None:
    assert run("softmax", "1", "2").json()["command"] == "softmax"
    table = run("softmax", "1", "2", "--table").stdout
    assert "\x1b[" not in table
    assert "softmax" in table


def test_large_batch_table_says_what_it_left_out(run) -> None:
    rows = np.random.default_rng(0).normal(size=(50, 3)).tolist()
    out = run("softmax", json.dumps(rows), "--table", "--rows", "20")
    assert "30 more example(s) not shown; --rows all shows every row" in out.stdout
    assert "#19 " in out.stdout and "#20 " not in out.stdout
    assert len(run("softmax", json.dumps(rows), "--json").json()["result"]) == 50


def test_piped_table_shows_every_row(run) -> None:
    rows = np.random.default_rng(0).normal(size=(50, 3)).tolist()
    out = run("softmax", json.dumps(rows), "--table")
    assert "#49 " in out.stdout and "not shown" not in out.stdout


def test_top_k_for_many_classes(run) -> None:
    logits = np.arange(100, dtype=float)
    out = run("softmax", json.dumps(logits.tolist()), "--table", "--top-k", "3")
    assert "top 3 of 100 classes" in out.stdout
    assert "class 99" in out.stdout and "class 50" not in out.stdout


def test_version_and_help(run) -> None:
    from logitcli import __version__

    assert run("--version").stdout.strip() == f"logitcli {__version__}"
    for command in ("sigmoid", "softmax", "nll", "xent", "bce", "logits"):
        out = run(command, "--help")
        assert out.code == 0
        assert "--json" in out.stdout
