"""What `explore` shows, as data: one immutable state per keypress, and its numbers from the step functions.

A `State` holds the numbers the user moves (the logits of every example, the targets, the temperature, the
mode, the learning rate, the loss options) and where they look (the example and the class picked). Every key
is a function `State -> State`: the old state is kept in `history`, so `u` undoes by taking it back. No
number is computed here: `State.view()` calls the same step functions as the number commands
(`steps.softmax`, `steps.cross_entropy` and its gradient, `steps.binary_cross_entropy` and its gradient,
`steps.descend`) and hands back their Calculations, which the widgets only show.

The loss is the whole batch's, as `logitcli xent --grad` computes it for the same logits and options, so the
final state leaves as the same JSON document. With a temperature T other than 1 the loss is the one on
z = x / T (as in distillation); its gradient with respect to the logits x is then the gradient at z divided by
T (the chain rule), which is what autograd gives for `F.cross_entropy(x / T, ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

import numpy as np

from logitcli import steps
from logitcli.steps.calculation import quiet

Mode = Literal["softmax", "sigmoid"]

#: The temperatures `t` and `T` step through, and the learning rates `[` and `]` step through.
TEMPERATURES = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
LEARNING_RATES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
#: How far ↑ / ↓ move a logit (shift: the larger step).
SMALL_STEP, LARGE_STEP = 0.1, 1.0
#: `u` goes back this many changes at most, and fewer for big batches: each change keeps a copy of the logits,
#: and the copies `u` can reach stay under HISTORY_BYTES however long the session runs.
HISTORY_STEPS, HISTORY_BYTES = 1000, 256 * 2**20


@dataclass(frozen=True, eq=False)
class LossOptions:
    """The loss options of `xent` (weight, ignore_index, label_smoothing) and the reduction both losses take."""

    weight: np.ndarray | None = None
    ignore_index: int = steps.DEFAULT_IGNORE_INDEX
    label_smoothing: float = 0.0
    reduction: str = "mean"


@dataclass(frozen=True, eq=False)
class Numbers:
    """What a key can change and `u` takes back: arrays are read-only, so no state can change another's."""

    logits: np.ndarray  # (N, C) float64
    targets: np.ndarray  # (N,) class indices (ignore_index for an ignored example): the softmax mode's targets
    labels: np.ndarray  # (N, C) 0/1: the sigmoid mode's targets, one per logit
    temperature: float = 1.0
    mode: Mode = "softmax"
    lr: float = 1.0


@dataclass(frozen=True)
class Descended:
    """The last `g`: the learning rate and the loss before and after (summed when the reduction is none)."""

    lr: float
    before: float
    after: float


@dataclass(frozen=True)
class View:
    """The calculations of one state: the probabilities and the loss with its gradient, for every example.

    `probs` is `steps.softmax` (with the temperature) or `steps.sigmoid` on z = x / T; `loss` is
    `steps.cross_entropy` or `steps.binary_cross_entropy` on z with its gradient's steps joined, and
    `loss.grad` already holds ∂L/∂x (the gradient at z over T).
    """

    probs: steps.Calculation
    loss: steps.Calculation

    @property
    def grad(self) -> np.ndarray:
        assert self.loss.grad is not None
        return self.loss.grad


