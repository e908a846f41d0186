"""Every command and option against torch.nn.functional in float64, at the edges: the same numbers, NaN included.

Random inputs hold NaN, ±inf, rows of -inf, values near ±1e308, denormals and zeros, in 1-D (C,), 2-D (N, C)
and K-dimensional (N, C, d1[, d2]) shapes; weights hold zeros, negatives, NaN and infinities; targets are
sometimes all ignored, soft targets sometimes not probabilities. For each call PyTorch either refuses it (then
so must logitcli) or returns a result, which logitcli must return in the same shape with NaN where PyTorch has
NaN, the same infinities, and finite values equal within --check's own tolerances (see torch_check).

The numeric core goes the CLI's way (a Batch lays the input out in rows, the step function computes, the
result is shaped back); a smaller part runs the CLI itself in-process on K-dim and NaN inputs.
HYPOTHESIS_PROFILE=heavy runs ten times as many examples.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from logitcli import steps as S
from logitcli.inputs.batch import Batch
from logitcli.model.check import absolute_tolerance, compare
from logitcli.output.jsonout import dumps

torch = pytest.importorskip("torch")
F = torch.nn.functional

HEAVY = os.environ.get("HYPOTHESIS_PROFILE") == "heavy"


def examples(n: int) -> settings:
    return settings(
        max_examples=n * (10 if HEAVY else 1),
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,  # `run` holds no state between examples
        ],
    )


REDUCTIONS = ("none", "mean", "sum")
nan, inf = np.nan, np.inf
EDGES = [nan, inf, -inf, 1e308, -1e308, 1.7e308, -1.7e308, 5e-324, -5e-324, 2.2e-308, 1e-310, 0.0, -0.0, 709.8, -745.2]

# Mostly ordinary numbers, often an edge, now and then anything a float64 can hold.
values = st.one_of(
    st.floats(-20, 20),
    st.floats(-20, 20),
    st.sampled_from(EDGES),
    st.floats(allow_nan=True, allow_infinity=True),
)
weight_values = st.one_of(st.floats(0, 5), st.floats(0, 5), st.sampled_from([0.0, -1.0, nan, inf, 1e308, 5e-324]))
soft_values = st.one_of(st.floats(0, 1), st.floats(0, 1), st.sampled_from([0.0, 1.0, nan, inf, -0.5, 2.0, 1e308]))


@st.composite
def inputs(draw: st.DrawFn, min_classes: int = 1) -> np.ndarray:
    """An input as PyTorch takes it: (C,), (N, C) or (N, C, d1[, d2]); sometimes one position all -inf."""
    c = draw(st.integers(min_classes, 5))
    form = draw(st.sampled_from(["1d", "2d", "2d", "kd"]))
    if form == "1d":
        shape: tuple[int, ...] = (c,)
    else:
        n = draw(st.integers(1, 4))
        extra = () if form == "2d" else tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
        shape = (n, c, *extra)
    x = draw(hnp.arrays(np.float64, shape, elements=values))
    if x.ndim >= 2 and draw(st.integers(0, 4)) == 0:
        position = tuple(draw(st.integers(0, size - 1)) for size in shape[:1] + shape[2:])
        x[(position[0], slice(None), *position[1:])] = -inf
    return x


def tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(array, dtype=np.float64))


def torch_or_error(call):  # noqa: ANN001, ANN201 - any PyTorch call
    try:
        return call(), None
    except (RuntimeError, ValueError, IndexError) as error:
        return None, error


def assert_parity(calc: S.Calculation, batch: Batch, expected: torch.Tensor, ours_none=None, theirs_none=None) -> None:
    """PyTorch's shape, NaN where PyTorch has NaN, the same infinities, finite values within --check's tolerances.

    A sum of terms whose magnitudes add past float64's range may overflow in one order and not in another;
    there (only) a reduced result may differ in finiteness, provided the unreduced losses agree.
    """
    theirs = expected.detach().numpy()
    ours = np.asarray(batch.shaped(calc.result), dtype=np.float64)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    found = compare("f", ours, theirs, atol=absolute_tolerance(calc))
    if found.matches:
        assert (np.isnan(ours) == np.isnan(theirs)).all()
        assert (ours[np.isinf(ours)] == theirs[np.isinf(ours)]).all()
        return
    assert ours_none is not None, (ours, theirs, found)
    none_found = compare(
        "f", np.asarray(batch.shaped(ours_none.result)), theirs_none.numpy(), atol=absolute_tolerance(ours_none)
    )
    terms = np.abs(np.asarray(ours_none.result, dtype=np.float64))
    assert none_found.matches, ("unreduced losses differ", ours, theirs)
    with np.errstate(over="ignore"):  # the sum of the terms is past float64's range: that is the point
        total = np.nansum(np.where(np.isfinite(terms), terms, 0.0))
    assert total > 1e306, (ours, theirs, found)


# ----------------------------------------------------------------------------- sigmoid and softmax


@examples(300)
@given(x=inputs(), temperature=st.sampled_from([1.0, 1.0, 0.5, 2.0, 1e-3, 1e3]))
def test_softmax(x: np.ndarray, temperature: float) -> None:
    batch = Batch.from_array(x)
    calc = S.softmax(batch.values, temperature)
    assert_parity(calc, batch, torch.softmax(tensor(x) / temperature, dim=1 if x.ndim > 1 else 0))


@examples(200)
@given(x=inputs())
def test_sigmoid(x: np.ndarray) -> None:
    batch = Batch.from_array(x)
    assert_parity(S.sigmoid(batch.values), batch, torch.sigmoid(tensor(x)))


# ----------------------------------------------------------------------------- nll and cross-entropy


@st.composite
def class_call(draw: st.DrawFn) -> dict:
    """Input, class-index targets of PyTorch's shape (sometimes all ignored), a weight, an ignore_index."""
    x = draw(inputs())
    c = x.shape[1] if x.ndim > 1 else x.shape[0]
    positions = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    ignore_index = draw(st.sampled_from([-100, -100, -1, 0, c - 1]))
    targets = draw(hnp.arrays(np.int64, positions, elements=st.integers(0, c - 1) | st.just(ignore_index)))
    if draw(st.integers(0, 5)) == 0:
        targets = np.full(positions, ignore_index, dtype=np.int64)
    weight = draw(st.none() | hnp.arrays(np.float64, (c,), elements=weight_values))
    if weight is not None and draw(st.booleans()):
        kept = targets[targets != ignore_index]
        weight[kept[(kept >= 0) & (kept < c)]] = 0.0  # the kept targets' weights sum to 0
    return {"x": x, "targets": targets, "weight": weight, "ignore_index": ignore_index}


