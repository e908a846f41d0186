"""Hostile input on the number side: one regression test per class of input that once went wrong.

Each input ends in exit 0 with the right answer, or exit 2 with one `Error:` line, or exit 1 with
only our own lines; never a traceback, a hang, or a silently wrong number.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from hostile_helpers import fifo, one_error_line

torch = pytest.importorskip("torch")
F = torch.nn.functional

BOM = b"\xef\xbb\xbf"
DEEP = "[" * 5000 + "1" + "]" * 5000
HUGE = "9" * 5000


def refused(out, needle: str = "") -> str:
    assert out.code == 2, (out.code, out.stdout, out.stderr)
    assert out.stdout == ""
    line = one_error_line(out.stderr)
    assert needle in line, line
    return line


def cli(*args: str, stdin: bytes | None = b"", env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """The real console entry point in a child process (for what only a process has: fds, signals)."""
    return subprocess.run(
        [sys.executable, "-m", "logitcli", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        **kwargs,
    )


# ----------------------------------------------------------------------------- silently wrong: shapes


@pytest.mark.parametrize(
    ("logits", "targets"),
    [
        ("[[1,2,3],[4,5,6]]", "[[0.5,0.5],[0.5,0.5],[0.5,0.5]]"),  # same size, another shape
        ("[[2,1,0.1]]", "[[0.5,0.5]]"),
        ("[2,1,0.1]", "[[0.2,0.3,0.5]]"),  # (1, 3) targets for a (3,) input, as PyTorch refuses too
        ("[[1,2,3],[4,5,6]]", "[[0.2,0.3,0.5]]"),
    ],
)
def test_soft_targets_of_another_shape_are_refused(run, logits: str, targets: str) -> None:
    refused(run("xent", logits, "--targets", targets), "soft targets have shape")


def test_soft_targets_of_the_input_shape_still_work(run) -> None:
    x = torch.tensor([2.0, 1.0, 0.1], dtype=torch.float64)
    q = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
    for targets in ("0.2,0.3,0.5", "[0.2,0.3,0.5]"):
        out = run("xent", "2", "1", "0.1", "--targets", targets, "--json")
        assert out.code == 0, out.stderr
        assert out.json()["result"] == pytest.approx(F.cross_entropy(x, q).item(), rel=1e-13)


@pytest.mark.parametrize(
    ("logits", "targets"),
    [
        ("[[1,2,3],[4,5,6]]", "[[1,0],[0,1],[1,1]]"),
        ("[[1,2,3],[4,5,6]]", "[1,0,1,0,1,1]"),
        ("[[1,2,3],[4,5,6]]", "1,0,1,0,1,1"),  # a flat list fits a single example only
        ("[1,2,3]", "[[1,0,1]]"),
    ],
)
def test_bce_targets_of_another_shape_are_refused(run, logits: str, targets: str) -> None:
    refused(run("bce", logits, "--targets", targets), "shape")


def test_bce_targets_of_the_input_shape_still_work(run) -> None:
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=torch.float64)
    y = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], dtype=torch.float64)
    out = run("bce", json.dumps(x.tolist()), "--targets", json.dumps(y.tolist()), "--json")
    assert out.code == 0, out.stderr
    assert out.json()["result"] == pytest.approx(F.binary_cross_entropy_with_logits(x, y).item(), rel=1e-13)
    single = run("bce", "[[1, 2, 3]]", "--targets", "1,0,1", "--json")
    assert single.code == 0, single.stderr


# ----------------------------------------------------------------------------- silently wrong: names


@pytest.mark.parametrize(
    ("classes", "needle"),
    [
        ("Cat,cat,dog", "differ only in case"),
        ("a,a,b", "'a' twice"),
        ("a,b,", "empty class name"),
        (",,", "empty class name"),
        ("", "empty class name"),
    ],
)
def test_repeated_or_empty_class_names_are_refused(run, classes: str, needle: str) -> None:
    refused(run("xent", "1", "2", "3", "--classes", classes, "--targets", "0"), needle)


def test_repeated_names_are_refused_from_every_source(run, tmp_path: Path) -> None:
    (tmp_path / "classes.txt").write_text("cat\nCat\ndog\n")
    refused(run("softmax", "1", "2", "3", "--classes-file", str(tmp_path / "classes.txt")), "differ only in case")
    (tmp_path / "table.csv").write_text("cat,dog,cat\n1,2,3\n4,5,6\n")
    refused(run("softmax", "--file", str(tmp_path / "table.csv")), "'cat' twice")
    (tmp_path / "holes.csv").write_text("cat,,dog\n1,2,3\n4,5,6\n")
    refused(run("softmax", "--file", str(tmp_path / "holes.csv")), "empty class name")
    piped = json.dumps({"logits": [1, 2, 3], "classes": ["a", "B", "b"]})
    refused(run("softmax", input=piped), "the `classes` in stdin")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("labels.csv", "file,class\na.png,0\nb.png,1\na.png,1\n"),
        ("labels.json", '{"a.png": 0, "b.png": 1, "a.png": 1}'),
    ],
)
def test_a_labels_file_listing_an_image_twice_is_refused_by_name(run, tmp_path: Path, name: str, content: str) -> None:
    (tmp_path / name).write_text(content)
    piped = json.dumps({"logits": [[1, 2], [3, 4]], "inputs": ["a.png", "b.png"]})
    line = refused(run("xent", "--targets", str(tmp_path / name), input=piped), "'a.png' twice")
    assert "keep one label per image" in line


# ----------------------------------------------------------------------------- silently wrong: BOM, numbers, --file


def test_a_byte_order_mark_is_dropped_everywhere(run, tmp_path: Path) -> None:
    (tmp_path / "one.csv").write_bytes(BOM + b"1\n2\n3\n")
    column = run("softmax", "--file", str(tmp_path / "one.csv"), "--json").json()
    assert column["logits"] == [[1.0], [2.0], [3.0]] and column["classes"] is None
    (tmp_path / "named.csv").write_bytes(BOM + b"cat,dog\n1,2\n")
    assert run("softmax", "--file", str(tmp_path / "named.csv"), "--json").json()["classes"] == ["cat", "dog"]
    assert run("softmax", "--json", input=BOM + b"[1, 2]").json()["logits"] == [1.0, 2.0]
    (tmp_path / "classes.txt").write_bytes(BOM + b"cat\ndog\n")
    doc = run("softmax", "1", "2", "--classes-file", str(tmp_path / "classes.txt"), "--json").json()
    assert doc["classes"] == ["cat", "dog"]
    (tmp_path / "targets.txt").write_bytes(BOM + b"1\n0\n")
    assert run("xent", "[[1,2],[3,4]]", "--targets", str(tmp_path / "targets.txt"), "--json").code == 0


def test_one_number_rule_for_arguments_stdin_files_and_json(run, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("1_000 2")
    refused(run("softmax", "1_000", "2"))
    refused(run("softmax", input="1_000 2"), "'1_000' in stdin")
    refused(run("softmax", "--file", str(tmp_path / "x.txt")), "'1_000'")
    refused(run("softmax", '["1_000", 2]'), "'1_000'")


def test_an_empty_file_option_is_an_error_not_stdin(run) -> None:
    refused(run("softmax", "--file", "", input="1 2 3"), "--file is empty")


# ----------------------------------------------------------------------------- tracebacks: deep JSON, huge integers


def test_deep_json_is_one_line_wherever_json_is_read(run, tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text(DEEP)
    refused(run("softmax", DEEP), "nested too deeply")
    refused(run("softmax", input=DEEP), "nested too deeply")
    refused(run("softmax", "--file", str(tmp_path / "deep.json")), "nested too deeply")
    refused(run("xent", "1", "2", "--targets", DEEP), "nested too deeply")
    refused(run("xent", "1", "2", "--targets", "0", "--weight", DEEP), "nested too deeply")
    piped = json.dumps({"logits": [[1, 2]], "inputs": ["a.png"]})
    refused(run("xent", "--targets", str(tmp_path / "deep.json"), input=piped), "nested too deeply")
    refused(run("softmax", input='{"logits": [1, 2], "classes": ' + DEEP + "}"), "nested too deeply")


def test_huge_integers_everywhere(run) -> None:
    for values in ([HUGE], [f"[{HUGE}, 1]"]):
        doc = run("softmax", *values, "--json").json()  # beyond float's range, as 1e400: +inf
        assert doc["logits"][0] == "inf"
    assert run("softmax", "--json", input=f"[{HUGE}, 1]").json()["logits"][0] == "inf"
    for weight in (f"[{HUGE}, 1]", f"{HUGE},1"):  # an inf weight, which PyTorch accepts: inf / inf in the mean
        doc = run("xent", "1", "2", "--targets", "0", "--weight", weight, "--json").json()
        assert doc["result"] == "nan" and "mean_inf_denominator" in [note["id"] for note in doc["notes"]]
    line = refused(run("xent", "1", "2", "--targets", HUGE), "out of range")
    assert len(line) < 200
    refused(run("xent", "1", "2", "--targets", f"[{HUGE}]"), "not a class index")
    refused(run("xent", "1", "2", "--targets", "0", "--ignore-index", HUGE), "--ignore-index")


def test_ignore_index_beyond_64_bits_is_refused_before_any_output(run) -> None:
    for command in ("nll", "xent"):
        out = run(command, "1", "2", "--targets", "0", "--ignore-index", str(2**64))
        refused(out, "does not fit in 64 bits")
    exact = run("xent", "[[1,2],[3,4]]", "--targets", f"0,{2**63 - 1}", "--ignore-index", str(2**63 - 1), "--json")
    assert exact.code == 0, exact.stderr  # the largest int64 is exact, and ignores its example
    assert exact.json()["denominator"] == 1


@pytest.mark.parametrize("label", ["1.5", "5.", "1e3", "inf", "nan", "-1e400"])
def test_labels_with_a_class_that_is_not_a_whole_number(run, tmp_path: Path, label: str) -> None:
    (tmp_path / "labels.csv").write_text(f"a.png,{label}\n")
    piped = json.dumps({"logits": [[1, 2]], "inputs": ["a.png"]})
    refused(run("xent", "--targets", str(tmp_path / "labels.csv"), input=piped), "not a class index or name")


@pytest.mark.parametrize("label", ["5.5", "true", "null", "[1]", '{"a": 1}', "1e400", HUGE])
def test_json_labels_with_a_class_that_is_not_an_index(run, tmp_path: Path, label: str) -> None:
    (tmp_path / "labels.json").write_text(f'{{"a.png": {label}}}')
    piped = json.dumps({"logits": [[1, 2]], "inputs": ["a.png"]})
    refused(run("xent", "--targets", str(tmp_path / "labels.json"), input=piped))


def test_json_labels_with_class_zero(run, tmp_path: Path) -> None:
    (tmp_path / "labels.json").write_text('{"a.png": 0, "b.png": 1}')
    piped = json.dumps({"logits": [[1, 2], [3, 4]], "inputs": ["a.png", "b.png"]})
    out = run("xent", "--targets", str(tmp_path / "labels.json"), "--reduction", "none", "--json", input=piped)
    assert out.code == 0, out.stderr
    expected = F.cross_entropy(
        torch.tensor([[1.0, 2], [3, 4]], dtype=torch.float64), torch.tensor([0, 1]), reduction="none"
    )
    np.testing.assert_allclose(out.json()["result"], expected.numpy(), rtol=1e-13)


def test_binary_classes_and_labels_files(run, tmp_path: Path) -> None:
    (tmp_path / "classes.txt").write_bytes(b"\xff\xfe\x00c\x00a\x00t")
    refused(run("softmax", "1", "2", "--classes-file", str(tmp_path / "classes.txt")), "not UTF-8")
    (tmp_path / "labels.csv").write_bytes(b"a.png,\xff\n")
    piped = json.dumps({"logits": [[1, 2]], "inputs": ["a.png"]})
    refused(run("xent", "--targets", str(tmp_path / "labels.csv"), input=piped), "not UTF-8")
    (tmp_path / "nul.csv").write_bytes(b"a.png,\x001\n")
    refused(run("xent", "--targets", str(tmp_path / "nul.csv"), input=piped))
    refused(run("softmax", input=b"\xff\xfe1 2"), "stdin is not UTF-8")


BAD_NAMES = [[1, 2, 3], None, [[1], [2], [3]], {"a": 1}, "abc", [None, "b", "c"], [1.5, True, "c"]]


@pytest.mark.parametrize("names", BAD_NAMES, ids=[json.dumps(n) for n in BAD_NAMES])
@pytest.mark.parametrize(
    "args",
    [
        ["softmax"],
        ["sigmoid"],
        ["nll", "-t", "0"],
        ["xent", "-t", "0"],
        ["bce", "-t", "1,0,1"],
        ["logits", "--table"],
        ["explain"],
        ["softmax", "--table"],
        ["xent", "-t", "0", "--jsonl"],
    ],
)
def test_piped_classes_and_inputs_that_are_not_strings_are_left_out(run, names, args: list[str]) -> None:
    piped = json.dumps({"logits": [1, 2, 3], "classes": names, "inputs": names, "model": names})
    out = run(*args, input=piped)
    assert out.code == 0, out.stderr
    assert out.stderr == ""
    if "--table" not in args and args[0] != "explain" and "--jsonl" not in args:
        doc = out.json()
        assert doc["classes"] is None and doc["inputs"] is None
        assert doc.get("model") == (names if isinstance(names, str) else None)


# ----------------------------------------------------------------------------- hangs: named pipes


@pytest.mark.parametrize(
    "args",
    [
        ["softmax", "--file", "{fifo}"],
        ["softmax", "{fifo}"],
        ["softmax", "1", "2", "--classes-file", "{fifo}"],
        ["xent", "1", "2", "--targets", "{fifo}"],
        ["bce", "1", "2", "--targets", "{fifo}"],
    ],
)
def test_named_pipes_are_refused_not_read(run, tmp_path: Path, args: list[str]) -> None:
    with fifo(tmp_path / "pipe.json") as path:
        out = run(*[a.format(fifo=path) for a in args])
    refused(out, "a named pipe, not a regular file")


def test_a_folder_is_not_a_data_file(run, tmp_path: Path) -> None:
    (tmp_path / "d.json").mkdir()
    refused(run("softmax", "--file", str(tmp_path / "d.json")), "a folder, not a regular file")


# ----------------------------------------------------------------------------- noise


@pytest.mark.parametrize("target", ["1e20", "1e300", "inf", "-inf", "1.5", "9223372036854775808"])
def test_targets_that_are_no_class_index_are_named_as_written(target: str) -> None:
    done = cli("xent", "1", "2", "--targets", target)
    assert done.returncode == 2
    line = one_error_line(done.stderr.decode())
    assert f"'{target}'" in line and "-9223372036854775808" not in line
    assert "Warning" not in done.stderr.decode()


def test_a_huge_token_is_cut_in_the_error(run) -> None:
    line = refused(run("softmax", input="x" * 1_000_000), "is not a number")
    assert len(line) < 200 and "…" in line
    line = refused(run("softmax", "1", "--precision", "9" * 5000))
    assert len(line) < 300


def test_library_warnings_become_notes(run, monkeypatch: pytest.MonkeyPatch) -> None:
    from logitcli import steps

    original = steps.softmax

    def noisy(*args, **kwargs):
        np.float64(1e308) * np.float64(10)  # numpy's RuntimeWarning: overflow
        warnings.warn("a library speaks", UserWarning, stacklevel=1)
        return original(*args, **kwargs)

    monkeypatch.setattr(steps, "softmax", noisy)
    out = run("softmax", "1", "2", "--json")
    assert out.code == 0
    assert out.stderr.splitlines() == [
        "note: RuntimeWarning: overflow encountered in scalar multiply",
        "note: a library speaks",
    ]


def test_debug_anywhere_shows_the_traceback() -> None:
    for args in (["--debug", "softmax", "1", "x"], ["softmax", "1", "x", "--debug"], ["softmax", "--debug", "x"]):
        done = cli(*args)
        assert done.returncode != 0 and b"Traceback" in done.stderr, args
    assert b"Traceback" not in cli("softmax", "1", "x").stderr
    assert cli("softmax", "--", "1", "--debug").returncode == 2  # after `--` it is a value, not the flag


# ----------------------------------------------------------------------------- the boundary: OS, memory, bugs


def test_stdout_on_a_full_disk_is_one_line() -> None:
    with open("/dev/full", "wb") as full:
        for args in (
            ["softmax", "1", "2"],
            ["softmax", "1", "2", "--table"],
            ["--version"],
            ["explain", "--lang", "en"],
        ):
            done = subprocess.run(
                [sys.executable, "-m", "logitcli", *args],
                stdout=full,
                stderr=subprocess.PIPE,
                timeout=60,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            assert done.returncode == 1, args
            assert done.stderr.decode().splitlines() == ["Error: cannot write the output: No space left on device"]


def test_closed_stdout_is_one_line() -> None:
    """`logitcli softmax 1 >&-`: the process starts with no file descriptor 1."""
    done = subprocess.run(
        [sys.executable, "-m", "logitcli", "softmax", "1"],
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),  # the child starts with fd 1 closed, as after `>&-`
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 1
    assert one_error_line(done.stderr.decode()).startswith("Error: stdout is closed")


def test_an_ascii_terminal_gets_plain_text() -> None:
    done = cli("softmax", "1", "2", "--table", "--classes", "café,naïve", env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("ascii")
    assert "caf?" in text and "#" in text and "sum exp(x)" in text
    tour = cli("explain", "--lang", "en", env={"PYTHONIOENCODING": "ascii"})
    assert tour.returncode == 0, tour.stderr
    japanese = cli("explain", "--lang", "ja", env={"PYTHONIOENCODING": "ascii"})
    assert japanese.returncode == 2
    assert "cannot show Japanese" in one_error_line(japanese.stderr.decode())


def test_names_that_are_not_utf8_reach_json_as_replacement_characters(run) -> None:
    done = cli("softmax", "1", "2", "--classes", os.fsdecode(b"\xff") + ",b")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["classes"] == ["\ufffd", "b"]
    lone = run("softmax", "--json", input='{"logits": [1, 2], "classes": ["\\ud800", "b"]}')
    assert lone.code == 0 and lone.json()["classes"] == ["?", "b"]


def test_ctrl_c_exits_130_without_a_traceback() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "logitcli", "softmax"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    time.sleep(1.5)  # it waits on stdin, which stays open
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=30)
    child.stdin.close()
    assert child.returncode == 130
    assert b"Traceback" not in stderr and b"Error" not in stderr


@pytest.mark.parametrize(
    ("error", "needle", "code"),
    [
        (MemoryError(), "Error: out of memory", 1),
        (RuntimeError("boom"), "Error: internal error (RuntimeError: boom): run again with --debug", 1),
        (PermissionError(13, "Permission denied", "x.json"), "Error: x.json: Permission denied", 1),
        (KeyboardInterrupt(), None, 130),
    ],
)
def test_every_failure_below_the_boundary_is_one_line(run, monkeypatch, error, needle, code) -> None:
    from logitcli import steps

    def fail(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(steps, "sigmoid", fail)
    out = run("sigmoid", "1")
    assert out.code == code
    if needle is None:
        assert "Error" not in out.stderr
    else:
        assert one_error_line(out.stderr).startswith(needle)


def test_debug_lets_a_bug_through(monkeypatch) -> None:
    from typer.testing import CliRunner

    from logitcli import steps
    from logitcli.cli.commands import app

    def fail(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(steps, "sigmoid", fail)
    with pytest.raises(RuntimeError, match="boom"):
        CliRunner().invoke(app, ["sigmoid", "1", "--debug"], catch_exceptions=False)


def test_a_refused_input_is_one_line_even_after_notes(run, tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_text("b.png,1.5\n")  # a.png has no label (a note), b.png a bad one
    piped = json.dumps({"logits": [[1, 2], [3, 4]], "inputs": ["a.png", "b.png"]})
    refused(run("xent", "--targets", str(tmp_path / "labels.csv"), input=piped), "not a class index or name")
    (tmp_path / "labels.csv").write_text("b.png,1\n")
    out = run("xent", "--targets", str(tmp_path / "labels.csv"), "--json", input=piped)
    assert out.code == 0 and out.stderr.splitlines() == [
        f"note: {tmp_path / 'labels.csv'} has no label for a.png: left out of the loss"
    ]
