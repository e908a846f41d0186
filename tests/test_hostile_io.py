"""Hostile input, round 2, where it meets the system: console sizes, the files --save writes, the pager,
input that claims to be endless, and control characters on their way to the terminal.

Cases about processes, terminals, pipes and files run the real entry point in a child process.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hostile_helpers import fifo, one_error_line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from io_helpers import child_env, cli, on_terminal
from typer.testing import CliRunner

from logitcli.cli.commands import app
from logitcli.output import screen
from logitcli.output.pager import less_shows_colours, pager_argv, pager_command, pager_environment
from logitcli.output.safetext import UNSAFE, escaped

CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def invoke(args: list[str], input: str | None = None, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args, input=input, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# ----------------------------------------------------------------------------- console sizes


@pytest.mark.parametrize(
    ("given", "width"),
    [("0", 77), ("-3", 77), ("abc", 77), ("１２０", 77), ("", 77), ("1", 20), ("3", 20), ("50", 50), ("10" * 20, 77)],
)
def test_a_columns_value_that_cannot_be_used_falls_back(monkeypatch, given: str, width: int) -> None:
    monkeypatch.setattr(screen, "terminal_size", lambda: (77, 30))
    assert screen.screen_size({"COLUMNS": given})[0] == width


def test_an_unusable_terminal_size_falls_back(monkeypatch) -> None:
    monkeypatch.setattr(screen, "terminal_size", lambda: (None, None))
    assert screen.screen_size({}) == (80, 25)
    monkeypatch.setattr(screen, "terminal_size", lambda: (1, 1))
    env: dict[str, str] = {}
    screen.settle_screen_size(env)
    assert env == {"COLUMNS": str(screen.MIN_WIDTH)}  # a 1x1 terminal: lines of the narrowest readable width
    env = {"COLUMNS": "100000", "LINES": "0"}
    screen.settle_screen_size(env)
    assert env == {"COLUMNS": "100000", "LINES": "1"}


@settings(max_examples=60)
@given(st.one_of(st.none(), st.text(max_size=12), st.integers(-(10**20), 10**20).map(str)))
def test_any_columns_or_lines_value_gives_a_usable_size(value: str | None) -> None:
    env = {} if value is None else {"COLUMNS": value, "LINES": value}
    width, height = screen.screen_size(env)
    assert screen.MIN_WIDTH <= width <= screen.MAX_WIDTH and screen.MIN_HEIGHT <= height <= screen.MAX_HEIGHT
    screen.settle_screen_size(env)
    for name in ("COLUMNS", "LINES"):
        if name in env:
            assert screen.parse_size(env[name]) is not None


SIZES = ["0", "1", "3", "-5", "10", "100000", "abc", "０", "99999999999999999999"]


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(columns=st.sampled_from(SIZES), lines=st.sampled_from(SIZES))
def test_tables_are_printed_whatever_the_console_size(columns: str, lines: str) -> None:
    code, out, err = invoke(["softmax", "1", "2", "3", "--table"], COLUMNS=columns, LINES=lines)
    assert code == 0, err
    assert "softmax" in out and "0.6652" in out
    code, out, _ = invoke(["softmax", "1", "2", "3"], COLUMNS=columns, LINES=lines)
    assert code == 0 and json.loads(out) == json.loads(invoke(["softmax", "1", "2", "3"], COLUMNS="80")[1])


@pytest.mark.parametrize("columns", ["0", "3", "-1"])
def test_the_tour_ends_and_is_the_same_json_whatever_the_width(columns: str, tmp_path: Path) -> None:
    code, out, err = invoke(["explain", "--section", "softmax"], COLUMNS=columns)
    assert code == 0, err
    assert "softmax" in out and len(out) < 200_000
    saved = tmp_path / "t.txt"
    code, doc, err = invoke(["explain", "--section", "sigmoid", "--json", "--save", str(saved)], COLUMNS=columns)
    assert code == 0, err
    assert json.loads(doc) == json.loads(invoke(["explain", "--section", "sigmoid", "--json"], COLUMNS="100")[1])
    assert "0.4620" in saved.read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [-10, -1, 0, 1, 2])
def test_wrapping_to_a_width_below_one_cell_ends(width: int) -> None:
    from logitcli.tour.wrap import wrap_cjk

    text = "A paragraph of the tour, 日本語の文も。"
    lines = wrap_cjk(text, width).split("\n")
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert len(lines) <= len(text)


@pytest.mark.parametrize("width", [1, 3, 7])
def test_the_tour_lays_out_on_any_console_width(width: int) -> None:
    import io

    from rich.console import Console

    from logitcli.tour import build_tour, render_tour

    console = Console(width=width, file=io.StringIO(), color_system=None)
    render_tour(build_tour(None, None, "sigmoid", "ja", torch_checks=False), console)
    assert 0 < len(console.file.getvalue()) < 1_000_000


@pytest.mark.parametrize(("columns", "lines"), [(1, 1), (3, 2)])
def test_a_tiny_real_terminal_gets_the_output(columns: int, lines: int) -> None:
    table = on_terminal("softmax", "1", "2", "3", columns=columns, lines=lines, COLUMNS=None, LINES=None)
    assert table.code == 0, table.stderr
    assert "0.6652" in table.stdout
    tour = on_terminal(
        "explain", "--section", "sigmoid", "--no-pager", columns=columns, lines=lines, COLUMNS=None, LINES=None
    )
    assert tour.code == 0, tour.stderr
    assert "0.4620" in tour.stdout and tour.stderr == ""


# ----------------------------------------------------------------------------- --save: what it refuses


def test_save_refuses_a_named_pipe_in_one_line(tmp_path: Path) -> None:
    with fifo(tmp_path / "fifo.txt") as path:
        done = cli("softmax", "1", "2", "--save", str(path), timeout=30)
    assert done.code == 2 and done.stdout == ""
    assert "a named pipe, not a regular file" in one_error_line(done.stderr)


def test_save_refuses_a_device_even_through_a_symlink(tmp_path: Path) -> None:
    link = tmp_path / "null.txt"
    link.symlink_to("/dev/null")
    done = cli("softmax", "1", "2", "--save", str(link))
    assert done.code == 2 and "a character device, not a regular file" in one_error_line(done.stderr)
    folder = tmp_path / "taken.txt"
    folder.mkdir()
    done = cli("softmax", "1", "2", "--save", str(folder))
    assert done.code == 2 and "a folder, not a regular file" in one_error_line(done.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["softmax", "--file", "{data}"],
        ["xent", "1", "2", "3", "--targets", "{labels}"],
        ["softmax", "1", "2", "--classes-file", "{names}"],
        ["softmax", "{data}"],
    ],
)
def test_save_never_writes_over_a_file_the_command_reads(tmp_path: Path, args: list[str]) -> None:
    files = {"data": tmp_path / "in.txt", "labels": tmp_path / "labels.txt", "names": tmp_path / "names.txt"}
    files["data"].write_text("1 2 3\n")
    files["labels"].write_text("0\n")
    files["names"].write_text("a\nb\n")
    args = [a.format(**files) for a in args]
    read = next(Path(a) for a in args if a.startswith(str(tmp_path)))
    before = read.read_bytes()
    code, out, err = invoke([*args, "--save", str(read)])
    assert code == 2 and out == ""
    assert "which this command reads" in one_error_line(err)
    assert read.read_bytes() == before


def test_save_never_writes_over_stdin_or_through_a_link_to_an_input(tmp_path: Path) -> None:
    data = tmp_path / "in.txt"
    data.write_text("1 2 3\n")
    with data.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "logitcli", "softmax", "--save", str(data)],
            stdin=stdin,
            capture_output=True,
            timeout=60,
            env=child_env(),
        )
    assert done.returncode == 2 and "the file on stdin" in one_error_line(done.stderr.decode())
    link = tmp_path / "link.txt"
    link.symlink_to(data)
    code, _, err = invoke(["softmax", "--file", str(data), "--save", str(link)])
    assert code == 2 and "which this command reads" in err
    assert data.read_text() == "1 2 3\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file")
def test_save_refuses_a_read_only_file(tmp_path: Path) -> None:
    path = tmp_path / "kept.txt"
    path.write_text("mine\n")
    path.chmod(0o444)
    code, out, err = invoke(["softmax", "1", "2", "--save", str(path)])
    assert code == 2 and out == "" and "is read-only" in one_error_line(err)
    assert path.read_text() == "mine\n"


def test_a_utf16_file_is_named_as_such_and_binary_stdin_as_binary() -> None:
    assert "not UTF-8" in one_error_line(cli("softmax", stdin="\ufeff1 2".encode("utf-16-le")).stderr)
    assert "binary data (a NUL byte at byte 3)" in one_error_line(cli("softmax", stdin=b"1 2\x003").stderr)


# ----------------------------------------------------------------------------- --save: how it writes


def test_save_through_a_symlink_replaces_the_file_it_points_to(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(target.name)
    code, out, _ = invoke(["softmax", "1", "2", "--table", "--save", str(link)])
    assert code == 0
    assert link.is_symlink() and target.read_text(encoding="utf-8") == out
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.txt", "real.txt"]  # no temporary file left


@pytest.mark.parametrize("args", [["--table"], ["--json"], []])
def test_save_is_written_when_the_reader_of_stdout_has_gone(tmp_path: Path, args: list[str]) -> None:
    """`logitcli softmax 1 2 --save k.txt | true`: stdout's pipe is closed before anything is written."""
    saved = tmp_path / "k.txt"
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "logitcli", "softmax", "1", "2", *args, "--save", str(saved)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
            env=child_env(),
        )
    finally:
        os.close(write_end)
    assert done.returncode == 1 and done.stderr == b""  # quiet, as without --save
    assert "0.7311" in saved.read_text(encoding="utf-8")


