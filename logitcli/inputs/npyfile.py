"""A .npy file's header, checked against the file before numpy allocates what the header declares.

A 128-byte file may declare shape (1, 10**12): `np.load` would ask for 8 TB and fail with "out of memory"
(exit 1), or worse, succeed in reserving it. The data a header declares must be in the file; a file that
declares more is a bad file (exit 2), found from its header and size alone.
"""

from __future__ import annotations

import math
import os

import numpy as np

from logitcli.errors import InputError


def check_npy_size(path: str | os.PathLike, what: str) -> None:
    """Refuse a .npy whose header declares more bytes of data than the file holds (or cannot be read)."""
    from numpy.lib import format as npy

    try:
        with open(path, "rb") as handle:
            version = npy.read_magic(handle)
            if version == (1, 0):
                shape, _, dtype = npy.read_array_header_1_0(handle, max_header_size=10_000)
            elif version in ((2, 0), (3, 0)):
                shape, _, dtype = npy.read_array_header_2_0(handle, max_header_size=10_000)
            else:
                return  # a version numpy itself does not read: np.load says so
            data_start = handle.tell()
            size = os.fstat(handle.fileno()).st_size
    except (ValueError, OSError, EOFError, SyntaxError, TypeError):
        return  # not a header numpy reads: np.load gives its own reason
    if dtype.hasobject:
        return  # refused by np.load (allow_pickle=False) with its reason
    declared = math.prod(shape) * np.dtype(dtype).itemsize
    available = size - data_start
    if declared > available:
        raise InputError(
            f"{what} is not a whole .npy array: its header declares shape {tuple(shape)} of {dtype} "
            f"({declared:,} bytes) but the file holds {max(available, 0):,} bytes of data"
        )
