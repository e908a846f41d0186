"""explore driven headless with Textual's Pilot: a test per key (and for the mouse), each asserting that the
numbers on the screen are the step functions' for the state the keys should have reached, computed here
from scratch (and PyTorch's, where it is installed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np
import pytest
from explore_helpers import NAMES, bear_app, bear_state, screen_text
from textual import events

from logitcli import steps
from logitcli.explore.state import LossOptions
from logitcli.inputs import article
from logitcli.output.render import format_number

X = np.array(article.BEAR_LOGITS)
T = np.array(article.BEAR_TARGETS)


def drive(keys: list[str], size: tuple[int, int] = (100, 30), check: Callable | None = None, **app_options):  # noqa: ANN201
    """Press `keys` in a headless app; return the app (its state, the parts it shows) and the screen text."""
    app = bear_app(**app_options)

    async def run() -> str:
        async with app.run_test(size=size) as pilot:
            await pilot.press(*keys)
            await pilot.pause()
            if check is not None:
                await check(pilot)
            return screen_text(app)

    text = asyncio.run(run())
    return app, text


def assert_shows(app, text: str, x: np.ndarray, targets: np.ndarray, example: int = 0, t: float = 1.0) -> None:  # noqa: ANN001
    """The shown softmax, log softmax and gradient columns are the core's for logits x, and on the screen."""
    z = x / t if t != 1.0 else x
    probs = steps.softmax(x, t).result[example]
    log_p = steps.cross_entropy(z, targets).step("log_softmax").values[example]
    grad = steps.cross_entropy_grad(z, targets).values[example] / t
    cells = app.parts.cells
    assert list(cells["x"]) == [format_number(v) for v in x[example]]
    assert list(cells["p"]) == [format_number(v) for v in probs]
    assert list(cells["log_p"]) == [format_number(v) for v in log_p]
    assert list(cells["grad"]) == [format_number(v) for v in grad]
    loss = steps.cross_entropy(z, targets).result
    assert f"loss (mean) {format_number(loss)}" in text
    for k, name in enumerate(NAMES):
        line = next(line for line in text.splitlines() if f" {name} " in line)
        for column in ("x", "p", "log_p", "grad"):
            assert cells[column][k] in line
    try:
        import torch
    except ImportError:
        return
    logits = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    torch_loss = torch.nn.functional.cross_entropy(logits / t, torch.tensor(targets))
    torch_loss.backward()
    assert format_number(torch_loss.item()) == format_number(loss)
    assert list(cells["grad"]) == [format_number(v + 0.0) for v in logits.grad.numpy()[example]]


def moved(row: int, k: int, amount: float) -> np.ndarray:
    x = X.copy()
    x[row, k] += amount
    return x


def test_the_first_screen_is_the_core_s() -> None:
    app, text = drive([])
    assert_shows(app, text, X, T)
    assert app.state.selected == 1  # the target's row is picked first


@pytest.mark.parametrize(("key", "expected"), [("right", 2), ("left", 0), ("right,right", 0)])
def test_arrows_pick_a_class(key: str, expected: int) -> None:
    app, text = drive(key.split(","))
    assert app.state.selected == expected


@pytest.mark.parametrize(("key", "amount"), [("up", 0.1), ("down", -0.1), ("shift+up", 1.0), ("shift+down", -1.0)])
def test_up_and_down_move_the_picked_logit(key: str, amount: float) -> None:
    app, text = drive([key])
    x = moved(0, 1, amount)
    assert np.array_equal(app.state.numbers.logits, x)
    assert_shows(app, text, x, T)


@pytest.mark.parametrize("keys", [["0"], ["left", "enter"]])
def test_a_digit_or_enter_sets_the_target(keys: list[str]) -> None:
    app, text = drive(keys)
    targets = T.copy()
    targets[0] = 0
    assert app.state.target == 0 and "target Grizzly" in text
    assert_shows(app, text, X, targets)


@pytest.mark.parametrize(("key", "t"), [("t", 0.7), ("T", 1.5)])
def test_t_lowers_and_shift_t_raises_the_temperature(key: str, t: float) -> None:
    app, text = drive([key])
    assert app.state.numbers.temperature == t and f"T {t:g}" in text
    assert_shows(app, text, X, T, t=t)


def test_g_takes_one_descent_step_and_the_loss_falls() -> None:
    app, text = drive(["g"])
    calc = steps.with_gradient(steps.cross_entropy(X, T), steps.cross_entropy_grad(X, T))
    descent = steps.descend(calc, X, 1.0, lambda z: steps.cross_entropy(z, T))
    assert np.array_equal(app.state.numbers.logits, descent.after)
    assert_shows(app, text, descent.after, T)
    assert f"the loss fell from {format_number(descent.loss_before)} to {format_number(descent.loss_after)}" in text


