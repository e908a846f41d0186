"""Where results go: tables on a terminal, JSON when piped, explicit flags always win.

stdout carries the result only; failures (an image that could not be read) go to stderr after
the result, and turn the exit code to 1 so scripts notice. `--save FILE` also writes the tables, as
the terminal shows them, to an .html, .svg or .txt file, through `savefile.write_whole` (whole, never over
an input), and is written even when stdout's reader has gone (see `keptstdout`).
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal, TextIO

import typer

from logitcli.errors import InputError, one_line
from logitcli.inputs.batch import Batch
from logitcli.output.keptstdout import KeptStdout
from logitcli.output.safetext import EscapeHook
from logitcli.output.savefile import check_save_path, write_whole
from logitcli.steps import Calculation

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from logitcli.output.render import View

Mode = Literal["table", "json", "jsonl"]
#: A console this wide never wraps or crops a table: `--wide` lets the terminal (or `less -S`) deal with it.
WIDE = 100_000
#: Lines of a terminal kept for headings, footers and the prompt when rows are fitted to its height.
SCREEN_MARGIN = 12


def parse_rows(text: str | None) -> int | None | Literal["auto"]:
    """`--rows N` or `--rows all`; not given: "auto" (a screenful on a terminal, every row when piped)."""
    if text is None:
        return "auto"
    if text.strip().lower() == "all":
        return None
    try:
        rows = int(text)
    except ValueError:
        rows = 0
    if rows < 1:
        raise InputError(f"--rows takes a number of rows (1 or more) or `all`, got {text!r}")
    return rows


def check_table_settings(precision: int, top_k: int | None) -> None:
    if not 0 <= precision <= 17:
        raise InputError(f"--precision takes 0 to 17 decimals, got {precision}")
    if top_k is not None and top_k < 1:
        raise InputError(f"--top-k takes a number of classes (1 or more), got {top_k}")


@dataclass
class Output:
    mode: Mode
    precision: int = 4
    top_k: int | None = None
    include_steps: bool = True
    check: bool = False
    rows: int | None | Literal["auto"] = "auto"
    wide: bool = False
    save: str | None = None
    lang: str = "en"
    failures: list[tuple[str, str]] = field(default_factory=list)
    kept: KeptStdout = field(default_factory=KeptStdout)

    @classmethod
    def choose(cls, *, table: bool, json: bool, jsonl: bool, reads: Sequence[str] = (), **settings: object) -> Output:
        """The output for the flags given; `reads` are the files the command reads, which --save must not replace."""
        if table + json + jsonl > 1:
            raise InputError("choose one of --table, --json, --jsonl")
        check_save_path(settings.get("save"), reads)  # type: ignore[arg-type]
        check_table_settings(settings.get("precision", 4), settings.get("top_k"))  # type: ignore[arg-type]
        if table:
            mode: Mode = "table"
        elif json:
            mode = "json"
        elif jsonl:
            mode = "jsonl"
        else:
            mode = "table" if sys.stdout.isatty() else "json"
        return cls(mode, **settings)  # type: ignore[arg-type]

    def progress_allowed(self) -> bool:
        """A progress bar only where a person watches stderr."""
        return sys.stderr.isatty()

    def console(self, file: io.StringIO | None = None) -> Console:
        """rich's console, imported only when tables are printed (JSON output never needs it).

        Piped tables reach a file or another program: rich pads every table line to the table's width, and
        no line there ends in spaces (`TrimmedLines`); a terminal shows them as rich writes them."""
        from rich.console import Console

        if file is None:
            target = self.kept.text if self.save else sys.stdout  # --save keeps a failing stdout for the end
            file = target if sys.stdout.isatty() else TrimmedLines(target)  # type: ignore[assignment,arg-type]
        console = Console(highlight=False, width=WIDE if self.wide else None, record=bool(self.save), file=file)
        console.push_render_hook(EscapeHook())  # no control character from the input reaches the terminal
        return console

    @property
    def stdout(self) -> IO[bytes]:
        """Where JSON goes: stdout's bytes; with --save a stdout that fails is kept for the end (`finish`)."""
        return self.kept.binary if self.save else sys.stdout.buffer  # type: ignore[return-value]

    def write_text(self, text: str) -> None:
        """Text to stdout (the tour, already rendered), kept like `stdout` with --save."""
        if self.save:
            self.kept.write_text(text)
        else:
            sys.stdout.write(text)

    def flush(self) -> None:
        if self.save:
            self.kept.flush()
        else:
            sys.stdout.flush()
            sys.stdout.buffer.flush()

    def view(self, console: Console, labels: dict[str, str] | None = None) -> View:
        """Width and rows for this console: a terminal's height bounds the rows unless --rows says otherwise."""
        from logitcli.output.lang import labels as words
        from logitcli.output.render import BATCH_CLASS_TABLES, View

        rows = self.rows
        from_screen = rows == "auto" and console.is_terminal
        if rows == "auto":
            rows = max(5, console.size.height - SCREEN_MARGIN) if from_screen else None
        given = self.rows != "auto"
        class_tables = (rows if rows is not None else 10**9) if given else BATCH_CLASS_TABLES
        return View(
            width=None if self.wide else console.width,
            precision=self.precision,
            top_k=self.top_k,
            rows=rows,  # type: ignore[arg-type]
            rows_from_screen=from_screen,
            class_tables=class_tables,  # type: ignore[arg-type]
            labels={**words(self.lang), **(labels or {})},
            lang=self.lang,
        )

    def show_tables(self, make_parts: Callable[[View], list[RenderableType]]) -> None:
        """Print the tables in table mode; with --save, record them (in any mode) and write the file."""
        if self.mode == "table":
            console = self.console()
        elif self.save:
            console = self.console(file=io.StringIO())
        else:
            return
        for part in make_parts(self.view(console)):
            console.print(part, crop=not _fits_by_itself(part))
        self.save_recording(console)

    def save_recording(self, console: Console) -> None:
        """Write what `console` recorded to --save's file, in the format its suffix names."""
        if not self.save:
            return
        from rich.cells import cell_len

        suffix = Path(self.save).suffix.lower()
        if self.wide:  # a page as wide as the widest line, not as the unbounded console
            lines = console.export_text(clear=False).splitlines()
            console.width = max([cell_len(line.rstrip()) for line in lines] + [20])
        if suffix == ".svg":
            from logitcli.output.export import svg_in_cells

            page = svg_in_cells(console.export_svg(title="logitcli"))
        elif suffix in (".html", ".htm"):
            from logitcli.output.export import html_in_cells

            page = html_in_cells(console.export_html())
        else:
            page = trimmed(console.export_text())
        write_whole(self.save, page)

    def finish(self) -> None:
        """Report what could not be read; a partial result still exits non-zero."""
        if self.failures:
            report_failures(self.failures)
        if self.kept.error is not None:  # stdout failed while --save had its file to write: end as without --save
            raise self.kept.error
        if self.failures:
            raise typer.Exit(1)


