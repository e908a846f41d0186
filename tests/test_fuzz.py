"""Fuzz: whatever a user throws at a number command, the answer follows the rule.

Random argv, random bytes on stdin and in files, random JSON shapes and values, random CSV and
labels files and random option values, run in-process. The rule: no exception escapes; the exit
code is 0, 1 or 2; exit 2 is exactly one stderr line `Error: ...`; every stderr line starts with
`Error:` or `note:`; no failure is an internal error (a bug that the boundary only caught).

NaN is allowed to be accepted (exit 0) or refused (one line, exit 2). Set HYPOTHESIS_PROFILE=heavy
for a long run (2,000 examples per test instead of 40).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from logitcli.cli.commands import app

HEAVY = os.environ.get("HYPOTHESIS_PROFILE") == "heavy"
FUZZ = settings(
    max_examples=2000 if HEAVY else 40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
NUMBER_COMMANDS = ["sigmoid", "softmax", "nll", "xent", "bce", "logits", "explain"]


@pytest.fixture(scope="module", autouse=True)
def _in_an_empty_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Random tokens that happen to be `.` or `*.png` find nothing (no model ever runs)."""
    folder = tmp_path_factory.mktemp("fuzz")
    before = Path.cwd()
    os.chdir(folder)
    yield
    os.chdir(before)


def invoke(args: list[str], stdin: bytes | str = b"") -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args, input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def assert_rule(args: list[str], stdin: bytes | str = b"") -> tuple[int, str]:
    code, stdout, stderr = invoke(args, stdin)
    lines = stderr.splitlines()
    context = f"args={args!r} stdin={stdin[:200]!r} stderr={stderr[:2000]!r}"
    assert code in (0, 1, 2), context
    assert all(line.startswith(("Error: ", "note: ")) for line in lines), context
    assert all(len(line) <= 1100 for line in lines), context
    assert "internal error" not in stderr, context
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("Error: "), context
    if code == 1:
        assert any(line.startswith("Error: ") for line in lines), context
    if code == 0:
        assert not any(line.startswith("Error: ") for line in lines), context
    return code, stdout


# ----------------------------------------------------------------------------- strategies

WEIRD_NUMBERS = [
    "1_000",
    "1e400",
    "-1e400",
    "9" * 400,
    "9" * 5000,
    "-0",
    "+.5",
    "5.",
    ".",
    "e5",
    "1e",
    "0x10",
    "١٢",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "infinity",
    " 1 ",
    "1,,2",
    "1e-400",
    "1e20",
    "-9223372036854775809",
    "9223372036854775808",
    "\ufeff1",
]
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(WEIRD_NUMBERS),
)
# Tokens without path separators, so no random token reaches outside the empty folder.
words = st.text(max_size=12).filter(lambda t: "/" not in t and "\\" not in t and t not in ("..",) and "~" not in t)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**40), max_value=10**40),
    words,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(words, children, max_size=4)),
    max_leaves=20,
)
rows = st.integers(1, 4).flatmap(
    lambda c: st.lists(st.lists(st.floats(-1e6, 1e6) | st.sampled_from([math.inf, -math.inf]), min_size=c, max_size=c))
)
deep_json = st.integers(1, 3000).map(lambda n: "[" * n + "1" + "]" * n)
json_texts = st.one_of(
    json_values.map(lambda v: json.dumps(v)),
    rows.map(json.dumps),
    deep_json,
    st.builds(
        lambda values, classes, inputs, extra: json.dumps(
            {"command": "logits", "logits": values, "classes": classes, "inputs": inputs, **extra}
        ),
        st.one_of(rows, st.lists(st.floats(-10, 10), min_size=1, max_size=4), json_values),
        json_values,
        json_values,
        st.dictionaries(st.sampled_from(["model", "weights", "result"]), json_values, max_size=2),
    ),
)
values_text = st.one_of(
    json_texts,
    st.lists(numbers, min_size=1, max_size=5).map(" ".join),
    st.lists(st.lists(numbers, min_size=1, max_size=3).map(",".join), min_size=1, max_size=4).map("\n".join),
    words,
)
stdin_bytes = st.one_of(
    st.binary(max_size=200),
    values_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    values_text.map(lambda t: b"\xef\xbb\xbf" + t.encode("utf-8", "surrogatepass")),
)
option_values = st.one_of(numbers, words, json_texts, st.lists(numbers, max_size=4).map(",".join))
OPTIONS = {
    "--targets": option_values,
    "--weight": option_values,
    "--pos-weight": option_values,
    "--ignore-index": st.one_of(st.integers(-(10**25), 10**25).map(str), numbers),
    "--reduction": st.one_of(st.sampled_from(["none", "mean", "sum"]), words),
    "--label-smoothing": numbers,
    "--temperature": numbers,
    "--classes": st.one_of(words, st.lists(words, max_size=4).map(",".join)),
    "--precision": st.one_of(st.integers(-5, 30).map(str), numbers),
    "--top-k": st.one_of(st.integers(-5, 10**20).map(str), numbers),
    "--section": st.one_of(st.sampled_from(["logits", "sigmoid", "softmax", "nll", "xent", "grad"]), words),
    "--lang": st.one_of(st.sampled_from(["en", "ja"]), words),
    "--seed": st.integers(-(10**25), 10**25).map(str),
    "--lr": numbers,
    "--rows": st.one_of(st.sampled_from(["all", "0", "3"]), st.integers(-5, 10**20).map(str), words),
    "--save": st.one_of(st.sampled_from(["out.txt", "out.html", "no/such/out.svg", "out.pdf", ""]), words),
}
FLAGS = ["--table", "--json", "--jsonl", "--no-steps", "--check", "--grad", "--probs", "--wide", "-"]


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(NUMBER_COMMANDS))
    args = [command]
    if draw(st.booleans()):
        args += draw(st.lists(numbers, min_size=1, max_size=4))
    elif draw(st.booleans()):
        args.append(draw(values_text))
    for name in draw(st.lists(st.sampled_from(sorted(OPTIONS)), max_size=3, unique=True)):
        args += [name, draw(OPTIONS[name])]
    args += draw(st.lists(st.sampled_from(FLAGS), max_size=2, unique=True))
    return args


