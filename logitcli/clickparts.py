"""Two small Typer subclasses: negative numbers as arguments, and one-line errors.

Click reads `-0.5` as an option. `NumberCommand` moves number-looking tokens (`-0.5`, `-1e-3`,
`-inf`, `-0.2,1.3`) behind `--` before parsing, keeping real options and their values in front
(argparse's rule); an option whose value is negative (`--temperature -0.5`) keeps it.
`LogitcliGroup` turns usage errors and `LogitcliError`s into one line on stderr and an exit code
(2 for usage and input, 1 for failures while running); `--debug` keeps the traceback.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer.core
from typer import Abort
from typer._click.exceptions import ClickException

from logitcli.errors import InputError, LogitcliError
from logitcli.inputs import looks_like_numbers


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
    """Runs the app and turns every user mistake into `Error: ...` on one line of stderr."""

    def main(
        self,
        args: Any = None,
        prog_name: Any = None,
        complete_var: Any = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(
                args=argv, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra
            )
        except ClickException as error:
            if not error.format_message().strip():  # `logitcli` alone: the help is already printed
                sys.exit(error.exit_code)
            hint = f" (see `{error.ctx.command_path} --help`)" if getattr(error, "ctx", None) else ""
            _fail(f"{error.format_message()}{hint}", error.exit_code)
        except LogitcliError as error:
            if "--debug" in argv[:1] or os.environ.get("LOGITCLI_DEBUG") == "1":
                raise
            _fail(str(error), error.exit_code)
        except Abort:
            _fail("aborted", 1)
        except BrokenPipeError:
            # The reader (head, jq -c | head) went away: stop quietly, as cat does.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    sys.stdout.flush()
    print(f"Error: {message}", file=sys.stderr)
    sys.exit(code)
