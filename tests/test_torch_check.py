"""--check that cannot cry wolf: relative and absolute tolerance, NaN = NaN, infinities by sign, PyTorch's shape."""

from __future__ import annotations

import numpy as np
import pytest

from logitcli import steps
from logitcli.model.check import ATOL_PER_UNIT, RTOL, absolute_tolerance, compare


def test_a_large_sum_equal_to_the_last_bits_matches() -> None:
    """The issue's case: 4657.3 against 4657.3 + 2e-12 agrees to 4e-16 relative; an absolute 1e-12 alone failed."""
    found = compare("f", np.float64(4657.3), np.float64(4657.3) + 2e-12)
    assert found.matches
    assert found.max_abs_diff == pytest.approx(1.8e-12, rel=0.1)
    assert found.max_rel_diff < 1e-15


def test_a_real_difference_does_not_match() -> None:
    found = compare("f", np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-6]))
    assert not found.matches
    assert found.max_rel_diff == pytest.approx(5e-7, rel=1e-3)


def test_nan_matches_nan_and_infinities_match_by_sign() -> None:
    assert compare("f", np.array([np.nan, np.inf, -np.inf]), np.array([np.nan, np.inf, -np.inf])).matches
    assert not compare("f", np.array([np.inf]), np.array([-np.inf])).matches
    assert not compare("f", np.array([np.nan]), np.array([0.0])).matches
    assert not compare("f", np.array([1.0]), np.array([np.inf])).matches


def test_the_shape_must_be_pytorchs() -> None:
    found = compare("f", np.array([[1.0, 2.0]]), np.array([1.0, 2.0]))
    assert not found.matches and found.shape == (1, 2) and found.torch_shape == (2,)
    assert compare("f", np.float64(1.0), np.array(1.0)).matches  # a scalar is PyTorch's 0-D tensor


def test_zero_against_nonzero_is_an_infinite_relative_difference() -> None:
    found = compare("f", np.array([1e-300]), np.array([0.0]))
    assert found.matches  # within the absolute tolerance
    assert found.max_rel_diff == np.inf


def test_the_absolute_tolerance_scales_with_the_numbers_the_result_comes_from() -> None:
    calc = steps.cross_entropy(np.array([[1e6, 0.0, -5.0]]), np.array([1]))
    assert absolute_tolerance(calc) == pytest.approx(ATOL_PER_UNIT * (1e6 + 5))  # log p of -1e6 - 5
    naive = steps.softmax(np.array([[700.0, 0.0]]))  # exp(700) = 1e304 is shown, not used
    assert absolute_tolerance(naive) == pytest.approx(ATOL_PER_UNIT * 700)


def test_the_cli_states_both_tolerances(run) -> None:
    pytest.importorskip("torch")
    doc = run("xent", "1", "2", "3", "--targets", "0", "--check", "--json").json()
    check = doc["torch_check"]
    assert check["matches"] and check["rtol"] == RTOL and check["atol"] == pytest.approx(3 * ATOL_PER_UNIT)
    assert {"max_abs_diff", "max_rel_diff", "shape", "torch_shape", "same_non_finite"} <= set(check)
    table = run("softmax", "inf", "1", "--check", "--table").stdout
    assert "matches torch.softmax (rtol 1e-09, atol" in " ".join(table.split())
