"""Sums added in PyTorch's order, where the order decides the answer.

Near float64's maximum the order of addition decides whether a sum of finite numbers is finite:
`(1e308 + 1e308) - 1e308` is inf, `(1e308 - 1e308) + 1e308` is 1e308. numpy adds pairwise; PyTorch's
`nll_loss` (and so `cross_entropy` with class indices, whose reduction it is) adds with the cascade of
ATen's CPU kernel (aten/src/ATen/native/LossNLL.cpp, `nll_loss_out_frame`; LossNLL2d.cpp for K-dim input,
over the flattened positions): each kept term goes into partial sum 0; after term b, while b's next
`level_power` bits are all zero, partial j moves into partial j + 1; at the end the 8 partials are added in
order, starting from 0. An ignored term is skipped before the move, so it moves nothing.

`torch.sum` (bce's reduction, soft targets, label smoothing's uniform part) uses another, vectorised
cascade that depends on the CPU's vector width; logitcli does not copy it (numpy's pairwise sum instead),
and says so in the README and in the note on a sum that overflowed.
"""

from __future__ import annotations

import math

import numpy as np

CASCADE_LEVELS = 8
#: Below this a sum cannot overflow in any order, so numpy's sum (equal to the last bits) is used.
_SAFE_TOTAL = 1e300


def nll_cascade_sum(terms: np.ndarray, kept: np.ndarray | None = None) -> float:
    """Σ terms[kept] in the order of ATen's nll_loss cascade: exactly PyTorch's float64 result.

    Where no partial sum can overflow (every term finite, Σ|terms| well below float64's max) the order only
    moves the last bits, and numpy's sum is used for speed.
    """
    values = np.asarray(terms, dtype=np.float64).reshape(-1)
    mask = np.ones(values.shape, dtype=bool) if kept is None else np.asarray(kept, dtype=bool).reshape(-1)
    chosen = values[mask]
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(chosen).all() and float(np.abs(chosen).sum()) < _SAFE_TOTAL:
            return float(chosen.sum())
    return _cascade(values.tolist(), mask.tolist())


def _cascade(values: list[float], kept: list[bool]) -> float:
    n = len(values)
    level_power = max(4, _ceil_log2(n) // CASCADE_LEVELS)
    level_mask = (1 << level_power) - 1
    partial = [0.0] * CASCADE_LEVELS
    for b, (value, keep) in enumerate(zip(values, kept, strict=True)):
        if not keep:
            continue
        partial[0] = partial[0] + value
        for j in range(CASCADE_LEVELS - 1):
            if b & (level_mask << (j * level_power)):
                break
            partial[j + 1] = partial[j + 1] + partial[j]
            partial[j] = 0.0
    total = 0.0
    for value in partial:
        total = total + value
    return total


def _ceil_log2(n: int) -> int:
    """c10::utils::CeilLog2: 0 for n <= 1, else the bits needed for n - 1."""
    return 0 if n <= 1 else math.ceil(math.log2(n)) if n & (n - 1) else n.bit_length() - 1
