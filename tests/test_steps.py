"""The numeric core (`logitcli.steps`) against PyTorch float64 and the article's true figures.

Every comparison with `torch.nn.functional` uses float64 and rtol = atol = 1e-12 unless a comment says
why not. Tests that need torch take the `F` fixture, which skips them when torch is not installed; the
article figures, notes and validation still run without it. Random inputs live in
`test_steps_properties.py`.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from logitcli import steps as S

RTOL = ATOL = 1e-12
# The article prints 4 decimals; a true value rounds to the printed one when it is within half a unit of
# the 4th decimal. The tiny extra covers binary representation of the decimal figures themselves.
DP4 = 5e-5 + 1e-12


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def F(torch):  # noqa: N802 - the name every PyTorch reader knows
    return torch.nn.functional


def t(torch, values, dtype=None):
    """A float64 (or given dtype) tensor from anything numpy can read."""
    if dtype is None:
        return torch.tensor(np.asarray(values, dtype=np.float64))
    return torch.tensor(np.asarray(values), dtype=dtype)


def assert_matches_torch(ours, theirs, rtol=RTOL, atol=ATOL):
    """Same shape as PyTorch's return value, same numbers (nan where PyTorch has nan)."""
    theirs = theirs.detach().numpy()
    assert np.shape(ours) == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True)


def names(calc: S.Calculation) -> list[str]:
    return [step.name for step in calc.steps]


# ----------------------------------------------------------------------------------------------- the article

ARTICLE_LOGITS = np.array([[-0.2135, -0.0248, 3.985, -4.235, -0.1831]])

BEAR_LOGITS = np.array(
    [
        [0.1752, 0.0539, -0.0581],
        [0.0544, 0.0642, 0.0782],
        [0.3230, 0.0958, 0.1941],
        [0.1143, -0.0508, 0.0701],
        [0.1249, 0.0510, 0.1147],
    ]
)
BEAR_TARGETS = np.array([1, 0, 2, 0, 2])
BEAR_SOFTMAX = np.array(
    [
        [0.3735, 0.3308, 0.2957],
        [0.3296, 0.3329, 0.3375],
        [0.3737, 0.2978, 0.3285],
        [0.3566, 0.3023, 0.3411],
        [0.3426, 0.3182, 0.3392],
    ]
)
BEAR_NLL_ON_SOFTMAX = np.array([-0.3308, -0.3296, -0.3285, -0.3566, -0.3392])
BEAR_XENT = np.array([1.1063, 1.1099, 1.1132, 1.0313, 1.0813])
BEAR_XENT_MEAN = 1.0884


def test_article_softmax_true_figures():
    calc = S.softmax(ARTICLE_LOGITS)
    np.testing.assert_allclose(calc.step("exp").values, [[0.8078, 0.9755, 53.7853, 0.0145, 0.8327]], rtol=0, atol=DP4)
    np.testing.assert_allclose(calc.step("sum_exp").values, [56.4157], rtol=0, atol=DP4)
    np.testing.assert_allclose(calc.result, [[0.0143, 0.0173, 0.9534, 0.0003, 0.0148]], rtol=0, atol=DP4)
    assert calc.notes == ()


def test_article_softmax_against_torch(torch, F):
    calc = S.softmax(ARTICLE_LOGITS)
    x = t(torch, ARTICLE_LOGITS)
    assert_matches_torch(calc.step("exp").values, torch.exp(x))
    assert_matches_torch(calc.step("sum_exp").values, torch.exp(x).sum(dim=1))
    assert_matches_torch(calc.result, F.softmax(x, dim=1))
    assert_matches_torch(calc.result, torch.softmax(x, dim=-1))


def test_article_printed_softmax_is_not_reproducible():
    """The article's printed softmax matches neither the true values nor its own exps / its own sum."""
    printed_softmax = np.array([0.0096, 0.0117, 0.9765, 0.0002, 0.0020])
    printed_exp = np.array([0.8073, 0.9754, 53.7032, 0.0144, 0.8327])
    result = S.softmax(ARTICLE_LOGITS).result[0]
    assert np.abs(result - printed_softmax).max() > 0.01
    np.testing.assert_allclose(printed_exp / 56.3330, [0.0143, 0.0173, 0.9533, 0.0003, 0.0148], rtol=0, atol=DP4)
    assert np.abs(printed_exp / 56.3330 - printed_softmax).max() > 0.01


def test_article_softmax_wants_to_pick_one(torch, F):
    x = np.array([[0.02, -2.49, 1.25]])
    calc = S.softmax(x)
    np.testing.assert_allclose(calc.step("exp").values, [[1.0202, 0.0829, 3.4903]], rtol=0, atol=DP4)
    np.testing.assert_allclose(calc.step("sum_exp").values, [4.5935], rtol=0, atol=DP4)
    np.testing.assert_allclose(calc.result, [[0.2221, 0.0180, 0.7599]], rtol=0, atol=DP4)
    # The article's own rounding to 2 decimals.
    np.testing.assert_allclose(calc.step("exp").values, [[1.02, 0.08, 3.49]], rtol=0, atol=5e-3)
    np.testing.assert_allclose(calc.result, [[0.22, 0.02, 0.76]], rtol=0, atol=5e-3)
    assert_matches_torch(calc.result, F.softmax(t(torch, x), dim=1))