def _frozen(array: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    out = np.array(array, dtype=dtype)
    out.setflags(write=False)
    return out


def one_hot(targets: np.ndarray, n_classes: int, ignore_index: int) -> np.ndarray:
    """Class indices as 0/1 rows (an ignored example: all 0), the sigmoid mode's first labels."""
    labels = np.zeros((len(targets), n_classes))
    kept = targets != ignore_index
    labels[np.flatnonzero(kept), targets[kept]] = 1.0
    return labels


def top_classes(logits: np.ndarray) -> np.ndarray:
    """Each example's largest logit (the model's answer): the target when none is given; nan counts as none."""
    with quiet():
        return np.argmax(np.where(np.isnan(logits), -np.inf, logits), axis=1)


def _ladder(values: tuple[float, ...], now: float, up: bool) -> float:
    """The next value above (or below) `now` on a ladder; at its end, `now` stays."""
    if up:
        return next((v for v in values if v > now * (1 + 1e-9)), now)
    return next((v for v in reversed(values) if v < now * (1 - 1e-9)), now)


@dataclass(frozen=True, eq=False)
class State:
    """One moment of the explorer. Every method that takes a key returns a new State and leaves this one as it is."""

    numbers: Numbers
    options: LossOptions = field(default_factory=LossOptions)
    example: int = 0
    selected: int = 0
    history: tuple[Numbers, ...] = ()
    initial: Numbers | None = None
    descended: Descended | None = None
    targets_given: bool = True

    @classmethod
    def start(
        cls,
        logits: np.ndarray,
        targets: np.ndarray | None = None,
        *,
        options: LossOptions | None = None,
        temperature: float = 1.0,
        lr: float = 1.0,
        mode: Mode = "softmax",
    ) -> State:
        """The first state: without targets each example's target is its top class (and `targets_given` is False)."""
        x = np.asarray(logits, dtype=np.float64)
        options = options or LossOptions()
        given = targets is not None
        t = np.asarray(targets, dtype=np.int64) if given else top_classes(x)
        numbers = Numbers(
            _frozen(x),
            _frozen(t, np.int64),
            _frozen(one_hot(t, x.shape[1], options.ignore_index)),
            temperature,
            mode,
            lr,
        )
        first_class = int(t[0]) if t[0] != options.ignore_index else 0
        return cls(numbers, options, selected=first_class, initial=numbers, targets_given=given)

    # ------------------------------------------------------------------ reading

    @property
    def n_examples(self) -> int:
        return int(self.numbers.logits.shape[0])

    @property
    def n_classes(self) -> int:
        return int(self.numbers.logits.shape[1])

    @property
    def target(self) -> int:
        """The current example's target class (ignore_index when it is ignored)."""
        return int(self.numbers.targets[self.example])

    @cached_property
    def view(self) -> View:
        """The step functions on this state's numbers (computed once per state)."""
        n = self.numbers
        t = n.temperature
        with quiet():
            z = n.logits if t == 1.0 else n.logits / t
        if n.mode == "softmax":
            probs = steps.softmax(n.logits, t)
            loss = steps.with_gradient(steps.cross_entropy(z, **self._loss_options()), self._gradient(z))
        else:
            probs = steps.sigmoid(z)
            loss = steps.with_gradient(steps.binary_cross_entropy(z, **self._loss_options()), self._gradient(z))
        if t != 1.0:
            with quiet():
                loss = replace(loss, grad=loss.grad / t)
        return View(probs, loss)

    def _loss_options(self) -> dict[str, object]:
        n, o = self.numbers, self.options
        if n.mode == "sigmoid":
            return {"targets": n.labels, "reduction": o.reduction}
        return {
            "targets": n.targets,
            "weight": o.weight,
            "ignore_index": o.ignore_index,
            "reduction": o.reduction,
            "label_smoothing": o.label_smoothing,
        }

    def _gradient(self, z: np.ndarray) -> steps.Gradient:
        if self.numbers.mode == "sigmoid":
            return steps.binary_cross_entropy_grad(z, **self._loss_options())
        return steps.cross_entropy_grad(z, **self._loss_options())

    def total_loss(self) -> float:
        """The loss as one number: the reduced loss, or the sum of the per-example losses (reduction none)."""
        with quiet():
            return float(np.sum(self.view.loss.result))

    def example_loss(self) -> float:
        """The current example's own loss before the reduction (its row of the `loss` step, summed in sigmoid mode)."""
        values = self.view.loss.step("loss").values[self.example]
        with quiet():
            return float(np.sum(values))

    # ------------------------------------------------------------------ keys

    def _changed(self, numbers: Numbers, **more: object) -> State:
        """A new state with new numbers; this one's numbers go on the history for `u`."""
        # a cached view is per state: `replace` builds a fresh object, so nothing stale is carried over
        keep = max(1, min(HISTORY_STEPS, HISTORY_BYTES // max(self.numbers.logits.nbytes * 2, 1)))
        history = (*self.history, self.numbers)[-keep:]
        return replace(self, numbers=numbers, history=history, descended=None, **more)  # type: ignore[arg-type]

    def pick(self, index: int) -> State:
        """← / → and a click on a row: that class (the screen knows which rows it shows, and their order)."""
        return replace(self, selected=index % self.n_classes)

    def move_example(self, delta: int) -> State:
        """n / p: the next or previous example (wrapping round), with its target picked (the class stays when
        the example is ignored)."""
        example = (self.example + delta) % self.n_examples
        target = int(self.numbers.targets[example])
        selected = target if target != self.options.ignore_index else self.selected
        return replace(self, example=example, selected=selected)

    def nudge(self, amount: float, index: int | None = None) -> State:
        """↑ / ↓ (and the mouse): add `amount` to one logit of the current example (the picked one by default)."""
        index = self.selected if index is None else index
        logits = np.array(self.numbers.logits)
        with quiet():
            logits[self.example, index] += amount
        return self._changed(replace(self.numbers, logits=_frozen(logits)))

    def set_target(self, index: int) -> State:
        """0-9 or enter: the current example's target; in sigmoid mode, that class's label flips between 0 and 1."""
        if not 0 <= index < self.n_classes:
            return self
        n = self.numbers
        targets, labels = np.array(n.targets), np.array(n.labels)
        if n.mode == "sigmoid":
            labels[self.example, index] = 1.0 - labels[self.example, index]
        else:
            targets[self.example] = index
            labels[self.example] = one_hot(np.array([index]), self.n_classes, self.options.ignore_index)[0]
        changed = replace(n, targets=_frozen(targets, np.int64), labels=_frozen(labels))
        return self._changed(changed, targets_given=True)

    def temperature(self, up: bool) -> State:
        """t / T: the next temperature down or up."""
        t = _ladder(TEMPERATURES, self.numbers.temperature, up)
        return self if t == self.numbers.temperature else self._changed(replace(self.numbers, temperature=t))

    def learning_rate(self, up: bool) -> State:
        """[ / ]: the next learning rate down or up."""
        lr = _ladder(LEARNING_RATES, self.numbers.lr, up)
        return self if lr == self.numbers.lr else self._changed(replace(self.numbers, lr=lr))

    def switch_mode(self) -> State:
        """m: softmax (one class of many, cross-entropy) or sigmoid (each logit alone, binary cross-entropy)."""
        mode: Mode = "sigmoid" if self.numbers.mode == "softmax" else "softmax"
        return self._changed(replace(self.numbers, mode=mode))

    def descend(self) -> State:
        """g: one step of gradient descent on every example's logits, x - lr · ∂L/∂x (`steps.descend`)."""
        n = self.numbers
        x = n.logits
        descent = steps.descend(self.view.loss, x, n.lr, lambda after: self._at(after).view.loss)
        after = replace(n, logits=_frozen(descent.after))
        with quiet():
            before_total, after_total = float(np.sum(descent.loss_before)), float(np.sum(descent.loss_after))
        return replace(self._changed(after), descended=Descended(n.lr, before_total, after_total))

    def _at(self, logits: np.ndarray) -> State:
        """This state with other logits and no history (to compute the loss after a step)."""
        return State(replace(self.numbers, logits=_frozen(logits)), self.options)

    def undo(self) -> State:
        """u: the numbers before the last change (the example and class looked at stay)."""
        if not self.history:
            return self
        return replace(self, numbers=self.history[-1], history=self.history[:-1], descended=None)

    def reset(self) -> State:
        """r: the numbers the explorer started with; `u` takes the reset back."""
        if self.initial is None or self.initial is self.numbers:
            return self
        return self._changed(self.initial)
