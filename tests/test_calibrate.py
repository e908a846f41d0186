"""calibrate's numbers against the libraries themselves: torchmetrics, netcal, scikit-learn, relplot, and the
gpleiss reference code; the documented examples; the exact temperature."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logitcli.steps.calibration import Settings, calibration, fit_temperature, smooth_ece
from logitcli.steps.calibration.conventions import torch_linspace

# Confidences where the rules part: every edge of 15, 10, 5 and 3 bins, float32's nearest values, 0 and 1.
EDGES = sorted(
    {k / n for n in (3, 5, 10, 15) for k in range(n + 1)}
    | {float(np.float32(k / n)) for n in (3, 5, 10, 15) for k in range(n + 1)}
    | {1.0 - 1e-9, 1e-9, 0.5 + 2**-30}
)
edge_or_any = st.one_of(st.sampled_from(EDGES), st.floats(0.0, 1.0))


@st.composite
def probability_rows(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """(N, C) probabilities whose largest entries often sit on an edge, with random targets."""
    n = draw(st.integers(1, 25))
    c = draw(st.integers(2, 4))
    rows = []
    for _ in range(n):
        v = draw(edge_or_any)
        rest = (1.0 - v) / (c - 1)
        rows.append([v] + [rest] * (c - 1))
    targets = draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n))
    return np.array(rows), np.array(targets)


@st.composite
def binary_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 30))
    p = draw(st.lists(edge_or_any, min_size=n, max_size=n))
    y = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    return np.array(p), np.array(y)


def ours(values: np.ndarray, targets: np.ndarray, **settings: object) -> dict:
    calc = calibration(values, targets, Settings(probs=True, **settings))  # type: ignore[arg-type]
    return {**calc.result, "bins": calc.details["bins"]}


# ----------------------------------------------------------------------------- documented examples


def test_torchmetrics_multiclass_docstring_case() -> None:
    p = np.array([[0.25, 0.20, 0.55], [0.55, 0.05, 0.40], [0.10, 0.30, 0.60], [0.90, 0.05, 0.05]])
    found = ours(p, np.array([0, 1, 2, 0]), n_bins=3, convention="torchmetrics")
    assert [round(found[k], 4) for k in ("ece", "rmsce", "mce")] == [0.2000, 0.2082, 0.2333]


def test_torchmetrics_binary_docstring_case() -> None:
    p = np.array([[0.25], [0.25], [0.55], [0.75], [0.75]])
    found = ours(p, np.array([0, 0, 1, 1, 1]), mode="binary", n_bins=2, convention="torchmetrics")
    assert [round(found[k], 4) for k in ("ece", "rmsce", "mce")] == [0.2900, 0.2918, 0.3167]


def test_sklearn_calibration_curve_docstring_case() -> None:
    """sklearn's docstring: y_true [0,0,0,0,1,1,1,1,1], y_pred [0.1,0.2,0.3,0.4,0.65,0.7,0.8,0.9,1], n_bins=3
    gives prob_true [0, 0.5, 1] and prob_pred [0.2, 0.525, 0.85]."""
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0])
    bins = [b for b in ours(p[:, None], y, mode="binary", n_bins=3, convention="sklearn")["bins"] if b["count"]]
    assert [b["accuracy"] for b in bins] == pytest.approx([0.0, 0.5, 1.0])
    assert [b["confidence"] for b in bins] == pytest.approx([0.2, 0.525, 0.85])


# ----------------------------------------------------------------------------- the libraries


@settings(max_examples=60)
@given(probability_rows())
def test_torchmetrics_multiclass_equals_ours(data: tuple[np.ndarray, np.ndarray]) -> None:
    torch = pytest.importorskip("torch")
    tm = pytest.importorskip("torchmetrics.functional.classification")
    p, t = data
    found = ours(p, t, convention="torchmetrics")
    for norm, key in (("l1", "ece"), ("l2", "rmsce"), ("max", "mce")):
        expected = float(tm.multiclass_calibration_error(torch.tensor(p), torch.tensor(t), p.shape[1], norm=norm))
        assert found[key] == pytest.approx(expected, abs=1e-6), key


@settings(max_examples=60)
@given(binary_pairs())
def test_torchmetrics_binary_equals_ours(data: tuple[np.ndarray, np.ndarray]) -> None:
    torch = pytest.importorskip("torch")
    tm = pytest.importorskip("torchmetrics.functional.classification")
    p, y = data
    found = ours(p[:, None], y, mode="binary", convention="torchmetrics")
    for norm, key in (("l1", "ece"), ("l2", "rmsce"), ("max", "mce")):
        expected = float(tm.binary_calibration_error(torch.tensor(p), torch.tensor(y), norm=norm))
        assert found[key] == pytest.approx(expected, abs=1e-9), key


def test_torch_linspace_edges_are_torchs() -> None:
    torch = pytest.importorskip("torch")
    for n in (*range(1, 40), 100, 999):
        assert np.array_equal(torch_linspace(n, True), torch.linspace(0, 1, n + 1).double().numpy()), n
        assert np.array_equal(torch_linspace(n, False), torch.linspace(0, 1, n + 1, dtype=torch.float64).numpy()), n


@settings(max_examples=60)
@given(probability_rows())
def test_netcal_equals_ours(data: tuple[np.ndarray, np.ndarray]) -> None:
    netcal = pytest.importorskip("netcal.metrics")
    p, t = data
    calc = calibration(p, t, Settings(probs=True), compare=True)
    row = next(r for r in calc.details["compare"] if r["name"] == "netcal")
    if row["ece"] is None:  # netcal stops on at most two distinct targets with more than two columns
        with pytest.raises(RuntimeError):
            netcal.ECE(bins=10).measure(p, t)
        return
    assert row["ece"] == pytest.approx(netcal.ECE(bins=10).measure(p, t), abs=1e-9)
    assert ours(p, t, convention="netcal")["ece"] == pytest.approx(row["ece"], abs=1e-12) or len(np.unique(t)) <= 2


@settings(max_examples=60)
@given(binary_pairs())
def test_netcal_binary_equals_ours(data: tuple[np.ndarray, np.ndarray]) -> None:
    netcal = pytest.importorskip("netcal.metrics")
    p, y = data
    assert ours(p[:, None], y, mode="binary", convention="netcal")["ece"] == pytest.approx(
        netcal.ECE(bins=10).measure(p, y), abs=1e-9
    )


def gpleiss_ece(softmaxes: object, labels: object, n_bins: int = 15) -> float:
    """gpleiss/temperature_scaling `_ECELoss.forward`, verbatim after its softmax (given here)."""
    import torch

    bin_boundaries = torch.linspace(0, 1, n_bins + 1)
    bin_lowers, bin_uppers = bin_boundaries[:-1], bin_boundaries[1:]
    confidences, predictions = torch.max(softmaxes, 1)
    accuracies = predictions.eq(labels)
    ece = torch.zeros(1)
    for bin_lower, bin_upper in zip(bin_lowers, bin_uppers, strict=True):
        in_bin = confidences.gt(bin_lower.item()) * confidences.le(bin_upper.item())
        prop_in_bin = in_bin.float().mean()
        if prop_in_bin.item() > 0:
            accuracy_in_bin = accuracies[in_bin].float().mean()
            avg_confidence_in_bin = confidences[in_bin].mean()
            ece += torch.abs(avg_confidence_in_bin - accuracy_in_bin) * prop_in_bin
    return float(ece)


@settings(max_examples=60)
@given(probability_rows())
def test_gpleiss_equals_ours(data: tuple[np.ndarray, np.ndarray]) -> None:
    torch = pytest.importorskip("torch")
    p, t = data
    assert ours(p, t, convention="gpleiss")["ece"] == pytest.approx(
        gpleiss_ece(torch.tensor(p), torch.tensor(t)), abs=1e-6
    )


@settings(max_examples=60)
@given(binary_pairs(), st.sampled_from(["uniform", "quantile"]), st.integers(1, 12))
def test_sklearn_calibration_curve_equals_ours(data: tuple, strategy: str, n_bins: int) -> None:
    calibration_module = pytest.importorskip("sklearn.calibration")
    p, y = data
    prob_true, prob_pred = calibration_module.calibration_curve(y, p, n_bins=n_bins, strategy=strategy, pos_label=1)
    found = ours(p[:, None], y, mode="binary", convention="sklearn", n_bins=n_bins, strategy=strategy)
    bins = [b for b in found["bins"] if b["count"]]
    assert [b["accuracy"] for b in bins] == pytest.approx(list(prob_true), abs=1e-12)
    assert [b["confidence"] for b in bins] == pytest.approx(list(prob_pred), abs=1e-12)


@settings(max_examples=40)
@given(probability_rows())
def test_brier_equals_sklearns(data: tuple[np.ndarray, np.ndarray]) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    p, t = data
    expected = metrics.brier_score_loss(t, p, labels=list(range(p.shape[1])))
    assert ours(p, t)["brier"] == pytest.approx(expected, abs=1e-12)


@settings(max_examples=30)
@given(binary_pairs())
def test_binary_brier_equals_sklearns(data: tuple[np.ndarray, np.ndarray]) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    p, y = data
    expected = metrics.brier_score_loss(y, p, labels=[0, 1])
    assert ours(p[:, None], y, mode="binary")["brier"] == pytest.approx(expected, abs=1e-12)


@settings(max_examples=30)
@given(binary_pairs())
def test_smooth_ece_equals_relplots(data: tuple[np.ndarray, np.ndarray]) -> None:
    relplot = pytest.importorskip("relplot")
    p, y = data
    assert smooth_ece(p, y)[0] == pytest.approx(relplot.smECE(p, y.astype(float)), abs=1e-6)


def test_smooth_ece_on_a_large_sample_equals_relplots() -> None:
    relplot = pytest.importorskip("relplot")
    rng = np.random.default_rng(3)
    f = rng.uniform(size=5000)
    y = (rng.uniform(size=5000) < f**1.5).astype(float)
    assert smooth_ece(f, y)[0] == pytest.approx(relplot.smECE(f, y), abs=1e-6)


# ----------------------------------------------------------------------------- edge cases, by hand


def test_one_example_all_right_all_wrong_one_class() -> None:
    one = ours(np.array([[0.7, 0.3]]), np.array([0]))
    assert one["ece"] == pytest.approx(0.3) and one["accuracy"] == 1.0
    wrong = ours(np.array([[0.7, 0.3], [0.6, 0.4]]), np.array([1, 1]))
    assert wrong["accuracy"] == 0.0 and wrong["ece"] == pytest.approx(0.65)
    single = ours(np.ones((3, 1)), np.zeros(3, dtype=int))
    assert single["ece"] == 0.0 and single["mean_confidence"] == 1.0


def test_torchmetrics_puts_exact_one_in_an_extra_bin() -> None:
    p = np.array([[1.0, 0.0], [0.5, 0.5]])
    calc = calibration(p, np.array([0, 1]), Settings(probs=True, convention="torchmetrics"))
    bins = calc.details["bins"]
    assert len(bins) == 16 and bins[-1]["count"] == 1 and bins[-1]["lower"] == bins[-1]["upper"] == 1.0


def filled(p: np.ndarray, **settings: object) -> dict:
    return next(b for b in ours(p, np.array([0]), **settings)["bins"] if b["count"])


def test_a_confidence_on_an_edge_goes_where_each_rule_says() -> None:
    p = np.array([[0.75, 0.25]])  # 0.75 is an edge of 4 bins, exactly
    assert filled(p, convention="sklearn", n_bins=4)["upper"] == 0.75  # (a, b]
    assert filled(p, convention="netcal", n_bins=4)["lower"] == 0.75  # [a, b)
    assert filled(p, convention="gpleiss", n_bins=4)["upper"] == 0.75
    # np.linspace(0, 1, 11)[6] is 0.6000000000000001: a confidence of 0.6 sits below that edge, not on it
    assert filled(np.array([[0.6, 0.4]]), convention="netcal")["upper"] == 0.6000000000000001


def test_nan_rows_and_ignored_targets_are_left_out() -> None:
    x = np.array([[1.0, 2.0], [np.nan, 0.0], [0.5, 0.1], [3.0, -1.0]])
    calc = calibration(x, np.array([1, 0, -100, 0]))
    assert calc.result["n"] == 2 and calc.details["left_out"] == [1]
    ids = {note.id for note in calc.notes}
    assert {"calibrate_left_out", "calibrate_ignored"} <= ids


def test_probabilities_are_checked() -> None:
    with pytest.raises(ValueError, match="not a probability"):
        calibration(np.array([[1.2, -0.2]]), np.array([0]), Settings(probs=True))
    with pytest.raises(ValueError, match="sum to"):
        calibration(np.array([[0.5, 0.6]]), np.array([0]), Settings(probs=True))


# ----------------------------------------------------------------------------- the temperature


def nll_at(x: np.ndarray, t: np.ndarray, temperature: float) -> float:
    from scipy.special import log_softmax

    return float(-log_softmax(x / temperature, axis=1)[np.arange(len(t)), t].mean())


def independent_root(x: np.ndarray, t: np.ndarray) -> float:
    """β* by Brent's method on the derivative written another way (scipy's softmax), to float64 precision."""
    from scipy.optimize import brentq
    from scipy.special import softmax

    def slope(beta: float) -> float:
        p = softmax(beta * x, axis=1)
        return float(((p * x).sum(axis=1) - x[np.arange(len(t)), t]).mean())

    high = 1.0
    while slope(high) < 0:
        high *= 2
    return brentq(slope, 1e-12, high, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_fit_finds_the_true_temperature(seed: int) -> None:
    """Labels drawn from a calibrated softmax, then the logits sharpened 2.5x: T* near 2.5, exactly the root."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(2000, 6)) * 1.5
    p = np.exp(base) / np.exp(base).sum(axis=1, keepdims=True)
    t = np.array([rng.choice(6, p=row) for row in p])
    x = base * 2.5
    fit = fit_temperature(x, t, np.ones(len(t), dtype=bool))
    assert fit.status == "found" and fit.temperature is not None
    assert fit.temperature == pytest.approx(2.5, rel=0.1)
    assert fit.temperature == pytest.approx(1 / independent_root(x, t), rel=1e-9)
    best = nll_at(x, t, fit.temperature)
    assert best <= nll_at(x, t, fit.temperature + 1e-6) and best <= nll_at(x, t, fit.temperature - 1e-6)
    assert abs(fit.best.slope) < 1e-12