def _class_rows(call: dict) -> tuple[Batch, np.ndarray]:
    batch = Batch.from_array(call["x"])
    return batch, np.asarray(call["targets"]).reshape(-1)


@examples(400)
@given(call=class_call(), reduction=st.sampled_from(REDUCTIONS))
def test_nll(call: dict, reduction: str) -> None:
    batch, targets = _class_rows(call)
    weight = None if call["weight"] is None else tensor(call["weight"])
    expected, error = torch_or_error(
        lambda: F.nll_loss(
            tensor(call["x"]),
            torch.from_numpy(call["targets"]),
            weight=weight,
            ignore_index=call["ignore_index"],
            reduction=reduction,
        )
    )
    if error is not None:
        with pytest.raises(ValueError):
            S.nll(batch.values, targets, call["weight"], call["ignore_index"], reduction)
        return
    calc = S.nll(batch.values, targets, call["weight"], call["ignore_index"], reduction)
    none = S.nll(batch.values, targets, call["weight"], call["ignore_index"], "none")
    theirs_none = F.nll_loss(
        tensor(call["x"]),
        torch.from_numpy(call["targets"]),
        weight=weight,
        ignore_index=call["ignore_index"],
        reduction="none",
    )
    assert_parity(calc, batch, expected, none, theirs_none)


@examples(500)
@given(
    call=class_call(),
    reduction=st.sampled_from(REDUCTIONS),
    smoothing=st.sampled_from([0.0, 0.1, 0.5, 1.0, -0.3, 1.5]),
)
def test_cross_entropy_with_class_indices(call: dict, reduction: str, smoothing: float) -> None:
    batch, targets = _class_rows(call)
    weight = None if call["weight"] is None else tensor(call["weight"])

    def theirs(reduction: str) -> torch.Tensor:
        return F.cross_entropy(
            tensor(call["x"]),
            torch.from_numpy(call["targets"]),
            weight=weight,
            ignore_index=call["ignore_index"],
            reduction=reduction,
            label_smoothing=smoothing,
        )

    def ours(reduction: str) -> S.Calculation:
        return S.cross_entropy(batch.values, targets, call["weight"], call["ignore_index"], reduction, smoothing)

    expected, error = torch_or_error(lambda: theirs(reduction))
    if error is not None:
        with pytest.raises(ValueError):
            ours(reduction)
        return
    assert_parity(ours(reduction), batch, expected, ours("none"), theirs("none"))