def test_article_sigmoid(torch):
    x = np.array([[-0.1522]])
    calc = S.sigmoid(x)
    np.testing.assert_allclose(calc.result, [[0.4620]], rtol=0, atol=DP4)
    assert_matches_torch(calc.result, torch.sigmoid(t(torch, x)))
    assert_matches_torch(calc.step("exp_neg_x").values, torch.exp(-t(torch, x)))


def test_article_sigmoid_curve_shape():
    result = S.sigmoid(np.array([[-6.0, -4.0, 0.0, 4.0, 6.0]])).result[0]
    assert result[2] == 0.5
    assert result[0] < result[1] < 0.02
    assert 0.98 < result[3] < result[4] < 1.0
    np.testing.assert_allclose(result + result[::-1], 1.0, rtol=0, atol=1e-15)


def test_article_bear_softmax(torch, F):
    calc = S.softmax(BEAR_LOGITS)
    np.testing.assert_allclose(calc.result, BEAR_SOFTMAX, rtol=0, atol=DP4)
    assert_matches_torch(calc.result, F.softmax(t(torch, BEAR_LOGITS), dim=1))


def test_article_bear_nll_on_softmax_outputs(torch, F):
    """The article's "pick and negate" demonstration: nll_loss applied to probabilities, not log-probabilities."""
    probs = S.softmax_rows(BEAR_LOGITS)
    calc = S.nll(probs, BEAR_TARGETS, reduction="none")
    np.testing.assert_allclose(calc.result, BEAR_NLL_ON_SOFTMAX, rtol=0, atol=DP4)
    # The article prints -0.3391 for the last one: the true value 0.33915106 rounds to 0.3392.
    assert calc.result[-1] == pytest.approx(-0.33915106, abs=1e-8)
    assert_matches_torch(
        calc.result,
        F.nll_loss(F.softmax(t(torch, BEAR_LOGITS), dim=1), t(torch, BEAR_TARGETS, torch.long), reduction="none"),
    )
    assert len(calc.notes) == 1
    assert "look like probabilities" in calc.notes[0]


def test_article_bear_cross_entropy(torch, F):
    calc = S.cross_entropy(BEAR_LOGITS, BEAR_TARGETS, reduction="none")
    np.testing.assert_allclose(calc.result, BEAR_XENT, rtol=0, atol=DP4)
    # 1.10625 and 1.03125 sit on rounding edges: the true values are just above, so 1.1063 and 1.0313.
    assert calc.result[0] > 1.10625 and calc.result[3] > 1.03125
    x, target = t(torch, BEAR_LOGITS), t(torch, BEAR_TARGETS, torch.long)
    assert_matches_torch(calc.result, F.cross_entropy(x, target, reduction="none"))
    assert_matches_torch(calc.result, torch.nn.CrossEntropyLoss(reduction="none")(x, target))

    mean = S.cross_entropy(BEAR_LOGITS, BEAR_TARGETS)
    assert mean.result == pytest.approx(BEAR_XENT_MEAN, abs=DP4)
    assert_matches_torch(mean.result, F.cross_entropy(x, target))
    assert mean.details["denominator"] == 5.0


def test_article_cross_entropy_four_steps(torch, F):
    """logits -> softmax -> log -> nll_loss, each step equal to PyTorch's, and equal to cross_entropy."""
    calc = S.cross_entropy(BEAR_LOGITS, BEAR_TARGETS, reduction="none")
    assert names(calc) == ["logits", "softmax", "log_softmax", "target", "picked", "nll", "loss"]
    x, target = t(torch, BEAR_LOGITS), t(torch, BEAR_TARGETS, torch.long)
    assert_matches_torch(calc.step("softmax").values, torch.softmax(x, dim=1))
    assert_matches_torch(calc.step("log_softmax").values, torch.log(torch.softmax(x, dim=1)))
    assert_matches_torch(calc.step("log_softmax").values, torch.log_softmax(x, dim=1))
    assert_matches_torch(calc.step("nll").values, F.nll_loss(torch.log_softmax(x, dim=1), target, reduction="none"))
    np.testing.assert_array_equal(calc.step("target").values, BEAR_TARGETS)
    # nll of our own log_softmax is the same loss.
    log_p = calc.step("log_softmax").values
    np.testing.assert_allclose(S.nll(log_p, BEAR_TARGETS, reduction="none").result, calc.result, rtol=RTOL, atol=ATOL)
    assert S.nll(log_p, BEAR_TARGETS).notes == ()


