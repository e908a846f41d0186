"""`logitcli explore` from input to exit: read the logits as every number command does, check the options,
run the app on the terminal, and when stdout is a pipe or a file write the final state as a logitcli JSON
document (the `xent` document; `softmax` when a temperature is set; `bce` in sigmoid mode).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from logitcli import steps
from logitcli.errors import InputError
from logitcli.explore.state import LossOptions, State, top_classes
from logitcli.inputs.article import BEAR_CLASSES, BEAR_LOGITS, BEAR_TARGETS
from logitcli.inputs.batch import Batch
from logitcli.inputs.read import parse_text, stdin_text
from logitcli.inputs.targets import check_ignore_index, parse_class_targets, parse_weights
from logitcli.output.emit import piped_stdin
from logitcli.pipeline.read import ModelArgs, load_batch, with_classes

if TYPE_CHECKING:
    from logitcli.output.emit import Output


@dataclass(frozen=True)
class Settings:
    """explore's own options, as typed."""

    targets: str | None = None
    weight: str | None = None
    ignore_index: int = steps.DEFAULT_IGNORE_INDEX
    reduction: str = "mean"
    label_smoothing: float = 0.0
    temperature: float = 1.0
    lr: float = 1.0
    sigmoid: bool = False


def check_settings(settings: Settings) -> None:
    """Before anything is read: the same rules and words as the number commands."""
    try:
        steps.check_reduction(settings.reduction)
    except ValueError as error:
        raise InputError(str(error)) from None
    check_ignore_index(settings.ignore_index)
    if settings.label_smoothing > 1.0:
        smoothing = settings.label_smoothing
        raise InputError(f"--label-smoothing must be at most 1 (PyTorch refuses more), got {smoothing:g}")
    if not (math.isfinite(settings.temperature) and settings.temperature > 0):
        raise InputError(f"temperature must be a positive number, got {settings.temperature:g}")
    if not (math.isfinite(settings.lr) and settings.lr > 0):
        raise InputError(f"--lr must be a positive number, e.g. --lr 0.5; got {settings.lr:g}")


def read_input(values: list[str] | None, file: str | None, model: ModelArgs, out: Output) -> tuple[Batch, bool]:
    """The user's logits as every number command reads them; with nothing given, the article's bear example.

    Returns the batch and whether it is the article's (whose targets are the article's too).
    """

    if values or file or model.random_input is not None:
        return load_batch(values, file, model, out), False
    if piped_stdin():
        text = stdin_text()
        if text.strip():  # an empty pipe, as from `true |`, leaves the article's example
            return with_classes(parse_text(text, "stdin"), model), False
    return with_classes(Batch(np.array(BEAR_LOGITS), classes=list(BEAR_CLASSES)), model), True


def first_state(batch: Batch, settings: Settings, article: bool) -> State:
    """The explorer's first State: the targets given (or the article's), the loss options, T, lr and mode."""
    targets = None
    if settings.targets is not None:
        targets = parse_class_targets(settings.targets, batch, ignore_index=settings.ignore_index)
    elif article:
        targets = np.array(BEAR_TARGETS)
    options = LossOptions(
        parse_weights(settings.weight, "--weight"), settings.ignore_index, settings.label_smoothing, settings.reduction
    )
    try:  # the step functions' own checks (targets in range, a weight per class) and words, as input errors
        steps.cross_entropy(
            batch.values,
            targets if targets is not None else top_classes(batch.values),
            options.weight,
            options.ignore_index,
            options.reduction,
            options.label_smoothing,
        )
    except ValueError as error:
        raise InputError(str(error)) from None
    state = State.start(
        batch.values,
        targets,
        options=options,
        temperature=settings.temperature,
        lr=settings.lr,
        mode="sigmoid" if settings.sigmoid else "softmax",
    )
    return state


def final_calculation(state: State, batch: Batch) -> tuple[steps.Calculation, Batch]:
    """The final state as a number command's Calculation and the Batch it describes (the moved logits)."""
    moved = replace(batch, values=np.array(state.numbers.logits))
    view = state.view
    if state.numbers.mode == "softmax" and state.numbers.temperature != 1.0:
        return view.probs, moved
    calc = view.loss
    if state.numbers.temperature != 1.0:  # bce on z = x / T: say which T, as the softmax document does
        calc = replace(calc, details={**calc.details, "temperature": state.numbers.temperature})
        moved = replace(moved, values=np.array(calc.step("logits").values))
    return calc, moved


def write_final(state: State, batch: Batch, include_steps: bool = True) -> None:
    """The final state as a logitcli JSON document on stdout, the same writer as every number command's --json."""
    from logitcli.output import jsonout

    calc, moved = final_calculation(state, batch)
    jsonout.write_document(jsonout.document_parts(calc, moved, include_steps), sys.stdout.buffer)
    sys.stdout.buffer.flush()


def run(values: list[str] | None, file: str | None, settings: Settings, *, out: Output, model: ModelArgs) -> None:
    """Read, explore, and leave the final state on stdout when stdout is not a terminal."""
    check_settings(settings)
    batch, article = read_input(values, file, model, out)
    state = first_state(batch, settings, article)
    lang = out.lang  # --lang, else the locale's (checked by the shared options)
    from logitcli.explore.terminal import keyboard

    with keyboard():
        from logitcli.explore.app import ExploreApp

        app = ExploreApp(
            state, batch.class_names(), batch.example_names(), lang, precision=out.precision, top_k=out.top_k
        )
        final = app.run()
    if final is not None and not sys.stdout.isatty():
        write_final(final, batch, out.include_steps)
    out.finish()
