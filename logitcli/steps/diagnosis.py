"""Why is my loss nan? Where a NaN or an infinity first appeared in a Calculation, and the arithmetic that made it.

A pure function over a Calculation's ordered steps: it knows, for each command, which earlier steps each step
is computed from (`SOURCES`), so a value that is nan because its source already was is *inherited*, and the
first value that is not is an *origin*: NaN or ±inf in the input, `inf - inf` in the max-shift of a row that
holds +inf, an all `-inf` row, `0 · inf`, `log(0)`, an `exp` that overflowed, a mean over a zero denominator.
Each origin (the first of each kind) becomes a `Note` with a stable id and the values that fill its text, so
the tour can say it in another language. No CLI, no torch, no output here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from logitcli.steps.calculation import Calculation, Note, Step, quiet

Mode = Literal["cell", "row", "all"]
Kind = Literal["nan", "inf"]

#: Which earlier steps each step is computed from, by command: (step name, how much of it), where "cell" is the
#: same entry, "row" the whole example and "all" the whole batch. "a|b" is the first of a, b that exists.
#: Steps a command does not list (and that are not its inputs) count as computed from everything before them.
SOURCES: dict[str, dict[str, tuple[tuple[str, Mode], ...]]] = {
    "sigmoid": {
        "neg_x": (("logits", "cell"),),
        "exp_neg_x": (("neg_x", "cell"),),
        "one_plus_exp_neg_x": (("exp_neg_x", "cell"),),
        "sigmoid": (("logits", "cell"),),
    },
    "softmax": {
        "scaled": (("logits", "cell"),),
        "exp": (("scaled|logits", "cell"),),
        "sum_exp": (("exp", "row"),),
        "max": (("scaled|logits", "row"),),
        "shifted": (("scaled|logits", "cell"), ("max", "cell")),
        "exp_shifted": (("shifted", "cell"),),
        "sum_exp_shifted": (("exp_shifted", "row"),),
        "softmax": (("exp_shifted", "cell"), ("sum_exp_shifted", "cell")),
    },
    "nll": {
        "picked": (("input", "row"),),
        "loss": (("picked", "cell"), ("weight", "cell")),
        "sum": (("loss", "all"),),
        "mean": (("loss", "all"), ("weight", "all")),
    },
    "xent": {
        "softmax": (("logits", "row"),),
        "log_softmax": (("softmax", "cell"),),
        "picked": (("log_softmax", "row"),),
        "nll": (("picked", "cell"), ("weight", "cell")),
        "smooth": (("log_softmax", "row"),),
        "terms": (("log_softmax", "cell"), ("target", "cell")),
        "loss": (("nll", "cell"), ("smooth", "cell"), ("terms", "row")),
        "sum": (("loss", "all"),),
        "mean": (("loss", "all"), ("weight", "all")),
    },
    "bce": {
        "sigmoid": (("logits", "cell"),),
        "log_sigmoid": (("logits", "cell"),),
        "log_one_minus_sigmoid": (("logits", "cell"),),
        "log_weight": (("pos_weight", "cell"), ("target", "cell")),
        "log_p": (("probs", "cell"),),  # bce --probs
        "log_one_minus_p": (("probs", "cell"),),
        "loss": (
            ("logits", "cell"),
            ("probs", "cell"),
            ("target", "cell"),
            ("log_weight", "cell"),
            ("log_p", "cell"),
            ("log_one_minus_p", "cell"),
            ("weight", "cell"),
        ),
        "sum": (("loss", "all"),),
        "mean": (("loss", "all"),),
    },
}

#: What the user gave: a non-finite value here came in with the input.
INPUTS = {"logits", "input", "target", "weight", "pos_weight", "probs"}

FLOAT64_MAX = "1.8e308"


@dataclass(frozen=True)
class Origin:
    """The first place a NaN (or an infinity) was made: a step, an entry in it, and what made it."""

    step: Step
    cell: tuple[int, ...]
    kind: Kind
    cause: str
    args: dict[str, str]


def diagnose(
    calc: Calculation,
    example_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    limit: int = 4,
) -> tuple[Note, ...]:
    """Notes that say where each NaN and infinity of `calc` first appeared and why; () when all is finite.

    One note per cause (its first place in step order), at most `limit`. `example_names` and `class_names`
    name the rows and columns (defaults: `#0` and `class 0`, as the tables do).
    """
    names = _Names(example_names, class_names)
    notes: list[Note] = []
    seen: set[str] = set()
    for origin in origins(calc):
        if origin.cause in seen:
            continue
        seen.add(origin.cause)
        notes.append(_note(origin, names))
        limit_note = _bce_limit(calc, origin, names)
        if limit_note is not None and limit_note.id not in seen:
            seen.add(limit_note.id)
            notes.append(limit_note)
        if len(notes) >= limit:
            break
    return tuple(notes)


def origins(calc: Calculation, per_step: int = 10_000) -> list[Origin]:
    """Every step's origins in step order: non-finite entries whose sources held no NaN (or no non-finite)."""
    found: list[Origin] = []
    by_name = {step.name: step for step in calc.steps}
    sources = SOURCES.get(calc.command, {})
    for index, step in enumerate(calc.steps):
        values = np.asarray(step.values, dtype=np.float64)
        nan, inf = np.isnan(values), np.isinf(values)
        if not (nan.any() or inf.any()):
            continue
        feeds = _feeds(step, index, calc.steps, sources, by_name)
        for kind, bad in (("nan", nan), ("inf", inf)):
            if not bad.any():
                continue
            inherited = np.zeros(values.shape, dtype=bool)
            for source, mode in feeds:
                source_values = np.asarray(source.values, dtype=np.float64)
                source_bad = np.isnan(source_values) if kind == "nan" else ~np.isfinite(source_values)
                inherited |= _project(source_bad, values.shape, mode)
            cells = np.argwhere(bad & ~inherited)[:per_step]
            for cell in cells:
                cause, args = _cause(calc, step, tuple(int(i) for i in cell), kind, feeds)
                found.append(Origin(step, tuple(int(i) for i in cell), kind, cause, args))
    return found


