"""Calculations as rich tables that fit the terminal: the view a learner reads.

One piece (about 540 lines) because both arrangements share the View, the class order, the cells and the
summary lines below; the logits table, which shares only the formatting, is `logits_table`.

Two arrangements, chosen by what reads best:
- by class (one example, or many classes): rows are classes, columns are the steps; the per-example
  values (max, sums, the loss) follow as a footer, or as one per-example table for a batch.
- by step (a small batch with few classes): one table per step, rows are examples, as the article prints
  "softmax by row"; when those tables are too wide for the terminal, one class table per example instead.

Every table then goes through one width decision (`logitcli.output.grid.fit`, re-exported here), the same for every
command and the tour: all columns as they are; without the probability bars; without the secondary columns
(the naive forms a `Step` marks `secondary`); turned (the steps as rows); one block per row. A number is never
cut. What was left out is said in one line with the flag that shows it (`--wide`), hidden rows with `--rows`.
Words come from `LABELS` (English), which a caller may override (the tour passes Japanese ones).
Nothing here computes a step; it only orders and formats what `steps` returned.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.text import Text

from logitcli.inputs.batch import Batch
from logitcli.output.grid import BAR_WIDTH, Column, Fitted, Grid, column_widths, fit, grid_table, packed
from logitcli.output.linebreak import wrap_cjk
from logitcli.steps import Calculation, Descent, Step, descent_calculation

__all__ = [
    "ALL_CLASSES_UP_TO",
    "BAR_WIDTH",
    "BATCH_CLASS_TABLES",
    "DEFAULT_TOP_K",
    "LABELS",
    "Column",
    "Fitted",
    "Grid",
    "View",
    "calculation_renderables",
    "class_order",
    "column_widths",
    "default_top_k",
    "dropped_line",
    "fit",
    "format_distinct",
    "format_number",
    "grid_table",
    "probability_bar",
]

BLOCKS = " ▏▎▍▌▋▊▉█"
MAX_CLASS_COLUMNS = 10
ALL_CLASSES_UP_TO = 20
DEFAULT_TOP_K = 5
BATCH_CLASS_TABLES = 3

#: Every word a table prints, in English; `View.labels` overrides any of them (`step.<name>` renames a step's
#: header, and an English phrase from a calculation's details may be mapped to its translation).
LABELS: dict[str, str] = {
    "class": "class",
    "example": "example",
    "input": "input",
    "rank": "rank",
    "logit": "logit",
    "softmax": "softmax",
    "step": "step",
    "per_example": "per example",
    "logits": "logits",
    "class_name": "class {index}",
    "target_cell": "{index} ({name})",
    "ignored_cell": "{index} (ignored)",
    "target_mark": "◀ target",
    "ignored_target_mark": "◀ target (ignored)",
    "ignored": "ignored",
    "ignored_note": (
        "ignored: an example whose target is the --ignore-index ({index}) has loss 0 and is left out of the mean"
    ),
    "top_classes": "top {k} of {n} classes by logit",
    "top_classes_and_target": "top {k} of {n} classes by logit, and the target",
    "more_classes": "--top-k N shows more, --json carries them all",
    "top_per_input": "top {k} of {n} classes per input",
    "rows_hidden": "{hidden} more example(s) not shown; --rows all shows every row",
    "class_tables_hidden": "class tables for {hidden} more example(s) not shown; --rows N shows N of them",
    "dropped": "{what} left out at {width} columns; --wide shows every column",
    "bars": "bars",
    "list_separator": ", ",
    "clause_separator": "; ",
    "denominator": "(Σ loss / {denominator}: {what})",
    "matches": "matches {function} (rtol {rtol}, atol {atol}):",
    "differs": "DIFFERS from {function} (rtol {rtol}, atol {atol}):",
    "check_diff": "max difference {abs} absolute, {rel} relative",
    "colon": ": ",
    "grad_matches": "gradient matches {function} (rtol {rtol}, atol {atol}):",
    "grad_differs": "gradient DIFFERS from {function} (rtol {rtol}, atol {atol}):",
    "descent_title": "one step of gradient descent, lr = {lr}",
    "descent_loss_mean": "mean loss {before} → {after}",
    "descent_loss_sum": "sum loss {before} → {after}",
    "check_shape": "; shape {shape} but PyTorch's is {torch_shape}",
    "check_places": "; nan/inf in different places",
    "note_prefix": "note: ",
}


@dataclass(frozen=True)
class View:
    """How tables are laid out: the width to fit (None: every column, however wide), rows and classes shown.

    `rows` is the number of examples a table shows (None: all); `rows_from_screen` says it was derived from
    the terminal's height rather than asked for, so a view with several lines per example may show fewer.
    `class_tables` is how many examples of a batch get their own class table. `labels` override `LABELS`
    (`lang` is their language, for the notes);
    `wrap(text, width)` breaks sentences into lines where rich's own breaking (at spaces) does not suit the
    language (the tour passes its Japanese line breaker).
    """

    width: int | None = 80
    precision: int = 4
    top_k: int | None = None
    rows: int | None = None
    rows_from_screen: bool = False
    class_tables: int = BATCH_CLASS_TABLES
    labels: Mapping[str, str] = field(default_factory=dict)
    wrap: Callable[[str, int], str] | None = wrap_cjk
    lang: str = "en"

    def line(self, text: str, style: str = "dim") -> Text:
        """A sentence under a table, broken by `wrap` where the caller gave one (rich breaks only at spaces)."""
        if self.wrap is not None and self.width is not None:
            text = self.wrap(text, self.width)
        return Text(text, style=style)

    def word(self, key: str, **values: object) -> str:
        text = self.labels.get(key, LABELS.get(key, key))
        return text.format(**values) if values else text

    def title(self, step: Step) -> str:
        """A step's heading in the view's words; a one-letter symbol (bce's `y`) stays: formulas name it."""
        if len(step.title) == 1:
            return step.title
        return self.labels.get(f"step.{step.name}", self.labels.get(step.title, step.title))

    def note(self, note: str) -> str:
        """A step's note in the view's language, filled with the values of the English one."""
        if self.lang == "en":
            return str(note)
        from logitcli.output.lang import say_note

        return say_note(note, self.lang, self.labels)

    def formula(self, step: Step) -> str:
        said = self.labels.get(f"formula.{step.name}", self.labels.get(step.formula))
        if said is not None:
            return said
        head, colon, tail = step.formula.rpartition(": ")  # `(p - q) / 5: the mean's denominator`
        if colon and tail in self.labels:
            return f"{head}{self.word('colon')}{self.labels[tail]}"
        return step.formula

    def class_names(self, batch: Batch) -> list[str]:
        """The batch's class names, else `class 0 .. C-1` in the view's words."""
        if batch.classes is not None:
            return list(batch.classes)
        return [self.word("class_name", index=i) for i in range(batch.n_classes)]

    def examples_shown(self, n_examples: int, lines_each: int = 1) -> int:
        if self.rows is None:
            return n_examples
        rows = max(1, self.rows // lines_each) if self.rows_from_screen else self.rows
        return min(n_examples, rows)


# ----------------------------------------------------------------------------- numbers and bars


def format_number(value: float, precision: int = 4) -> str:
    """Fixed decimals as the article prints them; scientific only where fixed would hide the value."""
    value = float(value) + 0.0  # -0.0 prints as 0
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value != 0 and (abs(value) < 0.5 * 10.0**-precision or abs(value) >= 1e9):
        return f"{value:.{max(precision - 2, 1)}e}"
    return f"{value:.{precision}f}"


def format_numbers(values: np.ndarray, precision: int = 4) -> list[str]:
    """`format_number` for a whole column at once: the same strings, one f-string per plain value (a long
    table formats 10^5 numbers; the scalar function took most of a second for them)."""
    values = np.asarray(values, dtype=np.float64) + 0.0
    size = np.abs(values)
    with np.errstate(invalid="ignore"):
        special = ~np.isfinite(values) | ((values != 0) & ((size < 0.5 * 10.0**-precision) | (size >= 1e9)))
    cells = [f"{value:.{precision}f}" for value in values.tolist()]
    for index in np.flatnonzero(special).tolist():
        cells[index] = format_number(values[index], precision)
    return cells


def format_distinct(value: float, precision: int = 4) -> str:
    """As `format_number`, with more decimals where rounding would show a whole number that is not one.

    In prose, `1 + exp(-x) = 1.0000, so p = 1 / 1.0000 = 1.0000` reads as wrong arithmetic; 1.00005 does not.
    """
    text = format_number(value, precision)
    value = float(value)
    if not math.isfinite(value) or value == round(value) or "e" in text:
        return text
    decimals = precision
    while float(text) == round(value) and decimals < 17:
        decimals += 1
        text = f"{value:.{decimals}f}"
    return text


def probability_bar(p: float, width: int = BAR_WIDTH) -> str:
    """A bar of `width` cells, eighths included, for a value in [0, 1]."""
    if not math.isfinite(p):
        return ""
    eighths = round(min(max(p, 0.0), 1.0) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (BLOCKS[part] if part else "")).ljust(width)


def default_top_k(n_classes: int, top_k: int | None = None) -> int | None:
    """The one rule for how many classes a table shows: all up to 20, else the top 5 (or the top k asked for)."""
    if top_k is not None:
        return top_k if top_k < n_classes else None
    return None if n_classes <= ALL_CLASSES_UP_TO else DEFAULT_TOP_K


def class_order(batch: Batch, row: int, top_k: int | None, target: int | None = None) -> list[int]:
    """Classes to show for one example: all in order when few, else the top k by logit, and the target."""
    k = default_top_k(batch.n_classes, top_k)
    if k is None:
        return list(range(batch.n_classes))
    order = [int(i) for i in np.argsort(-batch.values[row], kind="stable")[:k]]
    if target is not None and 0 <= target < batch.n_classes and target not in order:
        order.append(target)
    return order


def dropped_line(dropped: Iterable[str], view: View) -> list[RenderableType]:
    """One line naming what did not fit, or nothing."""
    names: list[str] = []
    for name in dropped:
        shown = view.word("bars") if name == "bars" else name
        if shown not in names:
            names.append(shown)
    if not names or view.width is None:
        return []
    what = view.word("list_separator").join(names)
    return [view.line(view.word("dropped", width=view.width, what=what))]


# ----------------------------------------------------------------------------- calculations


def calculation_renderables(calc: Calculation, batch: Batch, view: View | None = None) -> list[RenderableType]:
    """The tables for one calculation, then its reductions, its notes and what did not fit."""
    view = view or View()
    by_class = batch.n_examples == 1 or view.top_k is not None or batch.n_classes > MAX_CLASS_COLUMNS
    dropped: list[str] = []
    parts = None if by_class else _by_step(calc, batch, view, dropped)
    if parts is None:
        parts = _by_class(calc, batch, view, dropped, all_examples=not by_class)
    parts.extend(_batch_lines(calc, view))
    parts.extend(view.line(view.word("note_prefix") + view.note(note), style="yellow") for note in calc.notes)
    parts.extend(dropped_line(dropped, view))
    return parts


def _class_steps(calc: Calculation) -> list[Step]:
    """The per-class steps, each quantity once: a gradient step repeating a loss step (same title, same values,
    as bce's `f = 1 + (pw - 1)·y`) is the same column (JSON keeps both)."""
    shown: list[Step] = []
    for step in calc.steps:
        if step.per != "class":
            continue
        if any(s.title == step.title and np.array_equal(s.values, step.values, equal_nan=True) for s in shown):
            continue
        shown.append(step)
    return shown


def _example_steps(calc: Calculation) -> list[Step]:
    return [s for s in calc.steps if s.per == "example"]


def _ignore_index(calc: Calculation) -> int | None:
    value = calc.details.get("ignore_index")
    return None if value is None else int(value)


def _targets(calc: Calculation) -> np.ndarray | None:
    for step in calc.steps:
        if step.name == "target" and step.per == "example":
            return step.values
    return None


def _cell(calc: Calculation, step: Step, row: int, batch: Batch, view: View) -> str:
    value = float(step.values[row])
    if step.name == "target" and step.per == "example":
        index = int(value)
        if index == _ignore_index(calc) or not 0 <= index < batch.n_classes:
            return view.word("ignored_cell", index=index)
        return view.word("target_cell", index=index, name=batch.classes[index]) if batch.classes else str(index)
    return format_number(value, view.precision)


def _class_grid(calc: Calculation, batch: Batch, row: int, order: list[int], view: View) -> Grid:
    """Classes as rows, the per-class steps as columns (a bar beside each probability)."""
    names = view.class_names(batch)
    targets = _targets(calc)
    target = None if targets is None else int(targets[row])
    ignored = target is not None and target == _ignore_index(calc)
    labels = []
    for index in order:
        label = names[index]
        if index == target:
            label += " " + view.word("ignored_target_mark" if ignored else "target_mark")
        labels.append(label)
    columns = [Column(view.word("class"), tuple(labels), "label", justify="left")]
    for step in _class_steps(calc):
        values = [float(step.values[row, i]) for i in order]
        cells = tuple(format_number(v, view.precision) for v in values)
        columns.append(Column(view.title(step), cells, secondary=step.secondary))
        if step.probability:
            columns.append(Column("", tuple(probability_bar(v) for v in values), "bar", justify="left"))
    return Grid(tuple(columns), corner=view.word("step"))


def _by_class(calc: Calculation, batch: Batch, view: View, dropped: list[str], all_examples: bool) -> list:
    """A table per example (classes as rows); a batch then gets one per-example table for all rows."""
    parts: list[RenderableType] = []
    single = batch.n_examples == 1
    limit = view.examples_shown(batch.n_examples) if all_examples else view.class_tables
    shown = 1 if single else min(batch.n_examples, limit)
    targets = _targets(calc)
    labels = _example_labels(batch)
    for row in range(shown):
        target = None if targets is None else int(targets[row])
        order = class_order(batch, row, view.top_k, target)
        if not single:
            parts.extend([Text("")] * (row > 0))  # one example's caption never runs into the next one's title
            parts.append(Text(f"{view.word(calc.command)}: {labels[row]}", style="bold"))
        elif not all_examples:
            parts.append(Text(view.word(calc.command), style="bold"))
        fitted = fit(_class_grid(calc, batch, row, order, view), view.width)
        assert fitted is not None
        parts.extend(fitted.parts)
        dropped.extend(fitted.dropped)
        if len(order) < batch.n_classes:
            k = default_top_k(batch.n_classes, view.top_k) or batch.n_classes
            key = "top_classes_and_target" if len(order) > k else "top_classes"
            caption = view.word(key, k=k, n=batch.n_classes) + view.word("clause_separator") + view.word("more_classes")
            parts.append(view.line(caption))
        if single:
            items = [_summary_item(calc, s, row, batch, view) for s in _example_steps(calc)]
            if items:
                parts.append(packed(items, view.width))
            parts.extend(_ignored_line(calc, view, row))
    if shown < batch.n_examples and not all_examples:
        parts.append(view.line(view.word("class_tables_hidden", hidden=batch.n_examples - shown)))
    if not single:
        rows = view.examples_shown(batch.n_examples)
        table = _per_example_table(calc, batch, view, dropped, rows)
        if table and parts and isinstance(parts[-1], Text) and parts[-1].plain:  # after a caption: a new block
            parts.append(Text(""))
        parts.extend(table)
        if rows < batch.n_examples:
            parts.append(view.line(view.word("rows_hidden", hidden=batch.n_examples - rows)))
    return parts


def _summary_item(calc: Calculation, step: Step, row: int, batch: Batch, view: View) -> str:
    """`title = value`; a loss mixed from other columns (label smoothing's `(1 - ε)·nll + ε/C·smooth`) shows the
    mix with their numbers: `loss = (1 - 0.1)·nll + 0.1/3·smooth = (1 - 0.1)·0.4170 + 0.1/3·4.1511 = 0.5137`."""
    value = _cell(calc, step, row, batch, view)
    parts = _mixed_from(calc, step)
    if not parts:
        return f"{view.title(step)} = {value}"
    numbers = {name: format_number(float(calc.step(name).values[row]), view.precision) for name in parts}
    filled = _MIXED.sub(lambda m: numbers[m.group(0)], step.formula)
    return f"{view.title(step)} = {step.formula} = {filled} = {value}"


#: Per-example steps a loss may be mixed from, as its formula names them.
_MIXED = re.compile(r"\b(?:nll|smooth)\b")


def _mixed_from(calc: Calculation, step: Step) -> list[str]:
    if step.name != "loss" or step.per != "example":
        return []
    names = {s.name for s in calc.steps if s.per == "example"}
    found = _MIXED.findall(step.formula)
    return found if len(set(found)) > 1 and set(found) <= names else []  # a mix, not `loss = nll`


def _mix_lines(calc: Calculation, view: View) -> list[RenderableType]:
    """Under a per-example table: how its loss column is mixed from the others (the formula, once)."""
    return [view.line(f"{view.title(s)} = {s.formula}", style="") for s in _example_steps(calc) if _mixed_from(calc, s)]


def _ignored_line(calc: Calculation, view: View, row: int | None = None) -> list[RenderableType]:
    ignored = calc.ignored()
    if not ignored.size or not (ignored[row] if row is not None else ignored.any()):
        return []
    return [view.line(view.word("ignored_note", index=_ignore_index(calc)))]


def _by_step(calc: Calculation, batch: Batch, view: View, dropped: list[str]) -> list | None:
    """One table per step, rows are examples; None when a table is too wide (the caller turns to by-class)."""
    parts: list[RenderableType] = []
    rows = view.examples_shown(batch.n_examples)
    examples = _example_labels(batch)[:rows]
    for step in _class_steps(calc):
        formula = "" if step.formula == step.title else view.formula(step)
        columns = [Column(view.word("example"), tuple(examples), "label", justify="left")]
        for col, name in enumerate(view.class_names(batch)):
            cells = tuple(format_numbers(step.values[:rows, col], view.precision))
            columns.append(Column(name, cells))
        fitted = fit(Grid(tuple(columns)), view.width, turn=False, blocks=False)
        if fitted is None:
            return None
        parts.append(_titled(view.title(step), formula, view.width))
        parts.extend(fitted.parts)
    parts.extend(_per_example_table(calc, batch, view, dropped, rows))
    if rows < batch.n_examples:
        parts.append(view.line(view.word("rows_hidden", hidden=batch.n_examples - rows)))
    return parts


def _titled(title: str, formula: str, width: int | None) -> Text:
    """A step's title and its formula on one line; a formula that does not fit goes whole to the next line."""
    if not formula:
        return Text(title, style="bold")
    if width is None or cell_len(f"{title}   {formula}") <= width:
        return Text.assemble((title, "bold"), "   ", (formula, "dim"))
    return Text.assemble((title, "bold"), "\n", (wrap_cjk(formula, width), "dim"))


def _per_example_table(
    calc: Calculation, batch: Batch, view: View, dropped: list[str], rows: int
) -> list[RenderableType]:
    """One row per example: its target, its loss... (what the caller says about hidden rows, not this)."""
    per_example = _example_steps(calc)
    if not per_example:
        return []
    columns = [Column(view.word("example"), tuple(_example_labels(batch)[:rows]), "label", justify="left")]
    for step in per_example:
        cells = tuple(_cell(calc, step, row, batch, view) for row in range(rows))
        columns.append(Column(view.title(step), cells, secondary=step.secondary))
    fitted = fit(Grid(tuple(columns), corner=view.word("step")), view.width)
    assert fitted is not None
    dropped.extend(fitted.dropped)
    parts = [Text(view.word("per_example"), style="bold"), *fitted.parts, *_mix_lines(calc, view)]
    return parts + _ignored_line(calc, view)


def _example_labels(batch: Batch) -> list[str]:
    """Row labels: image paths without the folder they share, so the names fit the table."""
    names = batch.example_names()
    if batch.inputs is None or len(names) < 2:
        return names
    prefix = os.path.commonpath([os.path.dirname(n) or "." for n in names])
    return [os.path.relpath(n, prefix) if prefix not in ("", ".") else n for n in names]


#: The row labels' rule, for the tables other modules lay out (calibrate's).
example_labels = _example_labels


def _batch_lines(calc: Calculation, view: View) -> list[RenderableType]:
    lines: list[RenderableType] = []
    for step in calc.steps:
        if step.per != "batch":
            continue
        item = f"{view.title(step)} = {format_number(float(step.values), view.precision)}"
        items = [item]
        if step.name == "mean" and "denominator" in calc.details:
            what = calc.details.get("denominator_is", "")
            denominator = f"{calc.details['denominator']:g}"
            said = view.word("denominator", denominator=denominator, what=view.word(what)) if what else ""
            items.append(said or f"(Σ loss / {denominator})")  # a mean over 0 is explained by the notes
        lines.append(Text(packed(items, view.width).plain, style="bold"))
    check = calc.details.get("torch_check")
    if check:
        key = "matches" if check["matches"] else "differs"
        style = "green" if check["matches"] else "bold red"
        lines.append(view.line(_check_line(key, check, view), style=style))
    grad_check = check.get("grad") if check else None
    if grad_check:
        key = "grad_matches" if grad_check["matches"] else "grad_differs"
        style = "green" if grad_check["matches"] else "bold red"
        lines.append(view.line(_check_line(key, grad_check, view), style=style))
    return lines


def _check_line(key: str, check: dict, view: View) -> str:
    """--check: the verdict with the tolerances it was judged by, then how far apart the results are."""
    verdict = view.word(key, function=check["function"], rtol=f"{check['rtol']:.0e}", atol=f"{check['atol']:.1e}")
    detail = view.word("check_diff", abs=f"{check['max_abs_diff']:.1e}", rel=f"{check['max_rel_diff']:.1e}")
    if check.get("shape") != check.get("torch_shape"):
        detail += view.word("check_shape", shape=tuple(check["shape"]), torch_shape=tuple(check["torch_shape"]))
    elif not check.get("same_non_finite", True):
        detail += view.word("check_places")
    return packed([verdict, detail], view.width, separator=" ").plain


# ----------------------------------------------------------------------------- logits


def group(parts: list[RenderableType]) -> Group:
    return Group(*parts)


def descent_renderables(descent: Descent, batch: Batch, view: View | None = None) -> list[RenderableType]:
    """--lr: the old input, the gradient and the new input per class, as ordinary step tables; then the
    loss before and after the step (per example for reduction none, in the tables)."""
    view = view or View()
    calc = descent_calculation(descent)
    title = Text(view.word("descent_title", lr=f"{descent.lr:g}"), style="bold")
    parts: list[RenderableType] = [Text(""), title]  # a new block: a blank line after the loss's summary
    parts.extend(calculation_renderables(calc, batch, view))
    if not isinstance(descent.loss_before, np.ndarray):
        before = format_number(float(descent.loss_before), view.precision)
        after = format_number(float(descent.loss_after), view.precision)
        parts.append(Text(view.word(f"descent_loss_{descent.reduction}", before=before, after=after), style="bold"))
    return parts