# ----------------------------------------------------------------------------------------------- step order, shapes


def test_softmax_steps_in_article_order():
    calc = S.softmax(ARTICLE_LOGITS)
    assert names(calc) == ["logits", "exp", "sum_exp", "max", "shifted", "exp_shifted", "sum_exp_shifted", "softmax"]
    assert calc.command == "softmax"
    assert calc.step("softmax").probability
    assert [s.per for s in calc.steps] == ["class", "class", "example", "example", "class", "class", "example", "class"]
    with pytest.raises(KeyError):
        calc.step("nope")


def test_sigmoid_steps_in_order():
    calc = S.sigmoid(np.array([[0.5, -0.5]]))
    assert names(calc) == ["logits", "neg_x", "exp_neg_x", "one_plus_exp_neg_x", "sigmoid"]
    assert calc.result is calc.step("sigmoid").values


@pytest.mark.parametrize(
    ("reduction", "shape", "last"), [("none", (2,), "loss"), ("mean", (), "mean"), ("sum", (), "sum")]
)
def test_loss_result_shapes(reduction, shape, last):
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]])
    for calc in (
        S.cross_entropy(x, np.array([0, 2]), reduction=reduction),
        S.cross_entropy(x, S.softmax_rows(x), reduction=reduction),
        S.nll(x, np.array([0, 2]), reduction=reduction),
    ):
        assert np.shape(calc.result) == shape
        assert calc.steps[-1].name == last
        assert calc.details["reduction"] == reduction
    bce = S.binary_cross_entropy(x, np.zeros_like(x), reduction=reduction)
    assert np.shape(bce.result) == ((2, 3) if reduction == "none" else ())
    assert bce.steps[-1].name == last


# ----------------------------------------------------------------------------------------------- extremes


def test_softmax_pm1000_is_finite_and_exact(torch, F):
    x = np.array([[1000.0, -1000.0, 0.0], [1000.0, 1001.0, 1002.0]])
    calc = S.softmax(x)
    assert np.isfinite(calc.result).all()
    assert_matches_torch(calc.result, F.softmax(t(torch, x), dim=1))
    np.testing.assert_array_equal(calc.result[0], [1.0, 0.0, 0.0])
    # The max-shift makes [1000, 1001, 1002] exactly the same computation as [0, 1, 2].
    np.testing.assert_array_equal(calc.result[1], S.softmax(np.array([[0.0, 1.0, 2.0]])).result[0])
    # The naive steps show the overflow the article's formula runs into.
    assert np.isposinf(calc.step("exp").values[0, 0])
    assert np.isposinf(calc.step("sum_exp").values).all()
    assert np.isfinite(calc.step("exp_shifted").values).all()
    assert np.isfinite(calc.step("sum_exp_shifted").values).all()
    assert len(calc.notes) == 1
    assert "overflowed to inf" in calc.notes[0]


def test_softmax_without_overflow_has_no_note():
    assert S.softmax(np.array([[700.0, -1000.0]])).notes == ()


def test_log_softmax_pm1000(torch, F):
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]])
    calc = S.cross_entropy(x, np.array([1, 2]), reduction="none")
    np.testing.assert_array_equal(calc.step("log_softmax").values[0], [0.0, -2000.0, -1000.0])
    assert_matches_torch(calc.step("log_softmax").values, F.log_softmax(t(torch, x), dim=1))
    assert_matches_torch(calc.result, F.cross_entropy(t(torch, x), t(torch, [1, 2], torch.long), reduction="none"))
    np.testing.assert_array_equal(calc.result, [2000.0, np.log(3.0)])


def test_sigmoid_pm1000(torch, F):
    x = np.array([[1000.0, -1000.0, 0.0, 750.0, -750.0]])
    calc = S.sigmoid(x)
    np.testing.assert_array_equal(calc.result[0, :3], [1.0, 0.0, 0.5])
    assert_matches_torch(calc.result, torch.sigmoid(t(torch, x)))
    assert np.isposinf(calc.step("exp_neg_x").values[0, 1])
    assert len(calc.notes) == 1
    assert "overflowed to inf" in calc.notes[0]
    assert S.sigmoid(np.array([[1000.0]])).notes == ()
    assert_matches_torch(S.log_sigmoid(x), F.logsigmoid(t(torch, x)))
    np.testing.assert_array_equal(S.log_sigmoid(x)[0, :2], [0.0, -1000.0])


def test_sigmoid_inf_and_nan_like_torch(torch):
    x = np.array([[np.inf, -np.inf, np.nan]])
    calc = S.sigmoid(x)
    assert_matches_torch(calc.result, torch.sigmoid(t(torch, x)))
    assert calc.notes == ()  # exp(inf) = inf is not an overflow of a finite logit


