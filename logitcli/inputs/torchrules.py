"""What PyTorch refuses about an input's type and shape, refused here with the same reason.

logitcli reads every input as float64, so a bool `.npy` or a 0-d one would otherwise simply work; PyTorch
does not take them everywhere, and the promise is PyTorch's answer for the same call. Integer arrays are
numbers (JSON's `[1, 2, 3]` is integers too) and stay accepted, as `torch.tensor(x, dtype=torch.float64)`.
"""

from __future__ import annotations

from logitcli.errors import InputError
from logitcli.inputs.batch import Batch

#: The torch function each command calls, and PyTorch's words when it refuses bool input.
_BOOL_REFUSALS = {
    "softmax": "\"softmax_lastdim_kernel_impl\" not implemented for 'Bool'",
    "xent": "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Bool'",
    "nll": "\"nll_loss_out_frame\" not implemented for 'Bool'",
    "bce": "\"log_sigmoid_cpu\" not implemented for 'Bool'",
}
#: Commands whose torch function needs a class dimension: a 0-d input has none.
_NEEDS_AN_AXIS = {"xent": "cross_entropy", "nll": "nll_loss"}


def refuse_what_pytorch_refuses(batch: Batch, command: str) -> None:
    """Bool logits (all but sigmoid, which PyTorch promotes to float) and 0-d input to the class losses."""
    if batch.dtype == "bool" and command in _BOOL_REFUSALS:
        raise InputError(
            f"the logits are bool (True/False), which PyTorch refuses here ({_BOOL_REFUSALS[command]}): "
            "save them as floats, e.g. np.save(path, x.astype(np.float64))"
        )
    if batch.layout.ndim == 0 and command in _NEEDS_AN_AXIS:
        raise InputError(
            f"a 0-d input has no class dimension, which {_NEEDS_AN_AXIS[command]} needs (PyTorch: Expected 1 or more "
            "dimensions (got 0)): give at least one value per class, e.g. shape (C,) or (N, C)"
        )


def refuse_bool_targets(dtype: str, where: str) -> None:
    """PyTorch: "expected target dtype to be Long or Byte, but got Bool" (and bce cannot subtract bools)."""
    if dtype == "bool":
        raise InputError(
            f"{where} holds bool targets, which PyTorch refuses (class losses: expected target dtype to be Long or "
            "Byte, but got Bool; bce: bool tensors cannot be subtracted): save class indices as integers, or 0/1 "
            "targets as floats"
        )
