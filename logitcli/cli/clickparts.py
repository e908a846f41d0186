"""Two small Typer subclasses: negative numbers as arguments, and one-line errors.

Click reads `-0.5` as an option. `NumberCommand` moves number-looking tokens (`-0.5`, `-1e-3`,
`-inf`, `-0.2,1.3`) behind `--` before parsing, keeping real options and their values in front
(argparse's rule); an option whose value is negative (`--temperature -0.5`) keeps it.
`LogitcliGroup` is the one error boundary: usage errors, `LogitcliError`s and every other failure
(the OS's, memory, Ctrl-C, encodings) become one line on stderr and an exit code (2 for usage and
input, 1 for failures while running, 130 for Ctrl-C); `--debug` anywhere keeps the traceback.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import typer.core
from typer import Abort
from typer._click.exceptions import ClickException

from logitcli.errors import InputError, LogitcliError, RunError, one_line
from logitcli.inputs.read import looks_like_numbers
from logitcli.output.screen import settle_screen_size


def move_numbers_behind_dashes(
    args: list[str], value_options: set[str], flag_options: set[str] = frozenset()
) -> list[str]:
    """Options (with their values) first, then `--`, then the positional values in their order."""
    front: list[str] = []
    positional: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            rest = args[i + 1 :]
            misplaced = [t for t in rest if t.split("=", 1)[0] in value_options | flag_options]
            if misplaced:
                raise InputError(
                    f"{misplaced[0]} comes after `--`, which makes it a value: put options before `--`, "
                    "or leave `--` out (negative numbers need no `--` here)"
                )
            positional.extend(rest)
            break
        if token == "-" or not token.startswith("-") or looks_like_numbers(token):
            positional.append(token)
        else:
            front.append(token)
            if "=" not in token and token in value_options and i + 1 < len(args):
                front.append(args[i + 1])
                i += 1
        i += 1
    return front + (["--", *positional] if positional else [])


class NumberCommand(typer.core.TyperCommand):
    """A command whose positional values may be negative numbers."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        options = [p for p in self.get_params(ctx) if getattr(p, "param_type_name", "") == "option"]
        takes_value = {o for p in options if not p.is_flag and not p.count for o in (*p.opts, *p.secondary_opts)}
        flags = {o for p in options if p.is_flag or p.count for o in (*p.opts, *p.secondary_opts)}
        return super().parse_args(ctx, move_numbers_behind_dashes(list(args), takes_value, flags))


class LogitcliGroup(typer.core.TyperGroup):
    """The one error boundary: every failure becomes one line on stderr and an exit code.

    2 for usage and input, 1 for a failure while running (ours, the OS's, memory, a full disk),
    130 for Ctrl-C, 1 and nothing said when the reader of a pipe went away. Library warnings become `note:` lines.
    `--debug` anywhere before `--` (or LOGITCLI_DEBUG=1) keeps the traceback instead.
    """

    def main(
        self,
        args: Any = None,
        prog_name: Any = None,
        complete_var: Any = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv, debug = take_debug_flag(list(sys.argv[1:] if args is None else args))
        debug = debug or os.environ.get("LOGITCLI_DEBUG") == "1"
        notes: list[str] = []
        message: str | None = None
        with warnings_as_notes(notes):
            try:
                prepare_streams()
                code = super().main(
                    args=argv, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra
                )
                sys.stdout.flush()  # a full disk fails here, not at exit where it could only print a traceback
            except SystemExit:
                _say_all(notes)
                raise
            except ClickException as error:
                code = error.exit_code
                if error.format_message().strip():  # empty for `logitcli` alone: the help is already printed
                    hint = f" (see `{error.ctx.command_path} --help`)" if getattr(error, "ctx", None) else ""
                    message = f"{error.format_message()}{hint}"
            except BaseException as error:
                if debug and not isinstance(error, KeyboardInterrupt):
                    _say_all(notes)
                    raise
                message, code = describe_failure(error)
                if code not in (0, 130):
                    silence_stdout_if_broken(error)
        if code != 2:  # a refused input is one line: what was noticed on the way no longer matters
            _say_all(notes)
        if message is not None:
            _fail(message, code, argv)
        if not standalone_mode and code in (None, 0):
            return code
        _flush_quietly()
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        """An EOFError below (a file cut short) is a failure like any other, not click's "Aborted"."""
        try:
            return super().invoke(ctx)
        except EOFError as error:
            raise RunError(f"unexpected end of data{f' ({error})' if str(error) else ''}") from error


def take_debug_flag(argv: list[str]) -> tuple[list[str], bool]:
    """`--debug` may stand anywhere before `--`: take it out and remember it."""
    end = argv.index("--") if "--" in argv else len(argv)
    kept = [token for token in argv[:end] if token != "--debug"]
    return kept + argv[end:], len(kept) < end


def describe_failure(error: BaseException) -> tuple[str | None, int]:
    """The line to show (None: nothing to say) and the exit code for any failure below the boundary."""
    if isinstance(error, LogitcliError):
        return str(error), error.exit_code
    if isinstance(error, KeyboardInterrupt) or (
        isinstance(error, Abort) and isinstance(error.__cause__ or error.__context__, KeyboardInterrupt)
    ):
        return None, 130
    if isinstance(error, Abort):
        return "aborted", 1
    if isinstance(error, BrokenPipeError):
        return None, 1  # the reader (head, jq -c | head) went away: stop quietly, as cat does
    if isinstance(error, MemoryError) or _is_torch_out_of_memory(error):
        return "out of memory: give fewer or smaller inputs (or a smaller --batch-size for images)", 1
    if isinstance(error, UnicodeEncodeError):
        return (
            f"this terminal's encoding ({error.encoding}) cannot show the output: set PYTHONIOENCODING=utf-8",
            1,
        )
    if isinstance(error, OSError):
        reason = error.strerror or str(error) or type(error).__name__
        if error.filename is not None:
            return f"{error.filename}: {reason}", 1
        return f"cannot write the output: {reason}", 1
    return (
        f"internal error ({type(error).__name__}: {error}): run again with --debug and report the traceback",
        1,
    )


def _is_torch_out_of_memory(error: BaseException) -> bool:
    text = str(error)
    return type(error).__name__ == "OutOfMemoryError" or (
        isinstance(error, RuntimeError) and ("can't allocate memory" in text or "out of memory" in text)
    )


def prepare_streams() -> None:
    """A closed stderr is ignored; a closed stdout is an error; any encoding prints plainly; any console size
    (COLUMNS=0, LINES=abc, a 1x1 terminal) becomes a usable one."""
    settle_screen_size()
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    if sys.stdout is None:
        raise RunError("stdout is closed, so there is nowhere to write the result: run without `>&-`")
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors=PLAIN_ERRORS)


