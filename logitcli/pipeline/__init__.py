"""One flow that every command runs: read -> calculate -> gradient -> descent -> diagnose -> --check -> output.

`read` turns what the user gave into a `Batch`, `calculate` wraps a step function with what every
calculation gets (the gradient, one descent step, the NaN diagnosis, the comparison with PyTorch), and
`flows` holds one entry point per command that the CLI calls with its options. The tour and `explore` use
the same pieces, so a number is computed one way wherever it is shown.
"""
