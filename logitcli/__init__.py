"""logitcli: see the last layer of a classifier, one step at a time.

This module imports nothing heavy: `logitcli --version` and the number commands must start fast.
"""

__version__ = "0.1.0"
