"""Properties of `logitcli.steps` on random inputs, and agreement with PyTorch float64 on them.

Logits are finite floats, most batches within +-50 and some within +-1e3 (where the naive exp overflows),
in shapes 1..8 x 1..12. Comparisons use rtol = atol = 1e-12 unless a comment says why not.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from logitcli import steps as S

RTOL = ATOL = 1e-12
SETTINGS = settings(max_examples=100, deadline=None)
REDUCTIONS = ("none", "mean", "sum")


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def close(ours, theirs, rtol=RTOL, atol=ATOL):
    """Same shape as PyTorch's return value, same numbers (nan where PyTorch has nan)."""
    theirs = theirs.numpy()
    assert np.shape(ours) == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True)


def f64(torch, values):
    return torch.tensor(np.asarray(values, dtype=np.float64))


@st.composite
def logits(draw, max_rows=8, max_cols=12, min_cols=1):
    n = draw(st.integers(1, max_rows))
    c = draw(st.integers(min_cols, max_cols))
    bound = draw(st.sampled_from([50.0, 50.0, 50.0, 1e3]))
    elements = st.floats(-bound, bound, allow_nan=False, allow_infinity=False)
    return draw(hnp.arrays(np.float64, (n, c), elements=elements))


def weights(c):
    return st.none() | hnp.arrays(np.float64, (c,), elements=st.floats(0.1, 5.0))


@st.composite
def class_targets(draw, n, c, ignore_index=-100):
    """Class indices, each one ignored now and then."""
    return draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1) | st.just(ignore_index)))


probabilities = st.floats(0.0, 1.0)
smoothing = st.sampled_from([0.0, 0.0, 1.0]) | st.floats(0.0, 1.0)


# ----------------------------------------------------------------------------------------------- pure properties


@SETTINGS
@given(x=logits(), shift=st.floats(-1e3, 1e3))
def test_softmax_is_shift_invariant(x, shift):
    # Rounding x + shift moves each x_i - max by at most ~2 ulp(2e3) = 5e-13, well inside rtol = 1e-12.
    np.testing.assert_allclose(S.softmax(x + shift).result, S.softmax(x).result, rtol=RTOL, atol=ATOL)


@SETTINGS
@given(x=logits(), temperature=st.floats(0.05, 20.0))
def test_softmax_rows_are_probabilities(x, temperature):
    calc = S.softmax(x, temperature=temperature)
    p = calc.result
    assert np.isfinite(p).all()
    assert ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(p, S.softmax_rows(x / temperature))
    # The stable steps never overflow, and the note appears exactly when the naive exp did.
    assert np.isfinite(calc.step("exp_shifted").values).all()
    assert (calc.step("exp_shifted").values.max(axis=1) == 1.0).all()
    assert bool(calc.notes) == bool(np.isinf(calc.step("exp").values).any())


