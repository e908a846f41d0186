"""The errors a user can cause, each with the exit code it should end with.

The CLI catches these at one place and prints one line on stderr; everything else is a bug and
keeps its traceback (with `--debug`, user errors keep theirs too).
"""


class LogitcliError(Exception):
    """A problem the user can fix; `str(error)` is the one line shown to them."""

    exit_code = 1


class InputError(LogitcliError):
    """Bad usage or bad input (a word where a number belongs, a target out of range): exit 2."""

    exit_code = 2


class RunError(LogitcliError):
    """Something failed while running (an image that cannot be decoded, a missing package): exit 1."""

    exit_code = 1
