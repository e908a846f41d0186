"""Paging long output on a terminal, as `git log` does; printing it when the pager cannot run.

The pager is LOGITCLI_PAGER, else PAGER, else `less` (`more` where there is no less); an empty value or
`cat` means no pager. It is started without a shell where its command is plain words (so a missing program
is noticed here, and the text is printed instead with one `note:`, rather than a shell's complaint and
nothing shown); a command with shell syntax (pipes, variables) runs through `sh -c`, as git runs it.
`less` gets LESS=FRX when LESS is unset (quit when the text fits, pass colours, leave the text on the
screen), and -R added to a LESS without it when the text has colours.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable, Mapping

#: Characters that make a pager command shell syntax rather than a program and its arguments.
SHELL_SYNTAX = set("|&;<>()$`\\\"'*?[]#~=%{}\n")
DEFAULT_LESS = "FRX"


def pager_command(environ: Mapping[str, str] | None = None) -> str | None:
    """The pager to run, or None for none (`PAGER=` or `PAGER=cat`, or no less/more installed)."""
    environ = os.environ if environ is None else environ
    for name in ("LOGITCLI_PAGER", "PAGER"):
        if name in environ:
            command = environ[name].strip()
            return None if command in ("", "cat") else command
    for fallback in ("less", "more"):
        if shutil.which(fallback):
            return fallback
    return None


def pager_environment(colours: bool, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The pager's environment: LESS=FRX when unset, -R added when the text has colours and LESS lacks it."""
    env = dict(os.environ if environ is None else environ)
    before = env.get("LESS")
    if before is None:
        env["LESS"] = DEFAULT_LESS
    elif colours and not less_shows_colours(before):
        env["LESS"] = f"{before} -R" if before else "-R"
    return env


def less_shows_colours(options: str | None) -> bool:
    """Whether a LESS value already passes colour codes through (-R, -r or their long forms)."""
    if not options:
        return False
    for word in options.split():
        if word.lower() == "--raw-control-chars":
            return True
        if not word.startswith("--") and ("R" in word or "r" in word):
            return True
    return False


def pager_argv(command: str) -> tuple[list[str], bool]:
    """The argv to start (and whether it goes through a shell) for a pager command."""
    if SHELL_SYNTAX & set(command):
        return ["/bin/sh", "-c", command], True
    return shlex.split(command), False


def run_pager(command: str, text: str, colours: bool) -> str | None:
    """Show `text` through the pager; None when it ran, else why it could not (the caller prints instead).

    A pager the reader quits early (less's `q`) is a normal end; Ctrl-C belongs to the pager while it runs.
    """
    argv, shell = pager_argv(command)
    if not argv:
        return "it is empty"
    if not shell and shutil.which(argv[0]) is None:
        return "not found" if not os.path.exists(argv[0]) else "not a program this user can run"
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    errors = getattr(sys.stdout, "errors", None) or "replace"
    data = text.encode(encoding, errors)
    sys.stdout.flush()
    try:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, env=pager_environment(colours))
    except OSError as error:
        return error.strerror or str(error)
    assert process.stdin is not None
    try:
        process.stdin.write(data)
        process.stdin.close()
    except OSError:  # the pager quit before reading everything: the reader is done
        pass
    while True:
        try:
            code = process.wait()
            break
        except KeyboardInterrupt:  # less takes Ctrl-C itself; wait for it to end
            continue
    if shell and code in (126, 127):
        return f"the shell could not run it (exit {code})"
    return None


def page(text: str, colours: bool, write: Callable[[str], None]) -> None:
    """Page `text`, or `write` it to stdout with one note when no pager can run."""
    command = pager_command()
    if command is None:
        write(text)
        return
    problem = run_pager(command, text, colours)
    if problem is not None:
        warnings.warn(
            f"the pager {command!r} could not be run ({problem}): printed instead; "
            "set PAGER to a pager, or use --no-pager",
            stacklevel=2,
        )
        write(text)
