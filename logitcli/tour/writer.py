"""What every lesson of the tour writes with: the language's sentences filled with numbers, the commands'
own tables each paired with its PyTorch check, and the curve and number helpers the lessons share.

A lesson (`lessons/`) decides what its section shows; the `Writer` turns that into blocks. Nothing here
computes a number: every number comes from `logitcli.steps`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from logitcli.inputs.batch import Batch
from logitcli.model.check import TorchCheck, check, check_gradient, function_name, gradient_function_name
from logitcli.output.render import format_number
from logitcli.steps import Calculation, Step
from logitcli.steps.diagnosis import diagnose
from logitcli.tour.data import (
    Block,
    CalcTable,
    Check,
    Curve,
    Mark,
    Prose,
    Section,
)

CURVE_SAMPLES = 61


CURVE_HALF_RANGE = 8.0


CURVE_MAX_HALF_RANGE = 20.0


SLOPE_HALF_RANGE = 10.0


def num(value: float) -> str:
    return format_number(float(value), 4)


def nums(values: np.ndarray) -> str:
    return "[" + ", ".join(num(v) for v in np.ravel(values)) + "]"


def logits_calc(values: np.ndarray) -> Calculation:
    """The logits as a one-step Calculation, so they print as every other table does."""
    return Calculation("logits", (Step("logits", "x", values, "logit"),), values)


def only(calc: Calculation, *names: str) -> Calculation:
    """The same calculation showing only some steps (and no English notes: the prose says it)."""
    return replace(calc, steps=tuple(calc.step(name) for name in names), notes=())


def say_note(said: Mapping[str, str], note: str, words: Mapping[str, str]) -> str:
    """A note in the tour's language; the English phrases among its values (`number of kept examples`) too."""
    text = said.get(getattr(note, "id", ""))
    if text is None:
        return str(note)
    args = {key: words.get(value, value) for key, value in getattr(note, "args", {}).items()}
    try:
        return text.format(**args)
    except (KeyError, IndexError, ValueError):
        return str(note)


class Writer:
    """Fills the language's sentences with numbers and pairs each computed table with its PyTorch check."""

    def __init__(
        self, texts: dict[str, dict[str, Any]], torch_checks: bool, *, run_model: bool = True, seed: int = 0
    ) -> None:
        self.texts = texts
        self.torch_checks = torch_checks
        self.run_model = run_model  # the logits lesson runs the article's resnet18 (False: its printed logit)
        self.seed = seed

    def say(self, section: str, key: str, kind: str = "paragraph", **values: Any) -> list[Prose]:
        text = self.texts[section][key]
        paragraphs = [p.format(**values) for p in (text if isinstance(text, list) else [text])]
        if kind != "paragraph":  # a note or notice is one panel, however many paragraphs
            paragraphs = ["\n\n".join(paragraphs)]
        return [Prose(p, kind) for p in paragraphs]  # type: ignore[arg-type]

    def notes(self, calc: Calculation, batch: Batch | None = None, own: bool = True) -> list[Prose]:
        """What the step functions noticed about the user's numbers (`own`), and where any NaN or inf came from,
        in the tour's language (a note's text is filled with the same values as its English one)."""
        said = self.texts.get("notes", {})
        notes = calc.notes if own else ()
        if batch is not None:
            notes += diagnose(calc, batch.example_names(), batch.class_names())
        words = self.texts.get("table", {})
        return [Prose(say_note(said, note, words), "note") for note in notes]

    def word(self, key: str, **values: Any) -> str:
        return self.texts["tour"][key].format(**values)

    def check(self, calc: Calculation, values: np.ndarray, targets: np.ndarray | None = None, **options: Any) -> Check:
        result: TorchCheck | None = check(calc, values, targets, **options) if self.torch_checks else None
        return self._verdict(function_name(calc), result)

    def grad_check(self, calc: Calculation, values: np.ndarray, targets: np.ndarray | None = None) -> Check:
        """`calc.grad` against torch.autograd on the same call."""
        result = check_gradient(calc, values, targets) if self.torch_checks else None
        return self._verdict(gradient_function_name(calc), result)

    def _verdict(self, function: str, result: TorchCheck | None) -> Check:
        if result is None:
            text = self.word("check_no_torch", function=function)
        else:
            key = "check_matches" if result.matches else "check_differs"
            text = self.word(key, function=function, diff=f"{result.max_abs_diff:.1e}")
        return Check(function, result, text)

    def table(
        self,
        caption: str,
        calc: Calculation,
        batch: Batch,
        values: np.ndarray | None = None,
        targets: np.ndarray | None = None,
        top_k: int | None = None,
        shown: Calculation | None = None,
    ) -> CalcTable:
        """`calc` is checked against PyTorch on `values`; `shown` (a trimmed calc) is what the table prints."""
        checked = None if values is None else self.check(calc, values, targets)
        return CalcTable(caption, shown or replace(calc, notes=()), batch, checked, top_k)

    def section(self, name: str, blocks: list[Block], yours: bool = False, result: Any = None) -> Section:
        """A section; on the user's numbers its title drops the article's example ("is this a car?")."""
        return Section(name, self.texts[name]["title_yours" if yours else "title"], tuple(blocks), result)


def class_names(w: Writer, batch: Batch) -> list[str]:
    """The batch's class names, else `class 0 .. C-1` in the tour's language (as its tables name them)."""
    return batch.classes or [
        w.texts.get("table", {}).get("class_name", "class {index}").format(index=i) for i in range(batch.n_classes)
    ]


def marked_curve(
    w: Writer,
    function: Callable[[np.ndarray], np.ndarray],
    marks: list[tuple[str, float]],
    half_range: float,
    caption: str,
    y_range: tuple[float, float] = (0.0, 1.0),
) -> Curve:
    """`function` on a grid wide enough for the marked logits (within reason), each mark on the curve."""
    widest = max([half_range, *(abs(x) for _, x in marks if np.isfinite(x))])
    half = float(min(np.ceil(widest), CURVE_MAX_HALF_RANGE))
    xs = np.linspace(-half, half, CURVE_SAMPLES)
    ys = function(xs[None, :])[0]
    at = function(np.array([[x for _, x in marks]]))[0] if marks else np.zeros(0)
    clipped = sum(1 for _, x in marks if not -half <= x <= half)
    note = w.word("curve_clipped", count=clipped) if clipped else ""
    points = tuple(Mark(label, float(x), float(y)) for (label, x), y in zip(marks, at, strict=True))
    return Curve(caption, xs, ys, points, note, y_range=y_range)


def top_classes(batch: Batch, row: int, k: int | None) -> list[int]:
    """The classes a table shows for one example: all, or the top k by logit (a choice, not a result)."""
    order = np.argsort(-batch.values[row], kind="stable")
    return [int(i) for i in (order if k is None else order[:k])]


def targets_text(targets: np.ndarray) -> str:
    return "[" + ", ".join(str(int(i)) for i in np.ravel(targets)) + "]"
