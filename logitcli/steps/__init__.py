"""The numbers, step by step: pure numpy, float64, no CLI and no torch.

Each public function takes a 2-D array (one row per example) and returns a `Calculation`: every
intermediate value the article shows, in the article's order, plus the result shaped as
`torch.nn.functional` returns it for a 2-D input. The stable forms real libraries use (the
max-shift, log-sum-exp, softplus) are what the results are computed with; the naive forms are
shown beside them where the article uses them, so a reader can see both and see where they part.

A step's `values` tell their own granularity by shape: (N, C) is one value per class,
(N,) one per example, () one for the whole batch.

One module per function (`sigmoid`, `softmax`, `nll`, `xent`, `bce`), with what they share in
`calculation`; everything public is importable from `logitcli.steps`. Each loss module ends with its
gradient function (`*_grad`), returning a `Gradient` (see `gradient`) that `with_gradient` adds to
the loss's Calculation.
"""

from logitcli.steps.bce import binary_cross_entropy, binary_cross_entropy_grad
from logitcli.steps.bce_probs import binary_cross_entropy_probs, binary_cross_entropy_probs_grad
from logitcli.steps.calculation import (
    DEFAULT_IGNORE_INDEX,
    REDUCTIONS,
    Calculation,
    Note,
    Reduction,
    Step,
    broadcast_like,
    check_reduction,
)
from logitcli.steps.gradient import Descent, Gradient, descend, descent_calculation, with_gradient
from logitcli.steps.nll import looks_like_probabilities, nll, nll_grad
from logitcli.steps.sigmoid import log_sigmoid, sigmoid, sigmoid_grad, stable_sigmoid
from logitcli.steps.softmax import log_softmax_rows, softmax, softmax_rows
from logitcli.steps.xent import cross_entropy, cross_entropy_grad

__all__ = [
    "DEFAULT_IGNORE_INDEX",
    "REDUCTIONS",
    "Calculation",
    "Descent",
    "Gradient",
    "Note",
    "Reduction",
    "Step",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_probs",
    "binary_cross_entropy_probs_grad",
    "broadcast_like",
    "check_reduction",
    "cross_entropy",
    "cross_entropy_grad",
    "descend",
    "descent_calculation",
    "log_sigmoid",
    "log_softmax_rows",
    "looks_like_probabilities",
    "nll",
    "nll_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softmax_rows",
    "stable_sigmoid",
    "with_gradient",
]
