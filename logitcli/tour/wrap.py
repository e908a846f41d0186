"""The tour's line breaker is the output layer's (`logitcli.output.linebreak`): one rule for prose and headers."""

from logitcli.output.linebreak import wrap_cjk

__all__ = ["wrap_cjk"]
