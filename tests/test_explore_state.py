"""explore's State: every key makes a new State, and every number it shows is the step functions' (and PyTorch's)."""

from __future__ import annotations

import numpy as np
import pytest
from explore_helpers import bear_state
from hypothesis import given, settings
from hypothesis import strategies as st

from logitcli import steps
from logitcli.explore.state import LEARNING_RATES, TEMPERATURES, LossOptions, State
from logitcli.inputs import article

X = np.array(article.BEAR_LOGITS)
T = np.array(article.BEAR_TARGETS)


def torch_xent(x: np.ndarray, targets: np.ndarray, temperature: float = 1.0, **options: object):  # noqa: ANN201
    """F.cross_entropy(x / T) and its gradient with respect to x, by autograd (float64)."""
    torch = pytest.importorskip("torch")
    logits = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    weight = options.pop("weight", None)
    w = None if weight is None else torch.tensor(weight, dtype=torch.float64)
    loss = torch.nn.functional.cross_entropy(logits / temperature, torch.tensor(targets), weight=w, **options)
    loss.backward(torch.ones_like(loss))
    return loss.detach().numpy(), logits.grad.numpy()


def torch_bce(x: np.ndarray, labels: np.ndarray, temperature: float = 1.0):  # noqa: ANN201
    torch = pytest.importorskip("torch")
    logits = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits / temperature, torch.tensor(labels))
    loss.backward()
    return loss.detach().numpy(), logits.grad.numpy()


def test_the_first_state_is_the_number_commands_answer() -> None:
    state = bear_state()
    assert np.array_equal(state.view.probs.result, steps.softmax(X).result)
    assert state.view.loss.result == steps.cross_entropy(X, T).result
    assert np.array_equal(state.view.grad, steps.cross_entropy_grad(X, T).values)


def test_the_first_state_is_pytorchs_answer() -> None:
    loss, grad = torch_xent(X, T)
    state = bear_state()
    assert state.total_loss() == pytest.approx(float(loss), rel=1e-12)
    np.testing.assert_allclose(state.view.grad, grad, rtol=1e-12, atol=1e-15)


def test_a_key_leaves_the_old_state_as_it_was() -> None:
    before = bear_state()
    after = before.nudge(0.1)
    assert before.numbers.logits[0, before.selected] == X[0, before.selected]
    assert after.numbers.logits[0, before.selected] == X[0, before.selected] + 0.1
    assert not after.numbers.logits.flags.writeable
    with pytest.raises(ValueError):
        after.numbers.logits[0, 0] = 5.0


