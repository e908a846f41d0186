"""What leaves logitcli: tables fitted to the terminal, JSON and JSON lines, `--save` files and the pager."""