def test_a_closed_reader_without_save_still_ends_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "logitcli", "softmax", "1", "2", "--table"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
            env=child_env(),
        )
    finally:
        os.close(write_end)
    assert done.returncode == 1 and done.stderr == b""


@settings(max_examples=2, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=8, max_size=8))
def test_eight_processes_saving_at_once_leave_one_whole_output(tmp_path_factory, sizes: list[int]) -> None:
    folder = tmp_path_factory.mktemp("concurrent")
    path = folder / "same.html"
    commands = [
        [sys.executable, "-m", "logitcli", "softmax", *map(str, range(size * (i + 1))), "--save", str(path)]
        for i, size in enumerate(sizes)
    ]
    children = [
        subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env()) for c in commands
    ]
    for child in children:
        assert child.wait(timeout=120) == 0, child.stderr.read() if child.stderr else ""
        if child.stderr:
            child.stderr.close()
    written = path.read_text(encoding="utf-8")
    outputs = []
    for command in commands:  # each output alone, saved one at a time (in this process: the same rendering)
        alone = folder / "alone.html"
        assert invoke([*command[3:-1], str(alone)])[0] == 0
        outputs.append(alone.read_text(encoding="utf-8"))
    assert written in outputs
    assert sorted(p.name for p in folder.iterdir()) == ["alone.html", "same.html"]


