"""The line under the table: each teaching moment appears when it happens, with the core's numbers in it, and
any logits (nan, infinities, huge, one class) lay out at 40, 80 and 120 columns in both languages."""

from __future__ import annotations

import numpy as np
import pytest
from explore_helpers import bear_state
from hypothesis import given, settings
from hypothesis import strategies as st

from logitcli import steps
from logitcli.explore.moments import find_moment
from logitcli.explore.screen import layout
from logitcli.explore.state import LossOptions, State
from logitcli.explore.texts import load_texts
from logitcli.output.render import format_number

NAMES = ["a", "b", "c"]


def moment(state: State) -> tuple[str, dict[str, str]]:
    found = find_moment(state, NAMES[: state.n_classes] if state.n_classes <= 3 else [str(i) for i in range(99)])
    return found.id, found.args


def test_the_gradient_s_row_sum_is_the_quiet_default() -> None:
    state = bear_state()
    assert moment(state) == ("grad_sums_to_zero", {"total": format_number(float(np.sum(state.view.grad[0])))})
    assert moment(state.switch_mode())[0] == "grad_alone"


def test_a_step_says_how_the_loss_moved() -> None:
    stepped = bear_state().descend()
    kind, args = moment(stepped)
    before = steps.cross_entropy(stepped.history[-1].logits, stepped.numbers.targets).result
    assert kind == "loss_fell" and args["before"] == format_number(before)
    grown = bear_state(options=LossOptions(label_smoothing=0.1), lr=100.0).descend()
    assert moment(grown)[0] == "loss_grew"


def test_an_exp_the_naive_softmax_would_overflow() -> None:
    assert moment(State.start(np.array([[1000.0, 0.0, -1000.0]]))) == ("overflow", {"z": "1000.0000"})
    assert moment(State.start(np.array([[-1000.0, 0.0, 1.0]]), mode="sigmoid"))[0] == "sigmoid_overflow"


def test_probabilities_float64_rounds_to_0_or_1() -> None:
    kind, args = moment(State.start(np.array([[-800.0, 3.0, 0.0]]), np.array([0])))
    log_p = steps.cross_entropy(np.array([[-800.0, 3.0, 0.0]]), np.array([0])).step("log_softmax").values[0, 0]
    assert kind == "underflow" and args == {"name": "a", "log_p": format_number(log_p)}
    assert moment(State.start(np.array([[40.0, 0.0, 0.0]])))[0] == "is_one"
    kind, args = moment(State.start(np.array([[11.0, 0.0, 0.0]])))
    assert kind == "rounds_to_one" and args["shown"] == "1.0000" and float(args["p"]) < 1
    assert moment(State.start(np.array([[40.0, 0.0, 0.0]]), mode="sigmoid"))[0] == "sigmoid_saturated"


def test_nan_and_ignored_examples() -> None:
    assert moment(State.start(np.array([[np.nan, 0.0, 1.0]])))[0] == "not_finite"
    assert moment(State.start(np.array([[0.5, 0.0, 1.0]]), np.array([-100])))[0] == "ignored"


ROW = st.lists(
    st.one_of(st.floats(-2000, 2000), st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 709.0, -745.0])),
    min_size=1,
    max_size=8,
)


@settings(max_examples=30, deadline=None)
@given(ROW, st.sampled_from(["softmax", "sigmoid"]), st.sampled_from([0.5, 1.0, 3.0]), st.sampled_from([40, 80, 120]))
def test_any_logits_lay_out_without_error_and_fit(row: list[float], mode: str, t: float, width: int) -> None:
    from rich.cells import cell_len

    state = State.start(np.array([row]), mode=mode, temperature=t)  # type: ignore[arg-type]
    for now in (state, state.descend()):
        for lang in ("en", "ja"):
            parts = layout(now, load_texts(lang), width, [f"class {i}" for i in range(len(row))], ["#0"])
            lines = [*parts.table.plain.splitlines(), *parts.moment.splitlines(), *parts.summary.plain.splitlines()]
            assert all(cell_len(line) <= width for line in lines)
            assert len(parts.cells["grad"]) == len(row)


@pytest.mark.parametrize("width", [40, 80])
def test_a_thousand_classes_show_the_top_ones_and_the_target(width: int) -> None:
    x = np.random.default_rng(0).normal(size=(2, 1000))
    state = State.start(x, np.array([7, 7]))
    parts = layout(state, load_texts("en"), width, [f"class {i}" for i in range(1000)], ["#0", "#1"])
    assert 7 in parts.classes and len(parts.classes) == 6
    assert "6 of 1000 classes shown" in parts.summary.plain.replace("\n", " ")