# ----------------------------------------------------------------------------- data flow


def _feeds(
    step: Step, index: int, steps: Sequence[Step], sources: dict, by_name: dict[str, Step]
) -> list[tuple[Step, Mode]]:
    """The earlier steps `step` is computed from; none for an input."""
    if step.name in sources:
        feeds: list[tuple[Step, Mode]] = []
        for spec, mode in sources[step.name]:
            for name in spec.split("|"):
                if name in by_name and name != step.name:
                    feeds.append((by_name[name], mode))
                    break
        return feeds
    if step.name in INPUTS:
        return []
    return [(earlier, "all") for earlier in steps[:index]]


def _project(source_bad: np.ndarray, shape: tuple[int, ...], mode: Mode) -> np.ndarray:
    """A source's bad entries, seen from a step of `shape`: the same entry, its whole row, or the whole batch."""
    if source_bad.ndim == 0 or len(shape) == 0 or mode == "all":
        return np.full(shape, bool(source_bad.any()))
    if source_bad.shape[0] != shape[0]:
        return np.full(shape, bool(source_bad.any()))
    if source_bad.ndim == 2 and (mode == "row" or len(shape) == 1):
        rows = source_bad.any(axis=1)
        return np.broadcast_to(rows[:, None], shape) if len(shape) == 2 else rows
    if source_bad.ndim == 1:
        return np.broadcast_to(source_bad[:, None], shape) if len(shape) == 2 else source_bad
    if mode == "row":
        return np.broadcast_to(source_bad.any(axis=1)[:, None], shape)
    return source_bad


# ----------------------------------------------------------------------------- causes


def _cause(
    calc: Calculation, step: Step, cell: tuple[int, ...], kind: Kind, feeds: list[tuple[Step, Mode]]
) -> tuple[str, dict[str, str]]:
    """The id of what made the value at `cell` and the numbers that say it."""
    value = _text(_at(step.values, cell))
    if not feeds:
        return ("nan_input" if kind == "nan" else "inf_input"), {"value": value}
    special = _CAUSES.get(step.name)
    if special is not None:
        found = special(calc, step, cell, kind)
        if found is not None:
            return found
    if step.name in ("sum", "mean") or step.values.ndim == 0:
        return _reduction_cause(calc, step, kind)
    if kind == "nan":
        return "nan_made", {"formula": step.formula}
    return "inf_made", {"value": value, "formula": step.formula}


def _shift_cause(calc: Calculation, step: Step, cell: tuple[int, ...], kind: Kind) -> tuple[str, dict] | None:
    """softmax's x - max (and everything computed from a whole row): a row of -inf, or +inf in the row."""
    row = _row_of_logits(calc, cell[0])
    if kind == "nan" and row is not None:
        if np.isneginf(row).all():
            return "nan_all_neg_inf", {}
        if np.isposinf(row).any():
            return "nan_inf_shift", {}
    if kind == "inf":
        return "overflow", {"value": _text(_at(step.values, cell)), "formula": step.formula}
    return None