@settings(max_examples=25)
@given(
    st.integers(2, 30),
    st.integers(2, 5),
    st.integers(0, 2**32 - 1),
    st.floats(0.1, 10.0),
)
def test_the_fit_is_the_nll_minimum(n: int, c: int, seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c)) * scale
    t = rng.integers(0, c, n)
    fit = fit_temperature(x, t, np.ones(n, dtype=bool))
    if fit.status != "found":
        return
    assert fit.temperature == pytest.approx(1 / independent_root(x, t), rel=1e-9)
    best = nll_at(x, t, fit.temperature)
    for step in (1e-6, -1e-6):
        assert best <= nll_at(x, t, fit.temperature + step) + 1e-15


def test_no_finite_temperature_is_said() -> None:
    x = np.array([[2.0, 0.0], [0.0, 1.0]])
    assert fit_temperature(x, np.array([0, 1]), np.ones(2, dtype=bool)).status == "to_zero"
    assert fit_temperature(x, np.array([1, 0]), np.ones(2, dtype=bool)).status == "infinite"
    assert fit_temperature(np.zeros((2, 3)), np.array([1, 0]), np.ones(2, dtype=bool)).status == "flat"
    calc = calibration(x, np.array([0, 1]), fit=True)
    assert calc.details["temperature"]["T"] is None and "T -> 0" in calc.details["temperature"]["reason"]


