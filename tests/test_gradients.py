"""The gradient functions against torch.autograd in float64, on random inputs, for every option of each loss.

torch's reference is `loss.backward(torch.ones_like(loss))` on a float64 leaf: for reduction "none" that is the
gradient of the summed losses. nan and infinities must land where autograd puts them (checked exactly), the
finite values agree to rtol = atol = 1e-12. Inputs are mostly finite (±50, sometimes ±1e3), and now and then
an entry is nan, inf or -inf; weights include zeros, targets include ignored examples (all of them, at times).

HYPOTHESIS_PROFILE=heavy runs 20 times as many examples.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from logitcli import steps as S
from logitcli.steps import Calculation

EXAMPLES = 2000 if os.environ.get("HYPOTHESIS_PROFILE") == "heavy" else 100
SETTINGS = settings(max_examples=EXAMPLES, deadline=None)
RTOL = ATOL = 1e-12
IGNORE = -100
REDUCTIONS = ("none", "mean", "sum")


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def autograd(torch, function, x: np.ndarray, *args, **kwargs) -> np.ndarray:
    """∂/∂x of function(x, ...) as torch.autograd gives it, backward from ones (sum for reduction none)."""
    leaf = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = function(leaf, *args, **kwargs)
    out.backward(torch.ones_like(out))
    return leaf.grad.numpy()


def tensor(torch, values):
    return None if values is None else torch.tensor(np.asarray(values, dtype=np.float64))


def same(ours: np.ndarray, theirs: np.ndarray) -> None:
    """Same shape, nan and ±inf in the same places, finite values within rtol = atol = 1e-12."""
    assert ours.shape == theirs.shape
    for where in (np.isnan, np.isposinf, np.isneginf):
        np.testing.assert_array_equal(where(ours), where(theirs), err_msg=where.__name__)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, equal_nan=True)


# ----------------------------------------------------------------------------------------------- strategies


@st.composite
def inputs(draw, max_rows=6, max_cols=6, specials=True):
    """A batch of finite values, with a nan, inf or -inf dropped in now and then."""
    n = draw(st.integers(1, max_rows))
    c = draw(st.integers(1, max_cols))
    bound = draw(st.sampled_from([50.0, 50.0, 50.0, 1e3]))
    x = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-bound, bound)))
    if specials and draw(st.integers(0, 4)) == 0:
        for _ in range(draw(st.integers(1, 2))):
            x[draw(st.integers(0, n - 1)), draw(st.integers(0, c - 1))] = draw(
                st.sampled_from([np.nan, np.inf, -np.inf])
            )
    return x


def class_weights(c: int):
    """None, or one weight per class; zeros are common (they make means of 0 / 0)."""
    element = st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0]) | st.floats(0.0, 5.0)
    return st.none() | hnp.arrays(np.float64, (c,), elements=element)


@st.composite
def class_targets(draw, n: int, c: int):
    """Class indices; some ignored, and at times every one of them."""
    if draw(st.integers(0, 5)) == 0:
        return np.full(n, IGNORE)
    return draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1) | st.just(IGNORE)))


smoothing = st.sampled_from([0.0, 0.0, 0.1, 1.0]) | st.floats(0.0, 1.0)
reductions = st.sampled_from(REDUCTIONS)


# ----------------------------------------------------------------------------------------------- against autograd


@SETTINGS
@given(data=st.data(), x=inputs(), reduction=reductions, eps=smoothing)
def test_cross_entropy_grad_with_class_indices_is_autograds(torch, data, x, reduction, eps):
    n, c = x.shape
    t = data.draw(class_targets(n, c))
    w = data.draw(class_weights(c))
    ours = S.cross_entropy_grad(x, t, w, IGNORE, reduction, eps)
    theirs = autograd(
        torch,
        torch.nn.functional.cross_entropy,
        x,
        torch.tensor(t),
        weight=tensor(torch, w),
        ignore_index=IGNORE,
        reduction=reduction,
        label_smoothing=eps,
    )
    same(ours.values, theirs)


@SETTINGS
@given(data=st.data(), x=inputs(), reduction=reductions, eps=smoothing)
def test_cross_entropy_grad_with_soft_targets_is_autograds(torch, data, x, reduction, eps):
    n, c = x.shape
    q = data.draw(hnp.arrays(np.float64, (n, c), elements=st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)))
    if data.draw(st.booleans()):  # rows that sum to 1, as a real target distribution
        q = np.where(q.sum(axis=1, keepdims=True) > 0, q / np.maximum(q.sum(axis=1, keepdims=True), 1e-300), 1.0 / c)
    w = data.draw(class_weights(c))
    ours = S.cross_entropy_grad(x, q, w, reduction=reduction, label_smoothing=eps)
    theirs = autograd(
        torch,
        torch.nn.functional.cross_entropy,
        x,
        tensor(torch, q),
        weight=tensor(torch, w),
        reduction=reduction,
        label_smoothing=eps,
    )
    same(ours.values, theirs)


@SETTINGS
@given(data=st.data(), x=inputs(), reduction=reductions)
def test_nll_grad_is_autograds(torch, data, x, reduction):
    n, c = x.shape
    t = data.draw(class_targets(n, c))
    w = data.draw(class_weights(c))
    ours = S.nll_grad(x, t, w, IGNORE, reduction)
    theirs = autograd(
        torch,
        torch.nn.functional.nll_loss,
        x,
        torch.tensor(t),
        weight=tensor(torch, w),
        ignore_index=IGNORE,
        reduction=reduction,
    )
    same(ours.values, theirs)


@SETTINGS
@given(data=st.data(), x=inputs(), reduction=reductions)
def test_bce_grad_is_autograds(torch, data, x, reduction):
    n, c = x.shape
    y = data.draw(hnp.arrays(np.float64, (n, c), elements=st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)))
    per_entry = st.floats(0.0, 5.0) | st.just(0.0)
    per_class, per_logit = (
        hnp.arrays(np.float64, (c,), elements=per_entry),
        hnp.arrays(np.float64, (n, c), elements=per_entry),
    )
    w = data.draw(st.none() | per_class | per_logit)
    pw = data.draw(st.none() | hnp.arrays(np.float64, (c,), elements=st.sampled_from([0.0, 1.0, 3.0]) | per_entry))
    ours = S.binary_cross_entropy_grad(x, y, w, pw, reduction)
    theirs = autograd(
        torch,
        torch.nn.functional.binary_cross_entropy_with_logits,
        x,
        tensor(torch, y),
        weight=tensor(torch, w),
        pos_weight=tensor(torch, pw),
        reduction=reduction,
    )
    same(ours.values, theirs)


@SETTINGS
@given(x=inputs(max_cols=12))
def test_sigmoid_grad_is_autograds(torch, x):
    same(S.sigmoid_grad(x).values, autograd(torch, torch.sigmoid, x))


# ----------------------------------------------------------------------------------------------- edges, named


EDGES = [
    ("all ignored, mean", dict(t=[IGNORE, IGNORE]), "grad_all_ignored"),
    ("all ignored, smoothed", dict(t=[IGNORE, IGNORE], eps=0.3), "grad_all_ignored"),
    ("zero weights", dict(t=[0, 0], w=[0.0, 1.0, 1.0]), "grad_zero_denominator"),
    ("zero weights, smoothed", dict(t=[0, 0], w=[0.0, 1.0, 1.0], eps=0.3), "grad_zero_denominator"),
    ("zero weights, sum", dict(t=[0, 0], w=[0.0, 1.0, 1.0], reduction="sum"), None),
    ("one ignored, weighted, smoothed", dict(t=[IGNORE, 2], w=[1.0, 2.0, 3.0], eps=0.1), None),
]


@pytest.mark.parametrize(("case", "given_", "note"), EDGES, ids=[e[0] for e in EDGES])
def test_cross_entropy_grad_edges(torch, case, given_, note):
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]])
    t = np.array(given_["t"])
    w = None if "w" not in given_ else np.array(given_["w"])
    eps, reduction = given_.get("eps", 0.0), given_.get("reduction", "mean")
    ours = S.cross_entropy_grad(x, t, w, IGNORE, reduction, eps)
    theirs = autograd(
        torch,
        torch.nn.functional.cross_entropy,
        x,
        torch.tensor(t),
        weight=tensor(torch, w),
        reduction=reduction,
        label_smoothing=eps,
    )
    same(ours.values, theirs)
    assert [n.id for n in ours.notes] == ([note] if note else [])


def test_an_all_ignored_mean_has_a_nan_loss_and_a_zero_gradient():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    t = np.array([IGNORE, IGNORE])
    assert np.isnan(S.cross_entropy(x, t).result)
    np.testing.assert_array_equal(S.cross_entropy_grad(x, t).values, np.zeros((2, 2)))
    np.testing.assert_array_equal(S.nll_grad(x, t).values, np.zeros((2, 2)))


def test_an_ignored_row_with_nan_logits_still_gets_nan_as_in_autograd(torch):
    x = np.array([[np.nan, 2.0], [3.0, 4.0]])
    t = np.array([IGNORE, 1])
    grad = S.cross_entropy_grad(x, t).values
    assert np.isnan(grad[0]).all() and np.isfinite(grad[1]).all()
    same(grad, autograd(torch, torch.nn.functional.cross_entropy, x, torch.tensor(t)))


def test_nll_grad_does_not_look_at_the_input():
    t = np.array([1, 0])
    a = S.nll_grad(np.array([[np.nan, np.inf], [-1.0, -2.0]]), t).values
    np.testing.assert_array_equal(a, S.nll_grad(np.zeros((2, 2)), t).values)
    np.testing.assert_array_equal(a, [[0.0, -0.5], [-0.5, 0.0]])


# ----------------------------------------------------------------------------------------------- structure


@SETTINGS
@given(data=st.data(), x=inputs(specials=False), reduction=reductions, eps=smoothing)
def test_cross_entropy_rows_sum_to_zero_and_the_steps_lead_to_the_gradient(data, x, reduction, eps):
    """The readable steps (q, s·p - w·q, / D) give the exact gradient wherever the mean is defined."""
    n, c = x.shape
    t = data.draw(class_targets(n, c))
    w = data.draw(class_weights(c))
    gradient = S.cross_entropy_grad(x, t, w, IGNORE, reduction, eps)
    calc = S.with_gradient(S.cross_entropy(x, t, w, IGNORE, reduction, eps), gradient)
    grad = calc.grad
    assert grad is not None and grad is gradient.values
    denominator = calc.details["denominator"]
    if reduction == "mean" and denominator == 0:
        return
    with np.errstate(over="ignore"):
        scale = 1.0 / denominator if reduction == "mean" else 1.0
    if not np.isfinite(scale):  # a denormal weight sum (5e-324): 1 / D is inf, and so is every step after it
        return
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-12 * max(1.0, np.abs(grad).max()) * c)
    q = calc.step("grad_target").values
    np.testing.assert_allclose(q.sum(axis=1), np.where(t != IGNORE, 1.0, 0.0), atol=1e-12)
    difference = calc.step("grad_difference").values if reduction == "mean" else grad
    np.testing.assert_allclose(difference * scale, grad, rtol=1e-9, atol=1e-12)
    if w is None and eps == 0.0 and (t != IGNORE).all():
        p = calc.step("softmax").values
        np.testing.assert_allclose(difference, p - q, rtol=1e-12, atol=1e-15)


@SETTINGS
@given(data=st.data(), x=inputs(specials=False), reduction=reductions)
def test_a_small_step_against_the_gradient_never_raises_the_loss(data, x, reduction):
    """xent is convex in the logits: a small enough step down the gradient lowers (or keeps) the loss."""
    n, c = x.shape
    t = data.draw(class_targets(n, c))
    calc = S.with_gradient(S.cross_entropy(x, t, reduction=reduction), S.cross_entropy_grad(x, t, reduction=reduction))
    if reduction == "mean" and not (t != IGNORE).any():
        return
    lr = 1e-3 / max(1.0, float(np.abs(calc.grad).max()))
    descent = S.descend(calc, x, lr, lambda z: S.cross_entropy(z, t, reduction=reduction))
    np.testing.assert_array_equal(descent.after, x - lr * calc.grad)
    before, after = np.sum(descent.loss_before), np.sum(descent.loss_after)
    assert after <= before + 1e-12 * max(1.0, abs(before))


def test_bce_grad_is_sigmoid_minus_target_without_pos_weight():
    x = np.array([[-3.0, 0.0, 2.0]])
    y = np.array([[1.0, 0.0, 1.0]])
    gradient = S.binary_cross_entropy_grad(x, y, reduction="sum")
    np.testing.assert_array_equal(gradient.values, S.stable_sigmoid(x) - y)
    assert [s.name for s in gradient.steps] == ["grad"]
    weighted = S.binary_cross_entropy_grad(x, y, np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 1.0]))
    assert [s.name for s in weighted.steps] == ["grad_pos_factor", "grad_difference", "grad_weighted", "grad"]
    np.testing.assert_array_equal(weighted.steps[0].values, [[2.0, 1.0, 1.0]])


def test_sigmoid_grad_vanishes_for_large_logits_and_says_so():
    gradient = S.sigmoid_grad(np.array([[0.0, 5.0, -10.0, 40.0]]))
    values = gradient.values[0]
    assert values[0] == 0.25
    assert values[1] < 0.007 and values[2] < 5e-5 and values[3] < 1e-17
    assert [n.id for n in gradient.notes] == ["sigmoid_grad_vanishes"]
    assert S.sigmoid_grad(np.array([[0.0, 4.9, np.inf]])).notes == ()


def test_gradient_functions_reject_what_the_losses_reject():
    with pytest.raises(ValueError, match="out of range"):
        S.cross_entropy_grad(np.zeros((1, 2)), np.array([5]))
    with pytest.raises(ValueError, match="soft targets have shape"):
        S.cross_entropy_grad(np.zeros((1, 2)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="label smoothing"):
        S.cross_entropy_grad(np.zeros((1, 2)), np.array([0]), label_smoothing=2.0)
    with pytest.raises(ValueError, match="--weight"):
        S.nll_grad(np.zeros((1, 2)), np.array([0]), weight=np.ones(3))
    with pytest.raises(ValueError, match="does not broadcast"):
        S.binary_cross_entropy_grad(np.zeros((1, 2)), np.zeros((1, 2)), weight=np.ones(3))
    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        S.binary_cross_entropy_probs_grad(np.array([[0.5, 1.5]]), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="ignore-index"):
        S.cross_entropy_grad(np.zeros((1, 2)), np.array([[0.5, 0.5]]), ignore_index=0)
    with pytest.raises(ValueError, match="unknown reduction"):
        S.binary_cross_entropy_grad(np.zeros((1, 2)), np.zeros((1, 2)), reduction="avg")


def test_descent_needs_a_gradient():
    calc: Calculation = S.cross_entropy(np.zeros((1, 2)), np.array([0]))
    with pytest.raises(ValueError, match="gradient"):
        S.descend(calc, np.zeros((1, 2)), 0.1, lambda z: calc)


# ----------------------------------------------------------------------------------------------- torch_check


def test_check_gradient_covers_every_loss_and_option(torch):
    from logitcli.model.check import check_gradient

    x = np.array([[0.1752, 0.0539, -0.0581], [0.0544, 0.0642, 0.0782], [0.3230, np.inf, 0.1941]])
    t = np.array([1, IGNORE, 2])
    w = np.array([1.0, 0.0, 2.0])
    q = S.softmax_rows(np.nan_to_num(x, posinf=1.0)[:, ::-1])
    y = (x > 0.1).astype(float)
    log_p = S.log_softmax_rows(x)
    cases = [
        (S.sigmoid, S.sigmoid_grad, x, None, {}),
        (S.cross_entropy, S.cross_entropy_grad, x, t, {"weight": w, "label_smoothing": 0.1}),
        (S.cross_entropy, S.cross_entropy_grad, x, q, {"weight": w, "reduction": "sum"}),
        (S.nll, S.nll_grad, log_p, t, {"weight": w, "reduction": "none"}),
        (S.binary_cross_entropy, S.binary_cross_entropy_grad, x, y, {"weight": w, "pos_weight": w[::-1]}),
    ]
    for loss, gradient, values, targets, options in cases:
        args = (values,) if targets is None else (values, targets)
        calc = S.with_gradient(loss(*args, **options), gradient(*args, **options))
        found = check_gradient(calc, values, targets, **options)
        assert found is not None and found.matches, (calc.command, found)
        assert found.function.startswith("torch.autograd.grad(torch.")


def test_check_gradient_reports_a_difference(torch):
    from logitcli.model.check import check_gradient

    x, t = np.array([[2.0, 1.0, 0.1]]), np.array([0])
    calc = S.with_gradient(S.cross_entropy(x, t), S.cross_entropy_grad(x, t))
    found = check_gradient(calc, x, t, label_smoothing=0.5)  # not the call the gradient was made for
    assert found is not None and not found.matches and found.max_abs_diff > 0.1


def test_check_gradient_is_none_without_torch(monkeypatch):
    import sys

    from logitcli.model.check import check_gradient

    monkeypatch.setitem(sys.modules, "torch", None)
    x, t = np.array([[2.0, 1.0]]), np.array([0])
    calc = S.with_gradient(S.cross_entropy(x, t), S.cross_entropy_grad(x, t))
    assert check_gradient(calc, x, t) is None
    with pytest.raises(ValueError, match="without its gradient"):
        check_gradient(S.cross_entropy(x, t), x, t)


@SETTINGS
@given(data=st.data(), reduction=reductions)
def test_bce_on_probabilities_grad_is_autograds(torch, data, reduction):
    """The hook for `bce --probs`: F.binary_cross_entropy's gradient, p = 0 and 1 included (PyTorch's 1e-12 floor)."""
    n, c = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    unit = st.sampled_from([0.0, 1.0, 0.5]) | st.floats(0.0, 1.0)
    p = data.draw(hnp.arrays(np.float64, (n, c), elements=unit))
    y = data.draw(hnp.arrays(np.float64, (n, c), elements=unit))
    w = data.draw(st.none() | hnp.arrays(np.float64, (c,), elements=st.floats(0.0, 5.0)))
    ours = S.binary_cross_entropy_probs_grad(p, y, w, reduction)
    theirs = autograd(
        torch,
        torch.nn.functional.binary_cross_entropy,
        p,
        tensor(torch, y),
        weight=tensor(torch, w),
        reduction=reduction,
    )
    same(ours.values, theirs)


def test_bce_on_probabilities_times_the_sigmoid_slope_is_the_with_logits_gradient():
    x = np.array([[-3.0, 0.5, 2.0]])
    y = np.array([[1.0, 0.0, 0.3]])
    p = S.stable_sigmoid(x)
    chained = S.binary_cross_entropy_probs_grad(p, y).values * S.sigmoid_grad(x).values
    np.testing.assert_allclose(chained, S.binary_cross_entropy_grad(x, y).values, rtol=1e-12)


# ----------------------------------------------------------------------------------- what PyTorch accepts too


@SETTINGS
@given(data=st.data())
def test_gradients_where_targets_are_not_probabilities(torch, data) -> None:
    """Soft targets and bce targets outside [0, 1] and negative label smoothing: PyTorch runs them, so do we."""
    x = data.draw(inputs(specials=False))
    n, c = x.shape
    soft = data.draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-2.0, 3.0)))
    smoothing = data.draw(st.sampled_from([0.0, -0.5, 0.2]))
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    ours = S.cross_entropy_grad(x, soft, reduction=reduction, label_smoothing=smoothing).values
    theirs = autograd(
        torch,
        lambda v: torch.nn.functional.cross_entropy(
            v, tensor(torch, soft), reduction=reduction, label_smoothing=smoothing
        ),
        x,
    )
    same(ours, theirs)
    ours = S.binary_cross_entropy_grad(x, soft, reduction=reduction).values
    theirs = autograd(
        torch,
        lambda v: torch.nn.functional.binary_cross_entropy_with_logits(v, tensor(torch, soft), reduction=reduction),
        x,
    )
    same(ours, theirs)


@SETTINGS
@given(data=st.data(), reduction=reductions, eps=smoothing)
def test_k_dimensional_gradients_are_autograds(torch, data, reduction, eps) -> None:
    """(N, C, d1, ..., dk) as the CLI runs it: rows laid out by the Layout, the gradient shaped back.

    PyTorch's K-dim kernels sum in another order than its 2-D ones, so a small weight sum (0.01) can leave
    the two 1e-12 relative apart: compared within --check's tolerance (rtol 1e-9), not bit for bit.
    """
    from logitcli.inputs.batch import Layout

    shape = data.draw(st.lists(st.integers(1, 3), min_size=3, max_size=4).map(tuple))
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-50, 50)))
    layout = Layout(shape, 1)
    t = data.draw(hnp.arrays(np.int64, layout.positions, elements=st.integers(0, shape[1] - 1) | st.just(IGNORE)))
    # weights of ordinary size: the arithmetic extremes (1e-263 weights) are the 2-D tests' job, matched bit for bit
    weight = st.sampled_from([0.0, 0.5, 1.0, 2.0]) | st.floats(0.01, 5.0)
    w = data.draw(st.none() | hnp.arrays(np.float64, (shape[1],), elements=weight))
    ours = S.cross_entropy_grad(layout.rows(x), t.reshape(-1), w, IGNORE, reduction, eps).values
    theirs = autograd(
        torch,
        torch.nn.functional.cross_entropy,
        x,
        torch.tensor(t),
        weight=tensor(torch, w),
        ignore_index=IGNORE,
        reduction=reduction,
        label_smoothing=eps,
    )
    same_within_check(layout.per_class(ours), theirs)
    y = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(0.0, 1.0)))
    bce = Layout(shape, -1)  # bce's classes are the last axis, where pos_weight broadcasts
    pw = data.draw(st.none() | hnp.arrays(np.float64, (shape[-1],), elements=st.floats(0.0, 5.0)))
    pw_rows = None if pw is None else bce.rows(np.broadcast_to(pw, shape))
    ours = S.binary_cross_entropy_grad(bce.rows(x), bce.rows(y), pos_weight=pw_rows, reduction=reduction).values
    theirs = autograd(
        torch,
        torch.nn.functional.binary_cross_entropy_with_logits,
        x,
        tensor(torch, y),
        pos_weight=tensor(torch, pw),
        reduction=reduction,
    )
    same_within_check(bce.per_class(ours), theirs)


def same_within_check(ours: np.ndarray, theirs: np.ndarray) -> None:
    """As --check compares: shape, nan and ±inf exactly; finite values within rtol 1e-9 (atol 1e-12)."""
    from logitcli.model.check import compare

    found = compare("autograd", ours, theirs)
    assert found.matches, (ours, theirs, found)
