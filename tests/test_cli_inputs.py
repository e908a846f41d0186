"""Every input form reaches the same Batch: arguments, JSON, stdin, files, piped logitcli output."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import BEAR_CLASSES, BEAR_LOGITS, BEAR_TARGETS, FIVE_CLASS_LOGITS
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

torch = pytest.importorskip("torch")
F = torch.nn.functional


def torch_softmax(rows: list) -> np.ndarray:
    return F.softmax(torch.tensor(rows, dtype=torch.float64), dim=-1).numpy()


@pytest.mark.parametrize(
    "args",
    [
        ["-0.2135", "-0.0248", "3.985", "-4.235", "-0.1831"],
        ["-0.2135,-0.0248,3.985,-4.235,-0.1831"],
        ["-0.2135, -0.0248, 3.985, -4.235, -0.1831"],
        [json.dumps(FIVE_CLASS_LOGITS)],
        ["--", "-0.2135", "-0.0248", "3.985", "-4.235", "-0.1831"],
    ],
    ids=["negatives", "comma-list", "comma-space", "json-array", "double-dash"],
)
def test_numbers_as_arguments(run, args: list[str]) -> None:
    out = run("softmax", "--json", *args)
    assert out.code == 0, out.stderr
    np.testing.assert_allclose(out.json()["result"], torch_softmax(FIVE_CLASS_LOGITS), rtol=1e-13)


def test_options_before_and_after_negative_numbers(run) -> None:
    out = run("softmax", "--temperature", "2", "-1e-3", "-inf", "0.5", "--precision", "3", "--json")
    assert out.code == 0, out.stderr
    doc = out.json()
    assert doc["logits"] == [-1e-3, "-inf", 0.5]
    expected = torch_softmax([-1e-3 / 2, -np.inf, 0.5 / 2])
    np.testing.assert_allclose(doc["result"], expected, rtol=1e-13)
    assert doc["temperature"] == 2.0


def test_option_with_negative_value_is_kept(run) -> None:
    out = run("xent", "1", "2", "3", "--ignore-index", "-1", "--targets", "-1", "--json")
    assert out.code == 0, out.stderr
    assert out.json()["result"] == "nan"  # every example ignored: PyTorch's mean is 0/0


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(BEAR_LOGITS),
        "\n".join(" ".join(str(v) for v in row) for row in BEAR_LOGITS),
        "\n".join(",".join(str(v) for v in row) for row in BEAR_LOGITS),
    ],
    ids=["json", "spaces", "commas"],
)
def test_batch_on_stdin(run, text: str) -> None:
    out = run("softmax", "--json", input=text)
    assert out.code == 0, out.stderr
    np.testing.assert_allclose(out.json()["result"], torch_softmax(BEAR_LOGITS), rtol=1e-13)


def test_dash_reads_stdin(run) -> None:
    out = run("sigmoid", "-", "--json", input="-0.1522")
    assert out.code == 0, out.stderr
    assert round(out.json()["result"][0], 4) == 0.4620


@pytest.mark.parametrize("suffix", [".json", ".npy", ".csv", ".txt"])
def test_files(run, tmp_path, suffix: str) -> None:
    path = tmp_path / f"logits{suffix}"
    if suffix == ".npy":
        np.save(path, np.array(BEAR_LOGITS))
    elif suffix == ".json":
        path.write_text(json.dumps(BEAR_LOGITS))
    else:
        path.write_text("\n".join(",".join(str(v) for v in row) for row in BEAR_LOGITS))
    for args in (["--file", str(path)], [str(path)]):
        out = run("softmax", *args, "--json")
        assert out.code == 0, out.stderr
        np.testing.assert_allclose(out.json()["result"], torch_softmax(BEAR_LOGITS), rtol=1e-13)


def test_csv_header_names_the_classes(run, tmp_path) -> None:
    path = tmp_path / "bear.csv"
    path.write_text(",".join(BEAR_CLASSES) + "\n" + "\n".join(",".join(map(str, r)) for r in BEAR_LOGITS))
    out = run("xent", "-f", str(path), "--targets", "Brown,Grizzly,Teddy,Grizzly,Teddy", "--json")
    assert out.code == 0, out.stderr
    assert out.json()["classes"] == BEAR_CLASSES
    assert round(out.json()["result"], 4) == 1.0884


def test_pipe_keeps_class_names_and_replays_nll_on_probabilities(run, bear_file) -> None:
    probs = run("softmax", "-f", str(bear_file), "--classes", ",".join(BEAR_CLASSES), "--json")
    assert probs.code == 0, probs.stderr
    out = run(
        "nll", "--targets", "Brown,Grizzly,Teddy,Grizzly,Teddy", "--reduction", "none", "--json", input=probs.stdout
    )
    assert out.code == 0, out.stderr
    doc = out.json()
    assert doc["classes"] == BEAR_CLASSES
    expected = F.nll_loss(torch.tensor(torch_softmax(BEAR_LOGITS)), torch.tensor(BEAR_TARGETS), reduction="none")
    np.testing.assert_allclose(doc["result"], expected.numpy(), rtol=1e-13)
    assert [round(v, 4) for v in doc["result"]] == [-0.3308, -0.3296, -0.3285, -0.3566, -0.3392]
    assert [note["id"] for note in doc["notes"]] == ["nll_probabilities"]
    assert "look like probabilities" in doc["notes"][0]["text"]


def test_softmax_then_xent_uses_the_original_logits(run, bear_file) -> None:
    probs = run("softmax", "-f", str(bear_file), "--json")
    out = run("xent", "--targets", "1,0,2,0,2", "--json", input=probs.stdout)
    assert out.code == 0, out.stderr
    expected = F.cross_entropy(torch.tensor(BEAR_LOGITS, dtype=torch.float64), torch.tensor(BEAR_TARGETS))
    assert out.json()["result"] == pytest.approx(expected.item(), rel=1e-13)


def test_jsonl_round_trip(run, bear_file) -> None:
    lines = run("softmax", "-f", str(bear_file), "--jsonl")
    assert lines.code == 0, lines.stderr
    assert len(lines.lines()) == len(BEAR_LOGITS)
    out = run("xent", "--targets", "1,0,2,0,2", "--reduction", "none", "--json", input=lines.stdout)
    assert out.code == 0, out.stderr
    expected = F.cross_entropy(
        torch.tensor(BEAR_LOGITS, dtype=torch.float64), torch.tensor(BEAR_TARGETS), reduction="none"
    )
    np.testing.assert_allclose(out.json()["result"], expected.numpy(), rtol=1e-13)


def test_non_finite_strings_are_read_back(run) -> None:
    first = run("softmax", "1000", "0", "-inf", "--json")
    doc = first.json()
    assert doc["logits"] == [1000.0, 0.0, "-inf"]
    assert doc["steps"][1]["values"][0] == "inf"  # the naive exp(1000) overflows, shown as "inf"
    again = run("softmax", "--json", input=first.stdout)
    assert again.code == 0, again.stderr
    assert again.json()["result"] == [1.0, 0.0, 0.0]


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(1, 6)),
        elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
    ),
    st.sampled_from(["none", "mean", "sum"]),
)
def test_json_round_trip_keeps_full_precision(logits: np.ndarray, reduction: str) -> None:
    """Numbers in, JSON out, JSON back in: nothing is lost to formatting at any step."""
    from typer.testing import CliRunner

    from logitcli.cli.commands import app

    runner = CliRunner()
    first = runner.invoke(app, ["softmax", "--json"], input=json.dumps(logits.tolist()))
    np.testing.assert_array_equal(json.loads(first.stdout)["logits"], logits)
    targets = np.zeros(logits.shape[0], dtype=int)
    out = runner.invoke(
        app, ["xent", "--json", "--targets", ",".join(map(str, targets)), "--reduction", reduction], input=first.stdout
    )
    assert out.exit_code == 0, out.stderr
    expected = F.cross_entropy(torch.tensor(logits), torch.tensor(targets), reduction=reduction).numpy()
    np.testing.assert_allclose(json.loads(out.stdout)["result"], expected, rtol=1e-12, atol=1e-12)


def test_bare_inf_in_a_typed_json_array(run) -> None:
    out = run("softmax", "[[0.1, 2], [1, -inf]]", "--json")
    assert out.code == 0, out.stderr
    assert out.json()["result"][1] == [1.0, 0.0]
    assert run("softmax", "[1, infinite]").code == 2


def test_a_word_among_numbers_is_not_mistaken_for_a_header(run) -> None:
    out = run("softmax", input="1 2 x\n3 4 5\n")
    assert out.code == 2
    assert "'x' in stdin (line 1) is not a number" in out.stderr
