"""`python -m logitcli` runs the same app as the `logitcli` console script."""

from logitcli.cli.commands import main

main()