def _exp_cause(calc: Calculation, step: Step, cell: tuple[int, ...], kind: Kind) -> tuple[str, dict] | None:
    if kind != "inf":
        return None
    source = "neg_x" if step.name == "exp_neg_x" else "scaled" if _has(calc, "scaled") else "logits"
    if step.name == "exp_shifted":
        source = "shifted"
    argument = _at(calc.step(source).values, cell) if _has(calc, source) else np.nan
    return "exp_overflow", {"argument": _text(argument)}


def _sum_cause(calc: Calculation, step: Step, cell: tuple[int, ...], kind: Kind) -> tuple[str, dict] | None:
    """A sum along a row: +inf and -inf in it (nan), or finite terms too big for float64 (inf)."""
    if kind == "nan":
        return "nan_inf_minus_inf", {"detail": "a sum holding both +inf and -inf"}
    return "sum_overflow", {"value": _text(_at(step.values, cell))}


def _log_softmax_cause(calc: Calculation, step: Step, cell: tuple[int, ...], kind: Kind) -> tuple[str, dict] | None:
    if kind == "inf" and _at(step.values, cell) < 0:
        return "log_zero", {}
    return _shift_cause(calc, step, cell, kind)


def _product_cause(calc: Calculation, step: Step, cell: tuple[int, ...], kind: Kind) -> tuple[str, dict] | None:
    """-w · log p (nll, xent) and -w · q · log p (soft targets): 0 · inf is nan."""
    if kind != "nan":
        return None
    shown = []
    for name in ("weight", "picked", "input", "target", "log_softmax", "log_p", "log_one_minus_p"):
        if _has(calc, name) and np.ndim(calc.step(name).values) == len(cell):
            source = calc.step(name)
            shown.append(f"{source.title} = {_text(_at(source.values, cell))}")
    return "nan_zero_times_inf", {"detail": ", ".join(shown)}


def _bce_loss_cause(calc: Calculation, step: Step, cell: tuple[int, ...], kind: Kind) -> tuple[str, dict] | None:
    """(1 - y)·x - [1 + (pw - 1)·y]·log σ(x), then · w: which operation made the nan."""
    x = _at(calc.step("logits").values, cell)
    y = _at(calc.step("target").values, cell)
    log_p = _at(calc.step("log_sigmoid").values, cell)
    lw = _at(calc.step("log_weight").values, cell) if _has(calc, "log_weight") else 1.0
    w = _at(calc.step("weight").values, cell) if _has(calc, "weight") else 1.0
    with quiet():
        linear, log_term = (1.0 - y) * x, lw * log_p
        before_weight = linear - log_term
    if kind == "inf":
        return "overflow", {"value": _text(_at(step.values, cell)), "formula": step.formula}
    if np.isnan(linear):
        return "nan_zero_times_inf", {"detail": f"(1 - y)·x with 1 - y = {_text(1.0 - y)}, x = {_text(x)}"}
    if np.isnan(log_term):
        return "nan_zero_times_inf", {"detail": f"[1 + (pw - 1)·y]·log σ = {_text(lw)} · {_text(log_p)}"}
    if np.isnan(before_weight):
        return "nan_inf_minus_inf", {"detail": f"(1 - y)·x = {_text(linear)} minus log-term {_text(log_term)}"}
    return "nan_zero_times_inf", {"detail": f"w = {_text(w)} times {_text(before_weight)}"}


def _overflow_cause(calc: Calculation, step: Step, cell: tuple[int, ...], kind: Kind) -> tuple[str, dict] | None:
    if kind != "inf":
        return None
    return "overflow", {"value": _text(_at(step.values, cell)), "formula": step.formula}


_CAUSES: dict[str, Callable[[Calculation, Step, tuple[int, ...], Kind], tuple[str, dict] | None]] = {
    "scaled": _overflow_cause,
    "neg_x": _overflow_cause,
    "shifted": _shift_cause,
    "max": _shift_cause,
    "softmax": _shift_cause,
    "log_softmax": _log_softmax_cause,
    "exp": _exp_cause,
    "exp_neg_x": _exp_cause,
    "exp_shifted": _exp_cause,
    "sum_exp": _sum_cause,
    "sum_exp_shifted": _sum_cause,
    "smooth": _sum_cause,
    "nll": _product_cause,
    "terms": _product_cause,
}