# ----------------------------------------------------------------------------- the pager


def _fake_pager(tmp_path: Path) -> tuple[str, Path]:
    seen = tmp_path / "paged.txt"
    script = tmp_path / "pager.sh"
    script.write_text(f"#!/bin/sh\ncat > '{seen}'\n")
    script.chmod(0o755)
    return str(script), seen


def test_a_pager_that_cannot_run_falls_back_to_printing_with_one_note() -> None:
    done = on_terminal("explain", "--section", "sigmoid", "--pager", columns=100, lines=30, PAGER="/nonexistent/pager")
    assert done.code == 0
    assert "0.4620" in done.stdout
    notes = done.stderr.splitlines()
    assert len(notes) == 1 and notes[0].startswith("note: the pager '/nonexistent/pager' could not be run")


@pytest.mark.parametrize(
    ("args", "lines", "paged"),
    [
        ([], 10, True),  # longer than the screen: paged, as git log pages
        ([], 60_000, False),  # it fits: printed
        (["--no-pager"], 10, False),
        (["--pager"], 60_000, True),
    ],
)
def test_explain_pages_when_longer_than_the_screen(tmp_path: Path, args: list[str], lines: int, paged: bool) -> None:
    pager, seen = _fake_pager(tmp_path)
    done = on_terminal(
        "explain", "--section", "sigmoid", *args, columns=100, lines=lines, PAGER=pager, LINES=None, COLUMNS=None
    )
    assert done.code == 0, done.stderr
    assert seen.exists() == paged
    shown = seen.read_text(encoding="utf-8") if paged else done.stdout
    assert "0.4620" in shown
    assert ("0.4620" in done.stdout) != paged


def test_explain_is_never_paged_into_a_pipe(tmp_path: Path) -> None:
    pager, seen = _fake_pager(tmp_path)
    done = cli("explain", "--section", "sigmoid", "--pager", PAGER=pager, LINES="5")
    assert done.code == 0 and "0.4620" in done.stdout and not seen.exists()


@pytest.mark.parametrize(
    ("environ", "command"),
    [
        ({"PAGER": "most -s"}, "most -s"),
        ({"PAGER": ""}, None),
        ({"PAGER": "cat"}, None),
        ({"LOGITCLI_PAGER": "x", "PAGER": "y"}, "x"),
    ],
)
def test_which_pager(environ: dict, command: str | None) -> None:
    assert pager_command(environ) == command