def test_minus_inf_mask_gets_probability_zero(torch, F):
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, 2.0, -np.inf]])
    calc = S.softmax(x)
    assert calc.result[0, 1] == 0.0
    np.testing.assert_array_equal(calc.result[1], [0.0, 1.0, 0.0])
    assert_matches_torch(calc.result, F.softmax(t(torch, x), dim=1))
    np.testing.assert_allclose(calc.result[0, [0, 2]], S.softmax(np.array([[0.0, 1.0]])).result[0], rtol=1e-15)
    log_p = S.cross_entropy(x, np.array([0, 1])).step("log_softmax").values
    assert_matches_torch(log_p, F.log_softmax(t(torch, x), dim=1))
    assert calc.notes == ()


def test_all_minus_inf_row_is_nan_like_torch(torch, F):
    x = np.array([[-np.inf, -np.inf, -np.inf], [0.0, 1.0, 2.0]])
    calc = S.softmax(x)
    assert np.isnan(calc.result[0]).all()
    assert np.isfinite(calc.result[1]).all()
    assert_matches_torch(calc.result, F.softmax(t(torch, x), dim=1))
    xent = S.cross_entropy(x, np.array([0, 1]), reduction="none")
    assert_matches_torch(xent.result, F.cross_entropy(t(torch, x), t(torch, [0, 1], torch.long), reduction="none"))


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_target_on_masked_class_is_infinite_loss(torch, F, label_smoothing):
    x = np.array([[0.0, -np.inf, 1.0], [0.0, -np.inf, 1.0]])
    target = np.array([1, 2])
    calc = S.cross_entropy(x, target, reduction="none", label_smoothing=label_smoothing)
    assert np.isposinf(calc.result[0])
    expected = F.cross_entropy(
        t(torch, x), t(torch, target, torch.long), reduction="none", label_smoothing=label_smoothing
    )
    assert_matches_torch(calc.result, expected)


def test_overflow_note_survives_a_minus_inf_mask():
    """A -inf mask elsewhere must not hide the overflow of a finite logit (regression)."""
    calc = S.softmax(np.array([[1000.0, -np.inf, 0.0]]))
    assert np.isposinf(calc.step("exp").values[0, 0])
    assert any("overflowed to inf" in note for note in calc.notes)
    sig = S.sigmoid(np.array([[-1000.0, np.inf]]))
    assert any("overflowed to inf" in note for note in sig.notes)
    assert S.softmax(np.array([[np.inf, 0.0]])).notes == ()  # exp(inf) = inf is no overflow of a finite value


# ----------------------------------------------------------------------------------------------- temperature


@pytest.mark.parametrize("temperature", [0.1, 0.5, 2.0, 10.0])
def test_temperature_is_softmax_of_x_over_t(torch, F, temperature):
    x = BEAR_LOGITS * 10
    calc = S.softmax(x, temperature=temperature)
    assert names(calc)[:2] == ["logits", "scaled"]
    np.testing.assert_array_equal(calc.step("scaled").values, x / temperature)
    assert calc.details["temperature"] == temperature
    assert_matches_torch(calc.result, F.softmax(t(torch, x) / temperature, dim=1))


def test_temperature_sharpens_and_flattens():
    x = np.array([[1.0, 2.0, 3.0]])
    base = S.softmax(x).result[0]
    assert "scaled" not in names(S.softmax(x))
    assert S.softmax(x, temperature=0.5).result[0, 2] > base[2]
    assert S.softmax(x, temperature=2.0).result[0, 2] < base[2]
    np.testing.assert_allclose(S.softmax(x, temperature=1e6).result, 1 / 3, rtol=1e-5)


def test_temperature_overflow_note():
    calc = S.softmax(np.array([[100.0, 0.0]]), temperature=0.01)
    assert any("overflowed" in note for note in calc.notes)
    np.testing.assert_array_equal(calc.result, [[1.0, 0.0]])


# ----------------------------------------------------------------------------------------------- cross-entropy

X = np.array(
    [
        [1.5, -0.3, 0.2, 2.0],
        [-1.0, 0.5, 0.0, 0.1],
        [3.0, 3.0, -2.0, 0.7],
        [0.0, 0.0, 0.0, 0.0],
        [-5.0, 10.0, 1.0, -0.5],
    ]
)
TARGETS = np.array([3, 0, 1, 2, 1])
IGNORED = np.array([3, -100, 1, -100, 0])
WEIGHT = np.array([0.5, 2.0, 1.0, 3.5])
REDUCTIONS = ["none", "mean", "sum"]
SMOOTHING = [0.0, 0.1, 1.0]


def torch_xent(torch, F, x, target, weight=None, **kw):
    target_t = t(torch, target) if np.ndim(target) == 2 else t(torch, target, torch.long)
    return F.cross_entropy(t(torch, x), target_t, weight=None if weight is None else t(torch, weight), **kw)