@examples(400)
@given(
    x=inputs(),
    data=st.data(),
    reduction=st.sampled_from(REDUCTIONS),
    smoothing=st.sampled_from([0.0, 0.0, 0.2, 1.0, -0.3, 1.5]),
    ignore_index=st.sampled_from([-100, -100, -7, 0]),
)
def test_cross_entropy_with_probabilities(
    x: np.ndarray, data: st.DataObject, reduction: str, smoothing: float, ignore_index: int
) -> None:
    q = data.draw(hnp.arrays(np.float64, x.shape, elements=soft_values))
    c = x.shape[1] if x.ndim > 1 else x.shape[0]
    w = data.draw(st.none() | hnp.arrays(np.float64, (c,), elements=weight_values))
    batch = Batch.from_array(x)
    rows = batch.layout.rows(q)

    def theirs(reduction: str) -> torch.Tensor:
        return F.cross_entropy(
            tensor(x),
            tensor(q),
            weight=None if w is None else tensor(w),
            ignore_index=ignore_index,
            reduction=reduction,
            label_smoothing=smoothing,
        )

    def ours(reduction: str) -> S.Calculation:
        return S.cross_entropy(batch.values, rows, w, ignore_index, reduction, smoothing)

    expected, error = torch_or_error(lambda: theirs(reduction))
    if error is not None:
        with pytest.raises(ValueError):
            ours(reduction)
        return
    assert_parity(ours(reduction), batch, expected, ours("none"), theirs("none"))


# ----------------------------------------------------------------------------- binary cross-entropy


@st.composite
def broadcast_shape(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A weight's shape: mostly one PyTorch broadcasts onto `shape` (scalar, per class, (N, 1), full), sometimes not."""
    form = draw(st.sampled_from(["scalar", "last", "ones", "suffix", "full", "wrong"]))
    if form == "scalar":
        return ()
    if form == "last":
        return (shape[-1],)
    if form == "ones":
        return tuple(draw(st.sampled_from([1, size])) for size in shape)
    if form == "suffix":
        return shape[draw(st.integers(0, len(shape) - 1)) :]
    if form == "full":
        return shape
    return tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, len(shape) + 1))))


@examples(500)
@given(x=inputs(), data=st.data(), reduction=st.sampled_from(REDUCTIONS))
def test_bce_with_logits(x: np.ndarray, data: st.DataObject, reduction: str) -> None:
    y = data.draw(hnp.arrays(np.float64, x.shape, elements=soft_values | st.sampled_from([-inf, -2.0])))
    w = data.draw(st.none() | hnp.arrays(np.float64, data.draw(broadcast_shape(x.shape)), elements=weight_values))
    pw = data.draw(st.none() | hnp.arrays(np.float64, data.draw(broadcast_shape(x.shape)), elements=weight_values))
    batch = Batch.from_array(x).with_class_axis(-1)

    def theirs(reduction: str) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(
            tensor(x),
            tensor(y),
            weight=None if w is None else tensor(w),
            pos_weight=None if pw is None else tensor(pw),
            reduction=reduction,
        )

    def ours(reduction: str) -> S.Calculation:
        full = [None if v is None else batch.layout.rows(S.broadcast_like(v, x.shape, "--weight")) for v in (w, pw)]
        return S.binary_cross_entropy(batch.values, batch.layout.rows(y), full[0], full[1], reduction)

    expected, error = torch_or_error(lambda: theirs(reduction))
    if error is not None:
        with pytest.raises(ValueError):
            ours(reduction)
        return
    assert_parity(ours(reduction), batch, expected, ours("none"), theirs("none"))


probabilities = st.one_of(st.floats(0, 1), st.sampled_from([0.0, 1.0, 5e-324, 1e-310, 1 - 1e-16, 0.5]))


@examples(300)
@given(x=inputs(), data=st.data(), reduction=st.sampled_from(REDUCTIONS))
def test_bce_on_probabilities(x: np.ndarray, data: st.DataObject, reduction: str) -> None:
    """Mostly probabilities (PyTorch's domain), sometimes the raw input, which PyTorch refuses outside [0, 1]."""
    p = data.draw(hnp.arrays(np.float64, x.shape, elements=probabilities)) if data.draw(st.integers(0, 4)) else x
    y = data.draw(hnp.arrays(np.float64, x.shape, elements=probabilities | st.sampled_from([nan, 1.5])))
    w = data.draw(st.none() | hnp.arrays(np.float64, data.draw(broadcast_shape(x.shape)), elements=weight_values))
    batch = Batch.from_array(p).with_class_axis(-1)

    def theirs(reduction: str) -> torch.Tensor:
        weight = None if w is None else tensor(w)
        return F.binary_cross_entropy(tensor(p), tensor(y), weight=weight, reduction=reduction)

    def ours(reduction: str) -> S.Calculation:
        full = None if w is None else batch.layout.rows(S.broadcast_like(w, p.shape, "--weight"))
        return S.binary_cross_entropy_probs(batch.values, batch.layout.rows(y), full, reduction)

    expected, error = torch_or_error(lambda: theirs(reduction))
    if error is not None:
        with pytest.raises(ValueError):
            ours(reduction)
        return
    assert_parity(ours(reduction), batch, expected, ours("none"), theirs("none"))