def test_less_gets_colours_and_git_s_defaults() -> None:
    assert pager_environment(True, {})["LESS"] == "FRX"
    assert pager_environment(True, {"LESS": "-i"})["LESS"] == "-i -R"
    assert pager_environment(False, {"LESS": "-i"})["LESS"] == "-i"
    assert pager_environment(True, {"LESS": "--RAW-CONTROL-CHARS"})["LESS"] == "--RAW-CONTROL-CHARS"
    assert less_shows_colours("-iR") and not less_shows_colours("-i") and not less_shows_colours(None)
    assert pager_argv("less -S") == (["less", "-S"], False)
    assert pager_argv("less | tee x")[1] is True


# ----------------------------------------------------------------------------- input that claims to be endless


def test_dev_zero_on_stdin_is_one_line_at_once() -> None:
    with open("/dev/zero", "rb") as zero:
        start = time.monotonic()
        done = cli("softmax", stdin=zero.fileno(), timeout=60)
    assert done.code == 2 and "binary data" in one_error_line(done.stderr)
    assert time.monotonic() - start < 30


def test_an_endless_pipe_of_numbers_stops_at_the_bound() -> None:
    yes = subprocess.Popen(["yes", "1"], stdout=subprocess.PIPE)
    try:
        assert yes.stdout is not None
        done = cli("softmax", stdin=yes.stdout.fileno(), LOGITCLI_MAX_INPUT_MB="2")
    finally:
        yes.kill()
        yes.wait()
    assert done.code == 2
    assert "more than 2 MiB of text" in one_error_line(done.stderr)


def test_a_file_over_the_bound_is_refused_from_its_size(tmp_path: Path, monkeypatch) -> None:
    big = tmp_path / "big.txt"
    big.write_text("1 " * (1 << 20))
    monkeypatch.setenv("LOGITCLI_MAX_INPUT_MB", "1")
    code, _, err = invoke(["softmax", "--file", str(big)])
    assert code == 2 and "more than 1 MiB of text" in one_error_line(err)
    code, _, err = invoke(["softmax", "1", "2", "--classes-file", str(big)])
    assert code == 2 and "more than 1 MiB" in err


def test_a_npy_header_that_claims_more_than_the_file_holds(tmp_path: Path) -> None:
    from numpy.lib import format as npy

    path = tmp_path / "lies.npy"
    with path.open("wb") as handle:
        npy.write_array_header_1_0(handle, {"descr": "<f8", "fortran_order": False, "shape": (1, 10**12)})
        handle.write(b"\0" * 16)
    assert path.stat().st_size < 200
    code, _, err = invoke(["softmax", "--file", str(path)])
    assert code == 2
    assert "declares shape (1, 1000000000000)" in one_error_line(err)
    cut = tmp_path / "cut.npy"
    np.save(cut, np.arange(10.0))
    cut.write_bytes(cut.read_bytes()[:-8])  # one number short
    code, _, err = invoke(["softmax", "--file", str(cut)])
    assert code == 2 and "80 bytes" in one_error_line(err)
    whole = tmp_path / "whole.npy"
    np.save(whole, np.arange(6.0).reshape(2, 3))
    assert invoke(["softmax", "--file", str(whole)])[0] == 0


@pytest.mark.parametrize("word", ["a" * 256, "x" * 5000, "é" * 300])
def test_a_long_word_is_bad_input_quoted_short(word: str) -> None:
    for args in (["softmax", word], ["softmax", "--file", word + ".txt"], ["xent", "1", "2", "--targets", word]):
        code, _, err = invoke(args)
        line = one_error_line(err)
        assert code == 2, line
        quoted = re.search(r"'([^']*)'", line)
        assert quoted is not None and len(quoted.group(1)) <= 41  # 40 characters and the ellipsis


def test_parsing_a_long_line_costs_a_few_bytes_a_number() -> None:
    """20 MB on one line: the parse keeps float64s (8 bytes a number) and copies of one window at a time."""
    import tracemalloc

    from logitcli.inputs.read import parse_text

    count = 2_000_000
    text = " ".join(["0.123456789"] * count)
    tracemalloc.start()
    try:
        batch = parse_text(text, "stdin")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert batch.values.shape == (1, count) and batch.values[0, 5] == 0.123456789
    assert peak < 3 * 8 * count + (16 << 20), peak


@settings(max_examples=150)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.floats(allow_nan=False, width=64).map(repr),
                st.sampled_from(["nan", "-inf", "+inf", "Infinity", "1.", ".5", "-0", "1E+05", "007"]),
            ),
            min_size=3,
            max_size=3,
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([" ", ",", ", ", "\t", " ,  ", "\x1c", "\u3000", "\x0b"]),
)
def test_plain_text_numbers_are_read_as_float_reads_them(rows: list[list[str]], separator: str) -> None:
    from logitcli.inputs.read import parse_text

    text = "\n".join(separator.join(row) for row in rows)
    expected = np.array([[float(t) for t in row] for row in rows])
    got = parse_text(text, "stdin").values
    np.testing.assert_array_equal(got, expected.reshape(got.shape))