def _fits_by_itself(part: object) -> bool:
    """A long table lays itself out within the console's width: rich's crop, a pass over every line, is not
    needed (it was a third of the time of writing 10,000 rows)."""
    from logitcli.output.grid import LongTable

    return isinstance(part, LongTable)


_TRAILING = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)


def trimmed(text: str) -> str:
    """`text` without spaces at the ends of its lines (colour codes after them stay)."""
    if "\x1b" not in text:  # plain text (a pipe, a file): str.rstrip per line, 10x the regex's speed on long tables
        return "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    return _TRAILING.sub(r"\1", text)


class TrimmedLines(io.TextIOBase):
    """A text stream that writes whole lines to `target`, each without the spaces rich pads it with."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self.pending = ""

    def write(self, text: str) -> int:
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        if lines:
            self.target.write(trimmed("\n".join(lines)) + "\n")
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.target.write(trimmed(self.pending))
            self.pending = ""
        self.target.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", None) or "utf-8"


def stdout_can_show(text: str) -> bool:
    """Whether stdout's encoding has these characters (an ASCII terminal has no Japanese)."""
    try:
        text.encode(getattr(sys.stdout, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def piped_stdin() -> bool:
    """True when something is piped in (a pipe or a file), not a terminal or /dev/null: worth reading."""
    import os
    import stat

    if sys.stdin is None or sys.stdin.isatty():
        return False
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, io.UnsupportedOperation):
        return True  # a stream without a descriptor (tests): read it
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode) or stat.S_ISSOCK(mode)


def report_failures(failures: list[tuple[str, str]]) -> None:
    for path, reason in failures:
        print(f"Error: {one_line(f'{path}: {reason}')}", file=sys.stderr)


def emit_calculation(calc: Calculation, batch: Batch, out: Output) -> None:
    if out.lang != "en" and calc.notes:  # a note's text follows the language; its id and values stay
        from dataclasses import replace

        from logitcli.output.lang import said_notes

        calc = replace(calc, notes=said_notes(calc.notes, out.lang))
    out.flush()
    if out.mode in ("json", "jsonl"):
        from logitcli.output import jsonout  # not for tables
    if out.mode == "json":
        jsonout.write_document(jsonout.document_parts(calc, batch, out.include_steps), out.stdout)
    elif out.mode == "jsonl":
        for record in jsonout.jsonl_records(calc, batch, out.include_steps):
            out.stdout.write(jsonout.dumps(record) + b"\n")
    out.flush()

    def parts(view: View) -> list[RenderableType]:
        from logitcli.output.render import calculation_renderables

        parts = calculation_renderables(calc, batch, view)
        if calc.descent is not None:
            from logitcli.output.render import descent_renderables

            parts += descent_renderables(calc.descent, batch, view)
        return parts

    out.show_tables(parts)
    out.flush()
    out.finish()


def emit_logits(batch: Batch, out: Output) -> None:
    out.flush()
    if out.mode in ("json", "jsonl"):
        from logitcli.output import jsonout  # not for tables
    if out.mode == "json":
        out.stdout.write(jsonout.dumps(jsonout.logits_document(batch)) + b"\n")
    elif out.mode == "jsonl":
        for row in range(batch.n_examples):
            name = batch.inputs[row] if batch.inputs is not None else None
            record = jsonout.logits_record(batch.extra, row, name, batch.classes, batch.values[row])
            out.stdout.write(jsonout.dumps(record) + b"\n")
    out.flush()

    def parts(view: View) -> list[RenderableType]:
        from logitcli.output.logits_table import logits_renderables

        return logits_renderables(batch, view)

    out.show_tables(parts)
    out.flush()
    out.finish()