def test_nudge_moves_one_logit_and_the_loss_follows() -> None:
    state = bear_state().pick(2).nudge(1.0)
    expected = X.copy()
    expected[0, 2] += 1.0
    assert np.array_equal(state.numbers.logits, expected)
    assert state.total_loss() == steps.cross_entropy(expected, T).result
    loss, grad = torch_xent(expected, T)
    np.testing.assert_allclose(state.view.grad, grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("up", [True, False])
def test_temperature_is_the_loss_on_x_over_t_and_its_gradient_on_x(up: bool) -> None:
    state = bear_state().temperature(up)
    t = state.numbers.temperature
    assert t == (1.5 if up else 0.7) and t in TEMPERATURES
    assert np.array_equal(state.view.probs.result, steps.softmax(X, t).result)
    loss, grad = torch_xent(X, T, temperature=t)
    assert state.total_loss() == pytest.approx(float(loss), rel=1e-12)
    np.testing.assert_allclose(state.view.grad, grad, rtol=1e-12, atol=1e-15)


def test_a_descent_step_is_steps_descend_and_the_loss_falls() -> None:
    state = bear_state()
    stepped = state.descend()
    calc = steps.with_gradient(steps.cross_entropy(X, T), steps.cross_entropy_grad(X, T))
    expected = steps.descend(calc, X, 1.0, lambda z: steps.cross_entropy(z, T))
    assert np.array_equal(stepped.numbers.logits, expected.after)
    assert stepped.descended is not None
    assert stepped.descended.after == expected.loss_after < expected.loss_before == stepped.descended.before
    assert stepped.total_loss() == stepped.descended.after


def test_a_step_too_large_makes_the_loss_grow() -> None:
    """Hard targets have no finite minimum (every step raises each margin); label smoothing puts one in reach."""
    state = bear_state(options=LossOptions(label_smoothing=0.1))
    for _ in range(4):
        state = state.learning_rate(up=True)
    assert state.numbers.lr == 100.0
    stepped = state.descend()
    assert stepped.descended is not None and stepped.descended.after > stepped.descended.before


def test_learning_rate_and_temperature_stop_at_the_ends_of_their_ladders() -> None:
    state = bear_state()
    for _ in range(20):
        state = state.learning_rate(up=False).temperature(up=False)
    assert (state.numbers.lr, state.numbers.temperature) == (LEARNING_RATES[0], TEMPERATURES[0])


def test_set_target_undo_and_reset() -> None:
    state = bear_state().set_target(0)
    assert state.target == 0 and state.total_loss() == steps.cross_entropy(X, np.array([0, 0, 2, 0, 2])).result
    undone = state.undo()
    assert undone.target == 1 and undone.total_loss() == steps.cross_entropy(X, T).result
    moved = bear_state().nudge(1).nudge(1).descend()
    reset = moved.reset()
    assert np.array_equal(reset.numbers.logits, X) and reset.undo().numbers is moved.numbers
    fresh = bear_state()
    assert fresh.undo() is fresh and fresh.reset() is fresh  # nothing to take back


def test_undo_remembers_a_bounded_number_of_changes() -> None:
    big = State.start(np.zeros((1024, 1024)))  # 8 MiB of logits: 16 copies (with the labels) fit 256 MiB
    for _ in range(20):
        big = big.nudge(0.1)
    assert 1 <= len(big.history) <= 16
    small = bear_state()
    for _ in range(30):
        small = small.nudge(0.1)
    assert len(small.history) == 30


def test_examples_wrap_round() -> None:
    state = bear_state()
    assert state.move_example(-1).example == 4 and state.move_example(5).example == 0


def test_without_targets_each_example_aims_at_its_top_class() -> None:
    state = State.start(X)
    assert list(state.numbers.targets) == list(np.argmax(X, axis=1)) and not state.targets_given


def test_sigmoid_mode_is_bce_on_each_logit() -> None:
    state = bear_state().switch_mode()
    labels = np.eye(3)[T]
    assert np.array_equal(state.numbers.labels, labels)
    assert state.total_loss() == steps.binary_cross_entropy(X, labels).result
    loss, grad = torch_bce(X, labels)
    assert state.total_loss() == pytest.approx(float(loss), rel=1e-12)
    np.testing.assert_allclose(state.view.grad, grad, rtol=1e-12, atol=1e-15)
    flipped = state.set_target(0)  # sigmoid mode: the class's y flips
    assert flipped.numbers.labels[0, 0] == 1.0 and flipped.numbers.labels[0, 1] == 1.0


def test_the_loss_options_are_xents() -> None:
    options = LossOptions(weight=np.array([0.2, 1.0, 3.0]), label_smoothing=0.1, reduction="sum")
    state = bear_state(options=options)
    loss, grad = torch_xent(X, T, weight=options.weight, label_smoothing=0.1, reduction="sum")
    assert state.total_loss() == pytest.approx(float(loss), rel=1e-12)
    np.testing.assert_allclose(state.view.grad, grad, rtol=1e-12, atol=1e-15)


def test_an_ignored_example_gets_no_gradient() -> None:
    state = State.start(X, np.array([1, -100, 2, 0, 2]))
    assert np.array_equal(state.view.grad[1], np.zeros(3))
    assert state.total_loss() == steps.cross_entropy(X, np.array([1, -100, 2, 0, 2])).result


@settings(max_examples=25)
@given(
    st.lists(st.floats(-30, 30), min_size=2, max_size=6),
    st.sampled_from(TEMPERATURES),
    st.integers(0, 5),
)
def test_any_logits_and_temperature_match_pytorch(row: list[float], t: float, target: int) -> None:
    x = np.array([row])
    targets = np.array([target % len(row)])
    state = State.start(x, targets, temperature=t)
    loss, grad = torch_xent(x, targets, temperature=t)
    assert state.total_loss() == pytest.approx(float(loss), rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(state.view.grad, grad, rtol=1e-10, atol=1e-12)