@pytest.mark.parametrize(
    ("reduction", "weight", "label_smoothing", "targets"),
    list(itertools.product(REDUCTIONS, [None, WEIGHT], SMOOTHING, [TARGETS, IGNORED])),
)
def test_cross_entropy_matches_torch(torch, F, reduction, weight, label_smoothing, targets):
    calc = S.cross_entropy(X, targets, weight=weight, reduction=reduction, label_smoothing=label_smoothing)
    expected = torch_xent(
        torch, F, X, targets, weight, reduction=reduction, label_smoothing=label_smoothing, ignore_index=-100
    )
    assert_matches_torch(calc.result, expected)
    assert calc.details["targets_kind"] == "class indices"
    np.testing.assert_array_equal(calc.details["targets"], targets)
    assert ("smooth" in names(calc)) == (label_smoothing > 0)
    assert ("weight" in names(calc)) == (weight is not None or bool((targets == -100).any()))
    if reduction == "none":
        assert (calc.result[targets == -100] == 0).all()


@pytest.mark.parametrize(("weight", "label_smoothing"), list(itertools.product([None, WEIGHT], SMOOTHING)))
@pytest.mark.parametrize("targets", [TARGETS, IGNORED])
def test_cross_entropy_mean_denominator_is_torchs(torch, F, weight, label_smoothing, targets):
    """PyTorch's mean divides by the sum of w[target] over kept examples (their count without weights)."""
    calc = S.cross_entropy(X, targets, weight=weight, label_smoothing=label_smoothing)
    kept = targets != -100
    w = np.ones(4) if weight is None else weight
    assert calc.details["denominator"] == pytest.approx(w[targets[kept]].sum(), rel=1e-15)
    total = torch_xent(torch, F, X, targets, weight, reduction="sum", label_smoothing=label_smoothing)
    mean = torch_xent(torch, F, X, targets, weight, reduction="mean", label_smoothing=label_smoothing)
    assert calc.details["denominator"] == pytest.approx(float(total / mean), rel=1e-12)
    assert calc.step("mean").formula.endswith(f"{calc.details['denominator']:g}")


@pytest.mark.parametrize("ignore_index", [-1, 0, 2, 7])
def test_cross_entropy_custom_ignore_index(torch, F, ignore_index):
    targets = np.array([ignore_index, 1, 2, 3, 0]) if ignore_index != 7 else np.array([7, 1, 7, 3, 0])
    for reduction in REDUCTIONS:
        calc = S.cross_entropy(X, targets, weight=WEIGHT, ignore_index=ignore_index, reduction=reduction)
        expected = torch_xent(torch, F, X, targets, WEIGHT, ignore_index=ignore_index, reduction=reduction)
        assert_matches_torch(calc.result, expected)
    assert calc.details["ignore_index"] == ignore_index


@pytest.mark.parametrize("weight", [None, WEIGHT])
@pytest.mark.parametrize("label_smoothing", SMOOTHING)
def test_cross_entropy_all_ignored_is_nan_mean_like_torch(torch, F, weight, label_smoothing):
    targets = np.full(5, -100)
    for reduction in REDUCTIONS:
        calc = S.cross_entropy(X, targets, weight=weight, reduction=reduction, label_smoothing=label_smoothing)
        expected = torch_xent(torch, F, X, targets, weight, reduction=reduction, label_smoothing=label_smoothing)
        assert_matches_torch(calc.result, expected)
    mean = S.cross_entropy(X, targets, weight=weight, label_smoothing=label_smoothing)
    assert np.isnan(mean.result)
    assert mean.details["denominator"] == 0.0


def test_cross_entropy_label_smoothing_one_is_uniform_target(torch, F):
    """label_smoothing=1 ignores the targets entirely: the loss is the cross-entropy against 1/C."""
    calc = S.cross_entropy(X, TARGETS, label_smoothing=1.0, reduction="none")
    uniform = np.full_like(X, 0.25)
    np.testing.assert_allclose(calc.result, S.cross_entropy(X, uniform, reduction="none").result, rtol=1e-14)
    assert_matches_torch(calc.result, torch_xent(torch, F, X, TARGETS, label_smoothing=1.0, reduction="none"))


def test_cross_entropy_weighted_none_scales_each_example(torch, F):
    plain = S.cross_entropy(X, TARGETS, reduction="none").result
    weighted = S.cross_entropy(X, TARGETS, weight=WEIGHT, reduction="none")
    np.testing.assert_allclose(weighted.result, WEIGHT[TARGETS] * plain, rtol=1e-15)
    np.testing.assert_array_equal(weighted.step("weight").values, WEIGHT[TARGETS])
    assert weighted.details["denominator_is"] == "sum of w[target] over kept examples"
    assert S.cross_entropy(X, TARGETS).details["denominator_is"] == "number of kept examples"


# ----------------------------------------------------------------------------------------------- soft targets