@SETTINGS
@given(x=logits())
def test_log_softmax_is_at_most_zero_and_log_of_softmax(x):
    log_p = S.log_softmax_rows(x)
    p = S.softmax_rows(x)
    assert (log_p <= 0).all()
    assert np.isfinite(log_p).all()
    # log(softmax) loses everything once softmax underflows; compare where it is not tiny.
    ok = p > 1e-200
    np.testing.assert_allclose(log_p[ok], np.log(p[ok]), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(np.exp(log_p), p, rtol=RTOL, atol=1e-300)
    assert ok.any(axis=1).all()  # every row keeps its max


@SETTINGS
@given(x=logits())
def test_sigmoid_is_in_unit_interval_and_symmetric(x):
    s = S.sigmoid(x).result
    assert ((s >= 0) & (s <= 1)).all()
    np.testing.assert_allclose(s + S.stable_sigmoid(-x), 1.0, rtol=0, atol=1e-15)
    log_s = S.log_sigmoid(x)
    assert (log_s <= 0).all() and np.isfinite(log_s).all()
    ok = s > 1e-200
    np.testing.assert_allclose(log_s[ok], np.log(s[ok]), rtol=RTOL, atol=ATOL)


@SETTINGS
@given(x=logits(min_cols=2), data=st.data())
def test_one_hot_soft_targets_equal_class_targets(x, data):
    n, c = x.shape
    target = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    weight = data.draw(weights(c))
    ls = data.draw(smoothing)
    hard = S.cross_entropy(x, target, weight=weight, label_smoothing=ls, reduction="none").result
    soft = S.cross_entropy(x, np.eye(c)[target], weight=weight, label_smoothing=ls, reduction="none").result
    np.testing.assert_allclose(soft, hard, rtol=RTOL, atol=ATOL)


# ----------------------------------------------------------------------------------------------- against PyTorch


@SETTINGS
@given(x=logits(), temperature=st.sampled_from([1.0, 0.5, 3.0]))
def test_softmax_and_log_softmax_match_torch(torch, x, temperature):
    xt = f64(torch, x)
    close(S.softmax(x, temperature=temperature).result, torch.softmax(xt / temperature, dim=1))
    close(S.softmax_rows(x), torch.softmax(xt, dim=1))
    close(S.log_softmax_rows(x), torch.log_softmax(xt, dim=1))


@SETTINGS
@given(x=logits())
def test_sigmoid_matches_torch(torch, x):
    xt = f64(torch, x)
    close(S.sigmoid(x).result, torch.sigmoid(xt))
    close(S.log_sigmoid(x), torch.nn.functional.logsigmoid(xt))


@SETTINGS
@given(x=logits(), data=st.data())
def test_cross_entropy_matches_torch(torch, x, data):
    n, c = x.shape
    target = data.draw(class_targets(n, c))
    weight = data.draw(weights(c))
    ls = data.draw(smoothing)
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    calc = S.cross_entropy(x, target, weight=weight, label_smoothing=ls, reduction=reduction)
    expected = torch.nn.functional.cross_entropy(
        f64(torch, x),
        torch.tensor(target),
        weight=None if weight is None else f64(torch, weight),
        label_smoothing=ls,
        reduction=reduction,
    )
    close(calc.result, expected)
    kept = target != -100
    w = np.ones(c) if weight is None else weight
    assert calc.details["denominator"] == pytest.approx(w[target[kept]].sum(), rel=1e-15)


@SETTINGS
@given(x=logits(), data=st.data())
def test_soft_cross_entropy_matches_torch(torch, x, data):
    n, c = x.shape
    q = data.draw(hnp.arrays(np.float64, (n, c), elements=probabilities))
    if data.draw(st.booleans()):
        q = q / np.maximum(q.sum(axis=1, keepdims=True), 1.0)  # sometimes rows that sum to at most 1
    weight = data.draw(weights(c))
    ls = data.draw(smoothing)
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    calc = S.cross_entropy(x, q, weight=weight, label_smoothing=ls, reduction=reduction)
    expected = torch.nn.functional.cross_entropy(
        f64(torch, x),
        f64(torch, q),
        weight=None if weight is None else f64(torch, weight),
        label_smoothing=ls,
        reduction=reduction,
    )
    close(calc.result, expected)
    assert calc.details["denominator"] == float(n)


@SETTINGS
@given(x=logits(), data=st.data())
def test_nll_matches_torch(torch, x, data):
    n, c = x.shape
    target = data.draw(class_targets(n, c))
    weight = data.draw(weights(c))
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    log_p = S.log_softmax_rows(x) if data.draw(st.booleans()) else x  # nll_loss takes any numbers
    calc = S.nll(log_p, target, weight=weight, reduction=reduction)
    expected = torch.nn.functional.nll_loss(
        f64(torch, log_p),
        torch.tensor(target),
        weight=None if weight is None else f64(torch, weight),
        reduction=reduction,
    )
    close(calc.result, expected)


@SETTINGS
@given(x=logits(), data=st.data())
def test_bce_matches_torch(torch, x, data):
    n, c = x.shape
    if data.draw(st.booleans()):
        y = data.draw(hnp.arrays(np.float64, (n, c), elements=st.sampled_from([0.0, 1.0])))
    else:
        y = data.draw(hnp.arrays(np.float64, (n, c), elements=probabilities))
    weight = data.draw(
        st.none()
        | hnp.arrays(np.float64, (c,), elements=st.floats(0.1, 5.0))
        | hnp.arrays(np.float64, (n, c), elements=st.floats(0.1, 5.0))
    )
    pos_weight = data.draw(st.none() | hnp.arrays(np.float64, (c,), elements=st.floats(0.1, 5.0)))
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    calc = S.binary_cross_entropy(x, y, weight=weight, pos_weight=pos_weight, reduction=reduction)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        f64(torch, x),
        f64(torch, y),
        weight=None if weight is None else f64(torch, weight),
        pos_weight=None if pos_weight is None else f64(torch, pos_weight),
        reduction=reduction,
    )
    # Looser atol, and why: PyTorch computes (1 - y)·x + (1 + (pw - 1)·y)·softplus(-x), which cancels for a
    # soft y at large |x| (x = -1000, y = 1e-15: -1000 + 1000), losing a few ulps of |x|·w·pw in absolute
    # terms; ours adds nonnegative terms and keeps them. Bound PyTorch's error, summed over entries for "sum".
    w_max = 1.0 if weight is None else weight.max()
    pw_max = 1.0 if pos_weight is None else max(1.0, pos_weight.max())
    scale = np.abs(x).max() * w_max * pw_max
    atol = ATOL + 4 * np.finfo(np.float64).eps * scale * (x.size if reduction == "sum" else 1)
    close(calc.result, expected, atol=atol)
    assert calc.details["denominator"] == float(n * c)