def _reduction_cause(calc: Calculation, step: Step, kind: Kind) -> tuple[str, dict[str, str]]:
    """The mean over a zero denominator, or a sum of +inf and -inf (nan) or of finite terms too big (inf)."""
    value = _text(float(step.values))
    denominator = calc.details.get("denominator")
    if step.name == "mean" and denominator is not None and float(denominator) == 0.0:
        what = str(calc.details.get("denominator_is", "the denominator"))
        return "mean_zero_denominator", {"value": value, "what": what, "why": _why_nothing_counts(calc)}
    if step.name == "mean" and denominator is not None and math.isinf(float(denominator)):
        what = str(calc.details.get("denominator_is", "the denominator"))
        return "mean_inf_denominator", {"value": value, "what": what}
    terms = next((s.values for s in calc.steps if s.name == "loss"), None)
    if terms is not None and _order_decided(np.asarray(terms, dtype=np.float64)):
        return "sum_order", {"value": value, "order": _order_words(calc)}
    if kind == "nan":
        return "nan_inf_minus_inf", {"detail": "a sum holding both +inf and -inf"}
    return "sum_overflow", {"value": value}


def _order_decided(terms: np.ndarray) -> bool:
    """Every term finite and their exact sum within float64's range: only the order of addition overflowed."""
    if not terms.size or not np.isfinite(terms).all():
        return False
    try:
        return math.isfinite(math.fsum(terms.reshape(-1).tolist()))
    except OverflowError:  # the exact sum itself is beyond float64
        return False


def _order_words(calc: Calculation) -> str:
    """Whether logitcli added these terms in PyTorch's order (nll_loss's cascade) or not (torch.sum's)."""
    pytorch_order = calc.command == "nll" or (
        calc.command == "xent"
        and calc.details.get("targets") == "class indices"
        and not calc.details.get("label_smoothing")
    )
    if pytorch_order:
        return "logitcli adds these terms in PyTorch's order (the cascade of ATen's nll_loss), so PyTorch gets the same"
    return (
        "PyTorch adds these with torch.sum's vectorised order, which logitcli does not copy, so PyTorch may get "
        "another answer here (see the README, Sums near float64's maximum)"
    )


def _why_nothing_counts(calc: Calculation) -> str:
    """A mean over 0: every example ignored, or the kept examples' weights summing to 0."""
    ignored = calc.ignored()
    return "every example is ignored" if ignored.size and ignored.all() else "the kept examples' weights sum to 0"


def _loss_cause(calc: Calculation, step: Step, cell: tuple[int, ...], kind: Kind) -> tuple[str, dict] | None:
    if calc.command == "bce" and _has(calc, "logits"):
        return _bce_loss_cause(calc, step, cell, kind)
    if calc.command == "xent" and _has(calc, "terms"):
        return _sum_cause(calc, step, cell, kind)
    if calc.command in ("nll", "bce"):
        return _product_cause(calc, step, cell, kind)
    if kind == "nan":  # xent with label smoothing: (1 - ε)·nll + ε/C·smooth
        return "nan_inf_minus_inf", {"detail": "(1 - ε)·nll + ε/C·smooth"}
    return None


_CAUSES["loss"] = _loss_cause


def _bce_limit(calc: Calculation, origin: Origin, names: _Names) -> Note | None:
    """Where PyTorch's bce is nan at an infinite logit but the loss has a limit: say the limit too."""
    if calc.command != "bce" or origin.step.name != "loss" or origin.kind != "nan" or not _has(calc, "logits"):
        return None
    cell = origin.cell
    x = float(_at(calc.step("logits").values, cell))
    y = float(_at(calc.step("target").values, cell))
    pw = float(_at(calc.step("pos_weight").values, cell)) if _has(calc, "pos_weight") else 1.0
    w = float(_at(calc.step("weight").values, cell)) if _has(calc, "weight") else 1.0
    if not (np.isinf(x) and np.isfinite([y, pw, w]).all()):
        return None
    # -w·[pw·y·log σ(x) + (1 - y)·log(1 - σ(x))], a term with a zero coefficient being 0 in the limit.
    coefficient = pw * y if x < 0 else 1.0 - y
    limit = 0.0 if coefficient == 0 or w == 0 else np.inf * np.sign(coefficient) * np.sign(w)
    args = {"where": names.where(origin.step, cell), "x": _text(x), "limit": _text(limit)}
    return Note("bce_nan_limit", TEXTS["bce_nan_limit"].format(**args), args)


# ----------------------------------------------------------------------------- words