SOFT = np.array(
    [
        [0.1, 0.2, 0.3, 0.4],
        [1.0, 0.0, 0.0, 0.0],
        [0.25, 0.25, 0.25, 0.25],
        [0.0, 0.5, 0.5, 0.0],
        [0.3, 0.3, 0.0, 0.2],  # need not sum to 1: PyTorch does not ask it to
    ]
)


@pytest.mark.parametrize(
    ("reduction", "weight", "label_smoothing"), list(itertools.product(REDUCTIONS, [None, WEIGHT], SMOOTHING))
)
def test_soft_targets_match_torch(torch, F, reduction, weight, label_smoothing):
    calc = S.cross_entropy(X, SOFT, weight=weight, reduction=reduction, label_smoothing=label_smoothing)
    expected = torch_xent(torch, F, X, SOFT, weight, reduction=reduction, label_smoothing=label_smoothing)
    assert_matches_torch(calc.result, expected)
    assert calc.details["targets_kind"] == "class probabilities"
    np.testing.assert_array_equal(calc.details["targets"], SOFT)  # as given, not smoothed
    assert calc.details["denominator"] == 5.0  # N, whatever the weights: PyTorch's rule for soft targets
    if reduction == "mean":
        total = torch_xent(torch, F, X, SOFT, weight, reduction="sum", label_smoothing=label_smoothing)
        assert float(total / expected) == pytest.approx(5.0, rel=1e-12)
    if label_smoothing:
        np.testing.assert_allclose(calc.step("target").values, SOFT * (1 - label_smoothing) + label_smoothing / 4)


def test_one_hot_soft_targets_equal_class_targets(torch, F):
    one_hot = np.eye(4)[TARGETS]
    for label_smoothing in SMOOTHING:
        soft = S.cross_entropy(X, one_hot, weight=WEIGHT, reduction="none", label_smoothing=label_smoothing)
        hard = S.cross_entropy(X, TARGETS, weight=WEIGHT, reduction="none", label_smoothing=label_smoothing)
        np.testing.assert_allclose(soft.result, hard.result, rtol=1e-14, atol=1e-15)


# ----------------------------------------------------------------------------------------------- nll


@pytest.mark.parametrize(
    ("reduction", "weight", "targets"), list(itertools.product(REDUCTIONS, [None, WEIGHT], [TARGETS, IGNORED]))
)
def test_nll_matches_torch(torch, F, reduction, weight, targets):
    log_p = S.log_softmax_rows(X)
    calc = S.nll(log_p, targets, weight=weight, reduction=reduction)
    expected = F.nll_loss(
        t(torch, log_p),
        t(torch, targets, torch.long),
        weight=None if weight is None else t(torch, weight),
        reduction=reduction,
    )
    assert_matches_torch(calc.result, expected)
    kept = targets != -100
    w = np.ones(4) if weight is None else weight
    assert calc.details["denominator"] == pytest.approx(w[targets[kept]].sum(), rel=1e-15)
    assert calc.notes == ()
    assert names(calc)[:3] == ["input", "target", "picked"]


def test_nll_is_pick_and_negate_on_any_numbers(torch, F):
    """nll_loss checks nothing about its input: it picks and negates, and we say so when values are > 0."""
    calc = S.nll(X, TARGETS, reduction="none")
    np.testing.assert_array_equal(calc.result, -X[np.arange(5), TARGETS])
    assert_matches_torch(calc.result, F.nll_loss(t(torch, X), t(torch, TARGETS, torch.long), reduction="none"))
    assert len(calc.notes) == 1
    assert "not log-probabilities" in calc.notes[0]
    assert "logitcli xent" in calc.notes[0]


def test_nll_notes_probabilities_not_log_probabilities():
    probs = S.softmax_rows(X)
    note = S.nll(probs, TARGETS).notes
    assert len(note) == 1 and "look like probabilities" in note[0]
    assert S.nll(np.log(probs), TARGETS).notes == ()
    assert S.looks_like_probabilities(probs)
    assert not S.looks_like_probabilities(np.log(probs))
    assert not S.looks_like_probabilities(probs * 0.5)  # rows do not sum to 1
    assert not S.looks_like_probabilities(np.zeros((0, 3)))


def test_nll_all_ignored_and_zero_weight_like_torch(torch, F):
    log_p = S.log_softmax_rows(X)
    for targets, weight in [(np.full(5, -100), None), (np.zeros(5, dtype=int), np.array([0.0, 1, 1, 1]))]:
        for reduction in REDUCTIONS:
            calc = S.nll(log_p, targets, weight=weight, reduction=reduction)
            expected = F.nll_loss(
                t(torch, log_p),
                t(torch, targets, torch.long),
                weight=None if weight is None else t(torch, weight),
                reduction=reduction,
            )
            assert_matches_torch(calc.result, expected)


# ----------------------------------------------------------------------------------------------- binary cross-entropy

