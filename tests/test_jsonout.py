"""nan and infinities as JSON strings, in any shape, and the same document as one written a value at a time."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from logitcli.output.jsonout import dumps


def one_at_a_time(value: float | list) -> object:
    """The reference: each float on its own, nan and ±inf as strings."""
    if isinstance(value, list):
        return [one_at_a_time(v) for v in value]
    if value != value:
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    return value


@settings(max_examples=100, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=4, max_side=4),
        elements=st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([np.nan, np.inf, -np.inf]),
    )
)
def test_any_array_with_nan_and_inf_is_written_as_one_value_at_a_time(array: np.ndarray) -> None:
    assert json.loads(dumps(array)) == one_at_a_time(array.tolist())


def test_finite_rows_stay_fast_and_exact_beside_broken_ones() -> None:
    array = np.array([[[1.5, 2.0]], [[np.nan, -np.inf]], [[3.0, np.inf]]])
    assert json.loads(dumps({"result": array})) == {"result": [[[1.5, 2.0]], [["nan", "-inf"]], [[3.0, "inf"]]]}