def test_a_step_too_large_is_called_so() -> None:
    state = bear_state(options=LossOptions(label_smoothing=0.1))
    app, text = drive(["]", "]", "]", "]", "g"], state=state)
    assert app.state.numbers.lr == 100.0 and "The loss grew from" in text.replace("\n", " ")


@pytest.mark.parametrize(("keys", "lr"), [(["["], 0.3), (["]"], 3.0), (["]", "]", "["], 3.0)])
def test_brackets_change_the_learning_rate(keys: list[str], lr: float) -> None:
    app, text = drive(keys)
    assert app.state.numbers.lr == lr and f"lr {lr:g}" in text


def test_u_undoes_and_r_resets() -> None:
    app, text = drive(["up", "up", "u"])
    assert_shows(app, text, moved(0, 1, 0.1), T)
    app, text = drive(["up", "g", "0", "r"])
    assert_shows(app, text, X, T)


@pytest.mark.parametrize(("key", "example"), [("n", 1), ("p", 4)])
def test_n_and_p_move_through_the_batch(key: str, example: int) -> None:
    app, text = drive([key])
    assert app.state.example == example and f"example {example + 1} of 5" in text
    assert_shows(app, text, X, T, example=example)


def test_m_switches_to_sigmoid_and_bce() -> None:
    app, text = drive(["m"])
    labels = np.eye(3)[T]
    calc = steps.binary_cross_entropy(X, labels)
    cells = app.parts.cells
    assert list(cells["p"]) == [format_number(v) for v in calc.step("sigmoid").values[0]]
    assert list(cells["grad"]) == [format_number(v) for v in steps.binary_cross_entropy_grad(X, labels).values[0]]
    assert list(cells["y"]) == ["0", "1", "0"]
    assert f"loss (mean) {format_number(calc.result)}" in text and "binary cross-entropy" in text


def test_l_switches_the_language() -> None:
    app, text = drive(["l"])
    assert app.lang == "ja" and "正解 Brown" in text
    app, text = drive(["l", "l"])
    assert "target Brown" in text


def test_question_mark_opens_the_help_and_any_key_closes_it() -> None:
    async def check(pilot) -> None:  # noqa: ANN001
        assert "pick a class" in screen_text(pilot.app)
        await pilot.press("x")
        await pilot.pause()
        assert "pick a class" not in screen_text(pilot.app)

    drive(["question_mark"], check=check)


def test_q_quits_with_the_final_state() -> None:
    app, _ = drive(["up", "q"])
    assert app.return_value is not None and np.array_equal(app.return_value.numbers.logits, moved(0, 1, 0.1))


def _row_y(app, k: int) -> int:  # noqa: ANN001
    table = app.query_one("#table")
    return table.region.y + app.parts.row_classes.index(k)


def test_a_click_picks_a_row() -> None:
    async def check(pilot) -> None:  # noqa: ANN001
        await pilot.click(offset=(5, _row_y(pilot.app, 2)))
        await pilot.pause()
        assert pilot.app.state.selected == 2

    drive([], check=check)


def test_scrolling_over_a_row_moves_its_logit() -> None:
    async def check(pilot) -> None:  # noqa: ANN001
        app = pilot.app
        y = _row_y(app, 0)
        from textual import events

        table = app.query_one("#table")
        table.post_message(events.MouseScrollUp(table, 5, y - table.region.y, 0, 0, 0, False, False, False))
        await pilot.pause()
        assert np.array_equal(app.state.numbers.logits, moved(0, 0, 0.1))

    drive([], check=check)


def test_dragging_along_a_row_moves_its_logit_by_one_undo_step() -> None:
    async def check(pilot) -> None:  # noqa: ANN001
        app = pilot.app
        y = _row_y(app, 2)
        await pilot.mouse_down(offset=(20, y))
        await pilot.hover(offset=(23, y))
        await pilot.mouse_up(offset=(23, y))
        await pilot.pause()
        step = app.query_one("#table").drag_step
        assert step >= 0.1
        assert np.allclose(app.state.numbers.logits, moved(0, 2, 3 * step))
        assert len(app.state.history) == 1

    drive([], check=check)


def test_keys_typed_fast_after_the_help_close_it_once() -> None:
    """Keys in a row on the help screen: the first closes it, the next are the explorer's (no stack error)."""
    app, text = drive(["question_mark", "x", "up"])
    assert np.array_equal(app.state.numbers.logits, moved(0, 1, 0.1))

    async def fast(pilot) -> None:  # noqa: ANN001
        await pilot.press("question_mark")
        await pilot.pause()
        for key in ("x", "up", "up"):  # delivered before the help screen has gone
            pilot.app.screen.post_message(events.Key(key, None))
        await pilot.pause()
        await pilot.pause()
        assert np.array_equal(pilot.app.state.numbers.logits, moved(0, 1, 0.2))

    drive([], check=fast)


def test_the_next_example_picks_its_target() -> None:
    app, _ = drive(["n"])
    assert app.state.selected == T[1]
