"""Where results go: tables on a terminal, JSON when piped, explicit flags always win.

stdout carries the result only; failures (an image that could not be read) go to stderr after
the result, and turn the exit code to 1 so scripts notice.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import typer

from logitcli.batch import Batch
from logitcli.errors import InputError
from logitcli.steps import Calculation

if TYPE_CHECKING:
    from rich.console import Console

Mode = Literal["table", "json", "jsonl"]


@dataclass
class Output:
    mode: Mode
    precision: int = 4
    top_k: int | None = None
    include_steps: bool = True
    check: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def choose(cls, *, table: bool, json: bool, jsonl: bool, **settings: object) -> Output:
        if table + json + jsonl > 1:
            raise InputError("choose one of --table, --json, --jsonl")
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

    def finish(self) -> None:
        """Report what could not be read; a partial result still exits non-zero."""
        if self.failures:
            report_failures(self.failures)
            raise typer.Exit(1)


def report_failures(failures: list[tuple[str, str]]) -> None:
    for path, reason in failures:
        print(f"Error: {path}: {reason}", file=sys.stderr)


def _console() -> Console:
    """rich's console, imported only when tables are printed (JSON output never needs it)."""
    from rich.console import Console

    return Console(highlight=False)


def emit_calculation(calc: Calculation, batch: Batch, out: Output) -> None:
    from logitcli import jsonout

    sys.stdout.flush()
    if out.mode == "json":
        jsonout.write_document(jsonout.document_parts(calc, batch, out.include_steps), sys.stdout.buffer)
    elif out.mode == "jsonl":
        for record in jsonout.jsonl_records(calc, batch, out.include_steps):
            sys.stdout.buffer.write(jsonout.dumps(record) + b"\n")
    else:
        from logitcli.render import calculation_renderables

        console = _console()
        for part in calculation_renderables(
            calc, batch, precision=out.precision, top_k=out.top_k, max_rows=_max_rows(console)
        ):
            console.print(part)
        if calc.descent is not None:
            from logitcli.render import descent_renderables

            for part in descent_renderables(
                calc.descent, batch, precision=out.precision, top_k=out.top_k, max_rows=_max_rows(console)
            ):
                console.print(part)
    sys.stdout.buffer.flush()
    out.finish()


def emit_logits(batch: Batch, out: Output) -> None:
    from logitcli import jsonout

    sys.stdout.flush()
    if out.mode == "json":
        sys.stdout.buffer.write(jsonout.dumps(jsonout.logits_document(batch)) + b"\n")
    elif out.mode == "jsonl":
        for row in range(batch.n_examples):
            name = batch.inputs[row] if batch.inputs is not None else None
            record = jsonout.logits_record(batch.extra, row, name, batch.classes, batch.values[row])
            sys.stdout.buffer.write(jsonout.dumps(record) + b"\n")
    else:
        from logitcli.render import logits_renderables

        console = _console()
        for part in logits_renderables(batch, precision=out.precision, top_k=out.top_k, max_rows=_max_rows(console)):
            console.print(part)
    sys.stdout.buffer.flush()
    out.finish()


def _max_rows(console: Console) -> int:
    """A batch larger than a screen shows its first rows; piped tables show 20."""
    if console.is_terminal:
        return max(5, console.size.height - 12)
    return 20