def test_the_fit_after_matches_a_plain_run_at_that_temperature() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 4)) * 4
    t = rng.integers(0, 4, 300)
    record = calibration(x, t, fit=True).details["temperature"]
    again = calibration(x, t, Settings(temperature=record["T"])).result
    assert record["after"]["nll"] == again["nll"] and record["after"]["ece"] == again["ece"]
    assert record["after"]["nll"] <= record["before"]["nll"]
    assert math.isfinite(record["derivative_at_T"])


def test_binary_fit_is_the_bce_minimum() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=200) * 3
    y = (rng.uniform(size=200) < 1 / (1 + np.exp(-x / 3))).astype(int)
    record = calibration(x[:, None], y, Settings(mode="binary"), fit=True).details["temperature"]
    pairs = np.stack([np.zeros_like(x), x], axis=1)
    assert record["T"] == pytest.approx(1 / independent_root(pairs, y), rel=1e-9)
    assert record["T"] == pytest.approx(3, rel=0.5)


# ----------------------------------------------------------------------------- the tour's lesson


def test_the_tour_lesson_finds_the_temperature_it_was_built_with() -> None:
    from logitcli.tour import build_tour
    from logitcli.tour.lessons.calibration import SHARPEN

    section = build_tour(section="calibration", run_model=False, torch_checks=False).sections[0]
    assert section.result["temperature"] == pytest.approx(SHARPEN, rel=0.05)
    kinds = [type(block).__name__ for block in section.blocks]
    assert kinds.count("Reliability") == 2 and "Comparison" in kinds


def test_the_tour_lesson_on_the_users_numbers() -> None:
    from logitcli.inputs.batch import Batch
    from logitcli.tour import build_tour

    batch = Batch(np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [1.0, 1.0, 3.0], [3.0, 0.0, 0.0]]))
    tour = build_tour(batch, np.array([0, 1, 0, 1]), section="calibration", lang="ja", torch_checks=False)
    assert tour.sections[0].result["temperature"] > 0
    without = build_tour(batch, None, section="calibration", torch_checks=False).sections[0]
    assert without.result is None
