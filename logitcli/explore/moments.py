"""Teaching moments: the one line under the table that says what just happened and why.

Each moment is found from the state's own Calculations (nothing is recomputed) and returned as an id and
the values it names, so the screen can say it in the reader's language (explore/texts/*.toml, [moments]).
The first that applies wins, most urgent first: logits that are nan or infinite, a step that made the loss
grow, an exp that would overflow, a probability that float64 rounds to exactly 0 or 1 (or that 4 decimals
show as 1), a step that worked, an ignored example, and last the gradient's row sum, always worth seeing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from logitcli.explore.state import State
from logitcli.output.render import format_number
from logitcli.steps.calculation import quiet


@dataclass(frozen=True)
class Moment:
    id: str
    args: dict[str, str] = field(default_factory=dict)


def find_moment(state: State, names: list[str], precision: int = 4) -> Moment:
    """The line to show for this state; `names` are the class names."""
    number = lambda value: format_number(float(value), precision)  # noqa: E731
    if not np.isfinite(state.numbers.logits[state.example]).all():
        return Moment("not_finite")
    done = state.descended
    if done is not None and not (np.isfinite(done.before) and np.isfinite(done.after)):
        done = None  # a loss of nan or inf elsewhere in the batch neither falls nor grows
    if done is not None and done.after > done.before:
        return Moment("loss_grew", {"before": number(done.before), "after": number(done.after), "lr": f"{done.lr:g}"})
    found = _overflow(state, number) or _rounding(state, names, precision, number)
    if found is not None:
        return found
    if done is not None and done.after < done.before:
        return Moment("loss_fell", {"before": number(done.before), "after": number(done.after), "lr": f"{done.lr:g}"})
    if state.numbers.mode == "softmax" and state.target == state.options.ignore_index:
        return Moment("ignored")
    with quiet():
        total = float(np.sum(state.view.grad[state.example]))
    kind = "grad_sums_to_zero" if state.numbers.mode == "softmax" else "grad_alone"
    return Moment(kind, {"total": format_number(total, precision)})


def _overflow(state: State, number) -> Moment | None:  # noqa: ANN001
    """An exp the article's naive form would take that is beyond float64 (the step's own naive column says so)."""
    probs, row = state.view.probs, state.example
    if state.numbers.mode == "softmax":
        naive, z = probs.step("exp").values[row], probs.step("scaled" if state.numbers.temperature != 1 else "logits")
        bad = np.isinf(naive) & np.isfinite(z.values[row])
        return Moment("overflow", {"z": number(z.values[row][bad].max())}) if bad.any() else None
    naive, x = probs.step("exp_neg_x").values[row], probs.step("logits").values[row]
    bad = np.isinf(naive) & np.isfinite(x)
    return Moment("sigmoid_overflow", {"z": number(x[bad].min())}) if bad.any() else None


def _rounding(state: State, names: list[str], precision: int, number) -> Moment | None:  # noqa: ANN001
    """A probability of exactly 0 or 1 in float64, or one that the table's decimals show as 1."""
    row = state.example
    mode = state.numbers.mode
    p = state.view.probs.step("softmax" if mode == "softmax" else "sigmoid").values[row]
    log_p = state.view.loss.step("log_softmax" if mode == "softmax" else "log_sigmoid").values[row]
    if state.n_classes == 1 and mode == "softmax" or np.isnan(p).any():
        return None  # one class: its probability is 1 by definition
    with quiet():
        rest = 1.0 - p
    if mode == "softmax":
        zero = np.flatnonzero(p == 0.0)
        if zero.size:
            k = int(zero[0])
            return Moment("underflow", {"name": names[k], "log_p": number(log_p[k])})
        ones = np.flatnonzero(p == 1.0)
        if ones.size:
            k = int(ones[0])
            others = float(np.sum(np.delete(np.exp(log_p), k)))
            return Moment("is_one", {"name": names[k], "rest": number(others), "log_p": number(log_p[k])})
    else:
        saturated = np.flatnonzero((p == 1.0) | (p == 0.0))
        if saturated.size:
            k = int(saturated[0])
            log_q = state.view.loss.step("log_one_minus_sigmoid").values[row]
            args = {"name": names[k], "p": f"{p[k]:g}", "log_p": number(log_p[k]), "log_q": number(log_q[k])}
            return Moment("sigmoid_saturated", args)
        return None
    shown = [format_number(v, precision) for v in p]
    near = [k for k, text in enumerate(shown) if float(text) == 1.0 and p[k] != 1.0]
    if near:
        k = near[0]
        long = f"{p[k]:.{precision + 6}f}".rstrip("0")
        return Moment("rounds_to_one", {"name": names[k], "shown": shown[k], "p": long, "rest": number(rest[k])})
    return None