TEXTS: dict[str, str] = {
    "nan_input": "NaN in the input: '{step}' holds nan at {where}; every value computed from it is nan too.",
    "inf_input": "{value} in the input: '{step}' holds {value} at {where}.",
    "nan_inf_shift": (
        "nan first appears in '{step}' at {where}: inf - inf. The row holds +inf, so its max is inf and x - max "
        "is inf - inf = nan there; every softmax value of the row is nan (as in PyTorch)."
    ),
    "nan_all_neg_inf": (
        "nan first appears in '{step}' at {where}: the row is all -inf, so its max is -inf and x - max is "
        "-inf - (-inf) = nan; there is nothing to normalise (every exp would be 0), and PyTorch gives nan too."
    ),
    "nan_zero_times_inf": "nan first appears in '{step}' at {where}: 0 · inf = nan ({detail}).",
    "nan_inf_minus_inf": "nan first appears in '{step}' at {where}: inf - inf = nan ({detail}).",
    "mean_zero_denominator": (
        "'{step}' is {value}: the mean divides by {what}, which is 0 here ({why}); x / 0 is ±inf, and 0 / 0 "
        "is nan, as in PyTorch."
    ),
    "mean_inf_denominator": (
        "'{step}' is {value}: the mean divides by {what}, which is inf here (a weight is inf); the sum is ±inf "
        "or nan too, and inf / inf is nan, as in PyTorch."
    ),
    "exp_overflow": (
        "'{step}' overflowed to inf at {where}: exp({argument}) is more than float64 holds (about "
        + FLOAT64_MAX
        + ", that is exp(709.78))."
    ),
    "sum_order": (
        "'{step}' is {value} though every loss term is finite: a partial sum went beyond float64's range (about "
        + FLOAT64_MAX
        + "), and the order of addition decided that; {order}."
    ),
    "sum_overflow": "'{step}' overflowed to {value} at {where}: the sum is beyond float64's range (about "
    + FLOAT64_MAX
    + ").",
    "overflow": "'{step}' overflowed to {value} at {where}: {formula} is beyond float64's range (about "
    + FLOAT64_MAX
    + ").",
    "log_zero": (
        "'{step}' is -inf at {where}: log(0). The softmax there is 0 (the logit is -inf, or so far below the row's "
        "max that exp underflows), and log(0) = -inf; a loss that picks it is inf."
    ),
    "bce_nan_limit": (
        "At {where} the logit is {x}: PyTorch's formula gives nan there, though the loss tends to {limit} as "
        "x → {x}; logitcli gives PyTorch's nan."
    ),
    "upstream": "The input came from `logitcli {command}`, which said: {text}",
    "nan_made": "nan first appears in '{step}' at {where}: {formula}.",
    "inf_made": "{value} first appears in '{step}' at {where}: {formula}.",
}


def upstream_notes(upstream: Sequence[tuple[str, str]]) -> tuple[Note, ...]:
    """What the command that wrote a piped input said about its NaN and infinities, passed on."""
    return tuple(
        Note("upstream", TEXTS["upstream"].format(command=command, text=text), {"command": command, "text": text})
        for command, text in upstream
    )


def _note(origin: Origin, names: _Names) -> Note:
    args = {"step": origin.step.title, "where": names.where(origin.step, origin.cell), **origin.args}
    return Note(origin.cause, TEXTS[origin.cause].format(**args), args)


class _Names:
    """Rows and columns as the tables name them: `#0` (or the input's name) and `class 0` (or the class's)."""

    def __init__(self, examples: Sequence[str] | None, classes: Sequence[str] | None) -> None:
        self.examples = examples
        self.classes = classes

    def where(self, step: Step, cell: tuple[int, ...]) -> str:
        if not cell:
            return "the whole batch"
        row = self._name(self.examples, cell[0], "#{}")
        if len(cell) == 1:
            return row
        return f"{row}, {self._name(self.classes, cell[1], 'class {}')}"

    @staticmethod
    def _name(names: Sequence[str] | None, index: int, default: str) -> str:
        if names is not None and 0 <= index < len(names):
            return str(names[index])
        return default.format(index)


# ----------------------------------------------------------------------------- small helpers


def _has(calc: Calculation, name: str) -> bool:
    return any(step.name == name for step in calc.steps)


def _at(values: np.ndarray, cell: tuple[int, ...]) -> float:
    array = np.asarray(values, dtype=np.float64)
    return float(array[cell[: array.ndim]]) if array.ndim else float(array)


def _row_of_logits(calc: Calculation, row: int) -> np.ndarray | None:
    for name in ("scaled", "logits"):
        if _has(calc, name):
            values = np.asarray(calc.step(name).values, dtype=np.float64)
            if values.ndim == 2 and 0 <= row < values.shape[0]:
                return values[row]
    return None


def _text(value: float) -> str:
    value = float(value)
    if np.isnan(value):
        return "nan"
    if np.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.6g}"
