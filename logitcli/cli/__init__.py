"""The command line: the Typer app, its options, click parts and help texts. Declarations only.

Each command in `commands.py` is a list of options and one call into `logitcli.pipeline`; no arithmetic lives here.
"""