# ----------------------------------------------------------------------------- the fuzz tests


@FUZZ
@given(args=command_lines(), stdin=stdin_bytes)
def test_random_command_lines_and_stdin_follow_the_rule(args: list[str], stdin: bytes) -> None:
    assert_rule(args, stdin)


@FUZZ
@given(tokens=st.lists(st.one_of(st.sampled_from(sorted(OPTIONS) + FLAGS + ["--", "--debug-x"]), words), max_size=8))
def test_random_argv_follows_the_rule(tokens: list[str]) -> None:
    assert_rule(["softmax", *tokens], b"1 2 3")


@FUZZ
@given(command=st.sampled_from(NUMBER_COMMANDS), stdin=stdin_bytes)
def test_random_bytes_on_stdin_follow_the_rule(command: str, stdin: bytes) -> None:
    extra = ["--targets", "0"] if command in ("nll", "xent", "bce") else []
    assert_rule([command, *extra], stdin)


@FUZZ
@given(
    command=st.sampled_from(NUMBER_COMMANDS),
    suffix=st.sampled_from([".json", ".jsonl", ".csv", ".tsv", ".txt", ".npy"]),
    content=st.one_of(st.binary(max_size=300), values_text.map(lambda t: t.encode("utf-8", "surrogatepass"))),
    as_option=st.booleans(),
)
def test_random_data_files_follow_the_rule(command: str, suffix: str, content: bytes, as_option: bool) -> None:
    path = Path(f"data{suffix}")
    path.write_bytes(content)
    extra = ["--targets", "0"] if command in ("nll", "xent", "bce") else []
    assert_rule([command, *(["--file", str(path)] if as_option else [str(path)]), *extra])


header = st.lists(words.filter(lambda w: "," not in w and "\n" not in w and "\r" not in w), min_size=1, max_size=4)


@FUZZ
@given(
    names=header,
    rows=st.lists(st.lists(numbers, min_size=1, max_size=4), min_size=1, max_size=4),
    bom=st.booleans(),
    targets=st.one_of(option_values, header.map(",".join)),
)
def test_random_csv_with_header_follows_the_rule(
    names: list[str], rows: list[list[str]], bom: bool, targets: str
) -> None:
    text = "\n".join([",".join(names), *(",".join(row) for row in rows)])
    Path("table.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogatepass"))
    assert_rule(["xent", "--file", "table.csv", "--targets", targets])


@FUZZ
@given(
    content=st.one_of(
        st.binary(max_size=200),
        st.lists(st.tuples(words, st.one_of(numbers, words)), max_size=5).map(
            lambda pairs: "\n".join(f"{a},{b}" for a, b in pairs).encode("utf-8", "surrogatepass")
        ),
        st.dictionaries(words, json_values, max_size=4).map(lambda d: json.dumps(d).encode()),
        json_texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
    ),
    suffix=st.sampled_from([".csv", ".json", ".txt"]),
    command=st.sampled_from(["nll", "xent", "bce", "explain"]),
    piped=st.booleans(),
)
def test_random_labels_files_follow_the_rule(content: bytes, suffix: str, command: str, piped: bool) -> None:
    Path(f"labels{suffix}").write_bytes(content)
    logits = {"logits": [[1.0, 2.0], [0.5, -1.0]], "inputs": ["a.png", "b.png"], "classes": ["cat", "dog"]}
    if piped:
        assert_rule([command, "--targets", f"labels{suffix}"], json.dumps(logits))
    else:
        assert_rule([command, "1", "2", "--targets", f"labels{suffix}"])


@FUZZ
@given(content=st.binary(max_size=200), names=st.lists(words, max_size=4))
def test_random_classes_files_follow_the_rule(content: bytes, names: list[str]) -> None:
    Path("classes.txt").write_bytes(content if content else "\n".join(names).encode("utf-8", "surrogatepass"))
    assert_rule(["softmax", "1", "2", "--classes-file", "classes.txt", "--table"])


@FUZZ
@given(
    values=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=6),
    command=st.sampled_from(NUMBER_COMMANDS),
    targets=st.one_of(st.none(), option_values),
    output=st.sampled_from(["--json", "--jsonl", "--table"]),
)
def test_any_floats_follow_the_rule(values: list[float], command: str, targets: str | None, output: str) -> None:
    """NaN may be accepted or refused (both are allowed); inf and huge numbers must not crash anything."""
    args = [command, json.dumps(values), output]
    if output != "--table" and command == "explain":
        args.remove(output)
    if targets is not None:
        args += ["--targets", targets]
    code, stdout = assert_rule(args)
    if code == 0 and output == "--json" and command != "explain":
        json.loads(stdout)  # the document is whole


def test_numpy_files_of_odd_types_follow_the_rule(tmp_path: Path) -> None:
    odd = (np.array(["a", "b"]), np.zeros((2, 2, 2)), np.array([], dtype=float), np.array(3.0), np.ones(3, bool))
    for array in odd:
        np.save(tmp_path / "x.npy", array)
        assert_rule(["softmax", "--file", str(tmp_path / "x.npy")])