# Characters logitcli prints that an ASCII (or Latin-1...) terminal cannot, in plain letters.
_PLAIN = {
    "Σ": "sum",
    "σ": "sigma",
    "·": "*",
    "×": "x",
    "…": "...",
    "−": "-",
    "–": "-",
    "—": "-",
    "→": "->",
    "←": "<-",
    "≤": "<=",
    "≥": ">=",
    "≈": "~",
    "±": "+/-",
    "∞": "inf",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "│": "|",
    "─": "-",
    "█": "#",
    "✓": "v",
    "●": "o",
    "◀": "<",
    "━": "-",
    "═": "=",
    "║": "|",
    "┤": "|",
    **dict.fromkeys("└╭╮╰╯╔╗╚╝", "+"),
    **dict.fromkeys("▏▎▍▌▋▊▉", "+"),
}
PLAIN_ERRORS = "logitcli-plain"


def _plain(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(_PLAIN.get(ch, "?") for ch in bad), error.end


codecs.register_error(PLAIN_ERRORS, _plain)


@contextlib.contextmanager
def warnings_as_notes(notes: list[str]) -> Iterator[None]:
    """Warnings (numpy's, Pillow's, torch's, and logitcli's own notes) become `note:` lines in `notes`.

    They are said at the end of the run, after the result, as failures are; never raw.
    """

    def show(message: Any, category: type[Warning], *_args: Any, **_kwargs: Any) -> None:
        name = "" if category is UserWarning else f"{category.__name__}: "
        notes.append(f"note: {one_line(f'{name}{message}')}")

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def _say_all(lines: list[str]) -> None:
    for line in lines:
        _say(line)


def _say(line: str) -> None:
    """One line on stderr; a stderr that is gone (`2>&- `, a closed pipe) cannot be told anything."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


def silence_stdout_if_broken(error: BaseException) -> None:
    """After stdout failed (full disk, closed pipe), send the rest to /dev/null so exit flushes quietly."""
    if not isinstance(error, OSError) or error.filename is not None:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests, closed stdout)
        pass


def _flush_quietly() -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()


def _fail(message: str, code: int, argv: list[str] | None = None) -> None:
    _flush_quietly()
    _say(_in_language(one_line(message), sys.argv[1:] if argv is None else argv))
    sys.exit(code)


def _in_language(line: str, argv: list[str]) -> str:
    """`Error: ...` in the language the command line asks for (`--lang`, else the locale), where it is known."""
    from logitcli.output.lang import lang_in, say_error, texts

    try:
        lang = lang_in(argv)
        if lang == "en":
            return f"Error: {line}"
        prefix = texts(lang).get("table", {}).get("error_prefix", "Error: ")
        said = f"{prefix}{say_error(line, lang)}"
        said.encode(getattr(sys.stderr, "encoding", None) or "utf-8")  # an ASCII terminal gets the English line
        return said
    except Exception:  # noqa: BLE001 - the error line itself must never fail: say it in English
        return f"Error: {line}"