BX = np.array([[2.0, -1.0, 0.0], [-30.0, 4.0, 0.5], [1000.0, -1000.0, 15.0], [0.1, -0.2, -7.0]])
HARD = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
SOFT_Y = np.array([[0.9, 0.1, 0.5], [0.0, 0.75, 1.0], [1.0, 0.0, 0.3], [0.2, 0.6, 0.99]])
BCE_WEIGHTS = {
    "none": None,
    "per_class": np.array([0.5, 2.0, 1.5]),
    "per_entry": np.arange(1.0, 13.0).reshape(4, 3) / 4,
}
POS_WEIGHTS = {"none": None, "per_class": np.array([3.0, 0.25, 1.0])}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", BCE_WEIGHTS)
@pytest.mark.parametrize("pos_weight", POS_WEIGHTS)
@pytest.mark.parametrize("targets", [HARD, SOFT_Y], ids=["hard", "soft"])
def test_bce_matches_torch(torch, F, reduction, weight, pos_weight, targets):
    w, pw = BCE_WEIGHTS[weight], POS_WEIGHTS[pos_weight]
    calc = S.binary_cross_entropy(BX, targets, weight=w, pos_weight=pw, reduction=reduction)
    expected = F.binary_cross_entropy_with_logits(
        t(torch, BX),
        t(torch, targets),
        weight=None if w is None else t(torch, w),
        pos_weight=None if pw is None else t(torch, pw),
        reduction=reduction,
    )
    assert_matches_torch(calc.result, expected)
    assert calc.details["denominator"] == 12.0  # every entry counts, weighted or not
    assert np.isfinite(calc.step("loss").values).all()


def test_bce_steps_match_torch(torch, F):
    calc = S.binary_cross_entropy(BX, SOFT_Y, reduction="none")
    assert names(calc) == ["logits", "target", "sigmoid", "log_sigmoid", "log_one_minus_sigmoid", "loss"]
    x = t(torch, BX)
    assert_matches_torch(calc.step("sigmoid").values, torch.sigmoid(x))
    assert_matches_torch(calc.step("log_sigmoid").values, F.logsigmoid(x))
    assert_matches_torch(calc.step("log_one_minus_sigmoid").values, F.logsigmoid(-x))
    # Exact where the naive log(1 - sigmoid(x)) would be log(0) = -inf.
    assert calc.step("log_one_minus_sigmoid").values[2, 0] == -1000.0


def test_bce_is_cross_entropy_of_two_logits():
    """BCE with logit x equals 2-class cross-entropy with logits [0, x] and soft targets [1 - y, y]."""
    x, y = BX.reshape(-1), SOFT_Y.reshape(-1)
    bce = S.binary_cross_entropy(x[:, None], y[:, None], reduction="none").result[:, 0]
    xent = S.cross_entropy(np.stack([np.zeros_like(x), x], axis=1), np.stack([1 - y, y], axis=1), reduction="none")
    np.testing.assert_allclose(bce, xent.result, rtol=1e-12, atol=1e-12)


def test_bce_soft_target_at_large_logit_is_pytorchs_number(torch, F):
    """x = -1000, y = 1e-17: the true loss is y · softplus(1000) + (1 - y) · softplus(-1000) = 1e-14.

    PyTorch computes (1 - y)·x - log σ(x), which cancels (-1000 + 1000) and gives 0. logitcli promises
    PyTorch's numbers (its arithmetic decides which infinite logits give nan), so it gives the same 0.
    """
    x, y = np.array([[-1000.0, -1000.0]]), np.array([[1e-17, 1e-15]])
    calc = S.binary_cross_entropy(x, y, reduction="none")
    expected = F.binary_cross_entropy_with_logits(t(torch, x), t(torch, y), reduction="none")
    assert_matches_torch(calc.result, expected, rtol=0, atol=0)
    assert calc.result[0, 0] == 0.0


@pytest.mark.parametrize(
    ("x", "y", "pos_weight"),
    [
        (-np.inf, 1.0, None),  # 0 · (-inf): PyTorch nan, the limit is inf
        (np.inf, 1.0, None),  # 0 · inf: nan, the limit is 0
        (-np.inf, 0.0, None),  # -inf - (-inf): nan, the limit is 0
        (-np.inf, 0.3, None),  # 0.7 · (-inf) + inf: nan, the limit is inf
        (np.inf, 0.0, None),  # inf
        (np.inf, 0.3, np.array([2.0])),
        (1.0, np.inf, np.array([2.0])),  # (pw - 1) · inf + 1 = inf, then (1 - inf) · 1 - inf · log σ(1)
        (1.0, np.inf, None),
        (0.0, np.nan, None),
    ],
)
def test_bce_infinite_logits_and_targets_like_torch(torch, F, x, y, pos_weight):
    xs, ys = np.array([[x, 2.0]]), np.array([[y, 0.3]])
    pw = None if pos_weight is None else np.array([pos_weight[0], 1.0])
    calc = S.binary_cross_entropy(xs, ys, pos_weight=pw, reduction="none")
    expected = F.binary_cross_entropy_with_logits(
        t(torch, xs), t(torch, ys), pos_weight=None if pw is None else t(torch, pw), reduction="none"
    )
    assert_matches_torch(calc.result, expected)