# ----------------------------------------------------------------------------- the CLI route


def _numbers(value):  # noqa: ANN001, ANN202 - JSON back to floats
    if isinstance(value, list):
        return np.array([_numbers(v) for v in value], dtype=np.float64)
    return np.float64(float(value))


def _cli_matches(out, expected: torch.Tensor) -> None:  # noqa: ANN001 - conftest's Run
    """The CLI's result in PyTorch's shape, NaN and infinities in PyTorch's places, finite values as --check says.

    Finite values are judged by the run's own --check (its tolerance scales with the numbers involved: a sum
    of 1e308 and -1e308 keeps only what its order keeps), which these tests run on the same call.
    """
    assert out.code == 0, out.stderr
    doc = out.json()
    ours = np.asarray(_numbers(doc["result"]), dtype=np.float64)
    theirs = expected.numpy()
    assert ours.shape == theirs.shape
    assert (np.isnan(ours) == np.isnan(theirs)).all()
    assert (ours[np.isinf(ours)] == theirs[np.isinf(ours)]).all()
    check = doc["torch_check"]
    assert check["matches"] and check["shape"] == list(theirs.shape), check
    finite = np.isfinite(ours)
    assert (np.abs(ours[finite] - theirs[finite]) <= check["atol"] + check["rtol"] * np.abs(theirs[finite])).all()
    assert all(set(note) >= {"id", "text"} for note in doc["notes"])


@examples(60)
@given(call=class_call(), reduction=st.sampled_from(REDUCTIONS), smoothing=st.sampled_from([0.0, 0.25]))
def test_cli_xent_on_any_shape_with_nan(run, call: dict, reduction: str, smoothing: float) -> None:
    x, t = call["x"], call["targets"]
    args = ["xent", dumps(x).decode(), "--targets", dumps(t).decode(), "-r", reduction]
    args += ["--ignore-index", str(call["ignore_index"]), "--label-smoothing", str(smoothing), "--json", "--check"]
    if call["weight"] is not None:
        args += ["--weight", dumps(call["weight"]).decode()]
    expected, error = torch_or_error(
        lambda: F.cross_entropy(
            tensor(x),
            torch.from_numpy(t),
            weight=None if call["weight"] is None else tensor(call["weight"]),
            ignore_index=call["ignore_index"],
            reduction=reduction,
            label_smoothing=smoothing,
        )
    )
    out = run(*args)
    if error is not None:
        assert out.code == 2 and out.stderr.startswith("Error: ")
        return
    _cli_matches(out, expected)


@examples(60)
@given(x=inputs(min_classes=2), data=st.data())
def test_cli_softmax_sigmoid_nll_on_any_shape_with_nan(run, x: np.ndarray, data: st.DataObject) -> None:
    text = dumps(x).decode()
    _cli_matches(run("softmax", text, "--json", "--check"), torch.softmax(tensor(x), dim=1 if x.ndim > 1 else 0))
    _cli_matches(run("sigmoid", text, "--json", "--check"), torch.sigmoid(tensor(x)))
    positions = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    t = data.draw(hnp.arrays(np.int64, positions, elements=st.integers(0, x.shape[1 if x.ndim > 1 else 0] - 1)))
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    out = run("nll", text, "--targets", dumps(t).decode(), "-r", reduction, "--json", "--check")
    _cli_matches(out, F.nll_loss(tensor(x), torch.from_numpy(t), reduction=reduction))


@examples(60)
@given(x=inputs(), data=st.data(), reduction=st.sampled_from(REDUCTIONS))
def test_cli_bce_on_any_shape_with_nan(run, x: np.ndarray, data: st.DataObject, reduction: str) -> None:
    y = data.draw(hnp.arrays(np.float64, x.shape, elements=soft_values))
    pw = data.draw(hnp.arrays(np.float64, (x.shape[-1],), elements=weight_values))
    out = run(
        "bce",
        dumps(x).decode(),
        "--targets",
        dumps(y).decode(),
        "--pos-weight",
        dumps(pw).decode(),
        "-r",
        reduction,
        "--check",
    )
    _cli_matches(
        out, F.binary_cross_entropy_with_logits(tensor(x), tensor(y), pos_weight=tensor(pw), reduction=reduction)
    )