# ----------------------------------------------------------------------------- control characters


def test_escaping_keeps_printable_text() -> None:
    assert escaped("café 日本 ▏") == "café 日本 ▏"
    assert escaped("a\x1b]0;pwned\x07") == "a\\x1b]0;pwned\\x07"
    assert escaped("\u202eevil\n") == "\\u202eevil\\n"


NASTY = st.text(
    alphabet=st.one_of(st.sampled_from("\x1b\x07\x00\x08\r\n\t\x9b\x7f\u202e\u2066[]0;m"), st.characters()),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() != "")


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(names=st.lists(NASTY, min_size=2, max_size=2, unique_by=lambda s: s.strip().casefold()), text=NASTY)
def test_control_characters_never_reach_the_terminal(tmp_path: Path, names: list[str], text: str) -> None:
    """Every text field a pipe can carry: classes, inputs, the command's name, its notes, the model."""
    piped = json.dumps(
        {
            "command": text,
            "logits": [[1.0, float("inf")], [2.0, 0.5]],
            "classes": names,
            "inputs": [text, text + "2"],
            "model": text,
            "notes": [{"id": "inf_input", "text": text, "args": {}}],
        }
    )
    saved = tmp_path / "t.txt"
    for args in (["softmax", "--table"], ["xent", "--targets", "0,1", "--table"], ["logits", "--table"]):
        code, out, err = invoke([*args, "--save", str(saved)], input=piped)
        if code == 2:  # a name refused as input: one line, escaped
            assert not CONTROL.search(err), err
            continue
        assert code == 0, err
        assert not CONTROL.search(out), out
        assert not CONTROL.search(saved.read_text(encoding="utf-8"))
        assert not UNSAFE.search(err.replace("\n", ""))


def test_control_characters_in_the_tour_and_in_file_names(tmp_path: Path, monkeypatch) -> None:
    piped = json.dumps({"logits": [1, 2, 3], "classes": ["a\x1b]0;pwned\x07", "b\x1b[31m", "c\nd"]})
    code, out, err = invoke(["explain", "--section", "softmax"], input=piped)
    assert code == 0, err
    assert "a\\x1b]0;pwned" in out and not CONTROL.search(out)
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke(["softmax", "--file", "x\x1b[2J.txt"])
    assert code == 2 and "\x1b" not in err and "\\x1b" in err


JSON_NUMBERS = st.one_of(
    st.floats(allow_nan=False, width=64).map(lambda x: json.dumps(x) if np.isfinite(x) else '"inf"'),
    st.integers(-(10**25), 10**25).map(str),
    st.sampled_from(['"nan"', '"-inf"', "-Infinity", "NaN", "inf", "1E5", "-0.0", "0", "-0", ".5", "01", '"1"']),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    numbers=st.lists(JSON_NUMBERS, min_size=27, max_size=27),
    spacing=st.sampled_from(["", " ", "\n "]),
    damage=st.one_of(st.none(), st.tuples(st.integers(0, 200), st.sampled_from(["", ",", "]", "[", " 1", "x"]))),
)
def test_large_json_arrays_read_straight_to_numpy_agree_with_json(monkeypatch, shape, numbers, spacing, damage) -> None:
    """The numpy path for large JSON arrays (here for any size) reads what json.loads reads, or leaves it to it."""
    from logitcli.errors import InputError
    from logitcli.inputs import jsonarray
    from logitcli.inputs.read import load_json, to_array

    monkeypatch.setattr(jsonarray, "MIN_SIZE", 0)
    flat = iter(numbers)

    def build(axes: list[int]) -> str:
        if len(axes) == 1:
            return "[" + f",{spacing}".join(next(flat) for _ in range(axes[0])) + "]"
        return "[" + f",{spacing}".join(build(axes[1:]) for _ in range(axes[0])) + "]"

    text = build(shape)
    if damage is not None:
        at = min(damage[0], len(text))
        text = text[:at] + damage[1] + text[at:]
    fast = jsonarray.numeric_json_array(text)
    try:
        slow = to_array(load_json(text, "x"), "x")
    except InputError:
        assert fast is None, text
        return
    if fast is not None:
        assert fast.shape == slow.shape, text
        np.testing.assert_array_equal(fast, slow)
        assert np.array_equal(np.signbit(fast), np.signbit(slow)), text