def test_bce_targets_outside_zero_one_are_accepted_with_a_note(torch, F):
    calc = S.binary_cross_entropy(BX, HARD * 2 - 0.5, reduction="none")
    expected = F.binary_cross_entropy_with_logits(t(torch, BX), t(torch, HARD * 2 - 0.5), reduction="none")
    assert_matches_torch(calc.result, expected)
    assert [note.id for note in calc.notes] == ["bce_targets_not_probabilities"]


@pytest.mark.parametrize("shape", [(), (1,), (3,), (4, 1), (1, 3), (4, 3)])
def test_bce_weights_broadcast_like_torch(torch, F, shape):
    w = np.arange(1.0, 1.0 + int(np.prod(shape))).reshape(shape) / 3
    calc = S.binary_cross_entropy(BX, SOFT_Y, weight=w, pos_weight=w, reduction="none")
    expected = F.binary_cross_entropy_with_logits(
        t(torch, BX), t(torch, SOFT_Y), weight=t(torch, w), pos_weight=t(torch, w), reduction="none"
    )
    assert_matches_torch(calc.result, expected)


# ----------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: S.cross_entropy(X, np.array([3, 0, 4, 2, 1])), r"target 4 \(example 2\) is out of range.*0 to 3"),
        (lambda: S.cross_entropy(X, np.array([3, 0, -1, 2, 1])), r"target -1 \(example 2\) is out of range"),
        (lambda: S.cross_entropy(X, np.array([3, 0, 1])), r"got 3 target\(s\) for 5 example\(s\)"),
        (lambda: S.nll(X, np.array([3, 0, 1, 2, 9])), r"target 9 \(example 4\) is out of range"),
        (lambda: S.nll(X, np.array([3, 0, 1, 2])), r"got 4 target\(s\) for 5 example\(s\)"),
        (lambda: S.cross_entropy(X, TARGETS, weight=np.ones(3)), r"--weight has 3 value\(s\) but there are 4 classes"),
        (lambda: S.nll(X, TARGETS, weight=np.ones(5)), r"--weight has 5 value\(s\) but there are 4 classes"),
        (lambda: S.cross_entropy(X, SOFT, weight=np.ones(2)), r"--weight has 2 value\(s\)"),
        (lambda: S.cross_entropy(X, TARGETS, label_smoothing=1.5), r"label smoothing 1.5 is outside \[0, 1\]"),
        (lambda: S.cross_entropy(X, SOFT, label_smoothing=2.0), r"outside \[0, 1\]"),
        (lambda: S.cross_entropy(X, TARGETS, reduction="avg"), r"unknown reduction 'avg'.*none, mean, sum"),
        (lambda: S.nll(X, TARGETS, reduction="max"), r"unknown reduction 'max'"),
        (lambda: S.binary_cross_entropy(BX, HARD, reduction="Mean"), r"unknown reduction 'Mean'"),
        (lambda: S.cross_entropy(X, np.zeros((5, 3))), r"soft targets have shape 5x3 but the logits are 5x4"),
        (lambda: S.cross_entropy(X, np.zeros((4, 4))), r"soft targets have shape 4x4 but the logits are 5x4"),
        (lambda: S.cross_entropy(X, SOFT, ignore_index=0), r"PyTorch refuses it \(ignore_index is not supported"),
        (lambda: S.binary_cross_entropy(BX, HARD[:, :2]), r"targets have 8 value\(s\) but there are 12 logits"),
        (lambda: S.binary_cross_entropy(BX, HARD, weight=np.ones(4)), r"--weight has shape \(4,\).*\(4, 3\)"),
        (lambda: S.binary_cross_entropy(BX, HARD, pos_weight=np.ones(2)), r"--pos-weight has shape \(2,\)"),
        (lambda: S.binary_cross_entropy(BX[:1], HARD[:1], weight=np.ones((2, 1))), r"broadcasts to \(2, 3\), bigger"),
    ],
)
def test_validation_errors_name_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_ignore_index_is_not_out_of_range():
    S.cross_entropy(X, np.array([-100, 0, 1, 2, 3]))
    S.nll(X, np.array([5, 0, 1, 2, 3]), ignore_index=5)
    with pytest.raises(ValueError, match=r"target -100 \(example 0\)"):
        S.cross_entropy(X, np.array([-100, 0, 1, 2, 3]), ignore_index=-1)


def test_fractional_class_targets_are_rejected():
    with pytest.raises(ValueError, match="target"):
        S.cross_entropy(X, np.array([3.0, 0.0, 1.7, 2.0, 1.0]))
