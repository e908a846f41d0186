"""The explorer's screen as text: which classes and columns fit, every cell, and the lines around the table.

Pure layout, no Textual: `layout` turns a State into `Parts` (rich Text, one table line per class so a click
maps to a row), and the widgets only show them. The width decision is the tables' own (`output.grid`'s
`column_widths`); columns go in a fixed order when they do not fit, the probability bars first, as the
tables drop theirs: the probability bars, exp(z - max) (the tables' secondary form), the logit bars, the
log-probabilities. The class, the logit, the probability and the gradient always stay.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.cells import cell_len
from rich.text import Text

from logitcli.explore.moments import find_moment
from logitcli.explore.state import State
from logitcli.inputs.batch import Batch
from logitcli.output.grid import BAR_WIDTH, Column, Grid, column_widths, packed, table_width
from logitcli.output.linebreak import wrap_cjk
from logitcli.output.render import class_order, format_number, probability_bar

#: Column keys in the order they are left out when the screen is too narrow (0: never).
DROP_ORDER = {"p_bar": 1, "exp": 2, "scaled": 2, "loss": 2, "x_bar": 3, "log_p": 4, "log_q": 4}


@dataclass(frozen=True)
class Parts:
    """Everything the screen shows for one state at one width, as text, plus what a click needs."""

    title: Text
    table: Text
    row_classes: tuple[int | None, ...]  # per line of `table`: the class index it shows (None: header, rule)
    cells: dict[str, tuple[str, ...]]  # per shown column key: its cells, one per shown class (for tests)
    classes: tuple[int, ...]  # the shown classes, in row order
    dropped: tuple[str, ...]
    moment: str
    summary: Text
    formulas: Text
    footer: str
    bar_scale: float = 1.0


def shown_classes(state: State, top_k: int | None = None) -> list[int]:
    """The tables' rule on the first logits: every class up to 20, else the top k, and always the target."""
    initial = state.initial if state.initial is not None else state.numbers
    target = state.target if state.target != state.options.ignore_index else None
    order = class_order(Batch(np.asarray(initial.logits)), state.example, top_k, target)
    if state.selected not in order:
        order.append(state.selected)
    return order


def _number(value: float, precision: int) -> str:
    return format_number(float(value), precision)


def _logit_bar(x: float, scale: float) -> str:
    """The logit as a bar from the middle: left of it for a negative logit, right for a positive one."""
    half = BAR_WIDTH // 2
    if not np.isfinite(x):
        cells = half if not np.isnan(x) else 0
    else:
        cells = min(half, round(abs(x) / scale * half))
    if x < 0:
        return " " * (half - cells) + "█" * cells + " " * half
    return " " * half + "█" * cells + " " * (half - cells)


def _columns(state: State, classes: list[int], names: list[str], precision: int) -> list[tuple[str, Column]]:
    """Every column the screen could show, as (key, Column), with the step's own title as the header."""
    row, n = state.example, state.numbers
    view = state.view
    num = lambda values: tuple(_number(values[k], precision) for k in classes)  # noqa: E731
    x = n.logits[row]
    finite = np.abs(x[np.isfinite(x)])
    scale = max(float(finite.max()) if finite.size else 1.0, 1.0)
    labels = []
    for i, k in enumerate(classes):
        key = str(i) if i < 10 else " "
        if n.mode == "softmax":
            mark = "●" if k == state.target else " "
        else:
            mark = "●" if n.labels[row, k] == 1 else " "
        labels.append(f"{key} {mark} {names[k]}")
    out: list[tuple[str, Column]] = [
        ("class", Column("", tuple(labels), "label", justify="left")),
        ("x", Column("x", num(x))),
        ("x_bar", Column("", tuple(_logit_bar(x[k], scale) for k in classes), "bar")),
    ]
    if n.mode == "softmax":
        probs = view.probs
        if n.temperature != 1.0:
            out.append(("scaled", Column(probs.step("scaled").title, num(probs.step("scaled").values[row]))))
        shifted = probs.step("exp_shifted")
        p = probs.step("softmax").values[row]
        out += [
            ("exp", Column(shifted.title, num(shifted.values[row]))),
            ("p", Column("softmax", num(p))),
            ("p_bar", Column("", tuple(probability_bar(p[k]) for k in classes), "bar")),
            ("log_p", Column("log softmax", num(view.loss.step("log_softmax").values[row]))),
        ]
    else:
        p = view.loss.step("sigmoid").values[row]
        out += [
            ("y", Column("y", tuple(f"{n.labels[row, k]:g}" for k in classes))),
            ("p", Column("σ(z)" if n.temperature != 1.0 else "sigmoid", num(p))),
            ("p_bar", Column("", tuple(probability_bar(p[k]) for k in classes), "bar")),
            ("log_p", Column("log σ", num(view.loss.step("log_sigmoid").values[row]))),
            ("loss", Column("loss", num(view.loss.step("loss").values[row]))),
        ]
    out.append(("grad", Column("∂L/∂x", num(view.grad[row]))))
    return out


def _fit(columns: list[tuple[str, Column]], width: int) -> tuple[list[tuple[str, Column]], list[int], bool, list[str]]:
    """Leave columns out in DROP_ORDER (a compact layout first at each stage) until the rest fits `width`."""
    levels = sorted(set(DROP_ORDER.values()))
    for level in [0, *levels]:
        kept = [(key, c) for key, c in columns if DROP_ORDER.get(key, 99) > level]
        for compact in (False, True):
            widths = column_widths(Grid(tuple(c for _, c in kept)), width, compact)
            if widths is not None:
                return kept, widths, compact, _named([(k, c) for k, c in columns if (k, c) not in kept])
    kept = [(key, c) for key, c in columns if key not in DROP_ORDER]
    widths = column_widths(Grid(tuple(c for _, c in kept)), None, True) or []
    rest = table_width([0, *widths[1:]], compact=True)
    widths[0] = max(3, width - rest)  # the last resort: the class names give way (cut with …), never a number
    return kept, widths, True, _named([(key, c) for key, c in columns if key in DROP_ORDER])


def _named(dropped: list[tuple[str, Column]]) -> list[str]:
    """What was left out, in the tables' words: `bars` for the bars (translated by `layout`), else the header."""
    names = ["bars"] if any(c.kind == "bar" for _, c in dropped) else []
    return names + [c.header for _, c in dropped if c.kind != "bar"]


def _cell(text: str, width: int, column: Column) -> str:
    if cell_len(text) > width:
        return text[: max(width - 1, 0)] + "…"
    pad = " " * (width - cell_len(text))
    return text + pad if column.justify == "left" else pad + text


def _table(
    state: State, kept: list[tuple[str, Column]], widths: list[int], compact: bool, classes: list[int]
) -> tuple[Text, list[int | None]]:
    """One line per shown class under one header (a line per header row) and a rule; the picked row reversed."""
    gap, edge = (" ", "") if compact else ("  ", " ")
    headers = [
        textwrap.wrap(c.header, w, break_on_hyphens=False) or [""] for (_, c), w in zip(kept, widths, strict=True)
    ]
    height = max(len(h) for h in headers)
    text = Text(no_wrap=True, overflow="crop")
    rows: list[int | None] = []
    for line in range(height):
        cells = []
        for (_, column), w, h in zip(kept, widths, headers, strict=True):
            part = h[line - (height - len(h))] if line >= height - len(h) else ""
            cells.append(_cell(part, w, column))
        text.append(edge + gap.join(cells), style="bold")
        text.append("\n")
        rows.append(None)
    text.append("─" * table_width(widths, compact) + "\n", style="dim")
    rows.append(None)
    for i, k in enumerate(classes):
        style = "reverse" if k == state.selected else ""
        for j, ((key, column), w) in enumerate(zip(kept, widths, strict=True)):
            if j:
                text.append(gap, style=style)
            cell = _cell(column.cells[i], w, column)
            cell_style = style
            if key == "x_bar":
                cell_style = f"{style} green" if state.numbers.logits[state.example, k] >= 0 else f"{style} red"
            elif key == "p_bar":
                cell_style = f"{style} cyan"
            if j == 0:
                text.append(edge, style=style)
            text.append(cell, style=cell_style)
        text.append("\n")
        rows.append(k)
    text.rstrip()
    return text, rows


def layout(
    state: State,
    texts: dict[str, dict[str, Any]],
    width: int,
    names: list[str],
    example_names: list[str],
    precision: int = 4,
    top_k: int | None = None,
    terminal_width: int | None = None,
) -> Parts:
    """The whole screen for `state` at `width` columns (of a `terminal_width` one), in the language of `texts`."""
    say = texts["screen"]
    n = state.numbers
    classes = shown_classes(state, top_k)
    columns = _columns(state, classes, names, precision)
    kept, widths, compact, dropped = _fit(columns, width)
    table, rows = _table(state, kept, widths, compact, classes)
    x = n.logits[state.example]
    finite = np.abs(x[np.isfinite(x)])
    scale = max(float(finite.max()) if finite.size else 1.0, 1.0)

    mode = say["mode_softmax"] if n.mode == "softmax" else say["mode_sigmoid"]
    example = say["example"].format(index=state.example + 1, count=state.n_examples, name=example_names[state.example])
    title = packed([say["title"], mode, example], width, " · ")
    title.stylize("bold")

    items = []
    if n.mode == "softmax":
        if state.target == state.options.ignore_index:
            items.append(say["target_ignored"].format(index=state.options.ignore_index))
        else:
            key = "target" if state.targets_given else "target_top"
            items.append(say[key].format(name=names[state.target]))
    else:
        ones = [names[k] for k in np.flatnonzero(n.labels[state.example] == 1)]
        items.append(say["labels"].format(names=", ".join(ones)) if ones else say["labels_none"])
    items += [
        say["loss"].format(reduction=state.options.reduction, value=_number(state.total_loss(), precision)),
        say["example_loss" if n.mode == "softmax" else "example_loss_sum"].format(
            value=_number(state.example_loss(), precision)
        ),
        say["temperature"].format(value=f"{n.temperature:g}"),
        say["lr"].format(value=f"{n.lr:g}"),
    ]
    if len(classes) < state.n_classes:
        items.append(say["shown"].format(shown=len(classes), count=state.n_classes))
    if dropped:
        items.append(
            say["left_out"].format(
                width=terminal_width or width, columns=", ".join(say["bars"] if d == "bars" else d for d in dropped)
            )
        )
    summary = Text(wrap_cjk(packed(items, width).plain, width))

    formulas = Text(wrap_cjk(packed(_formulas(state, [key for key, _ in kept]), width).plain, width))
    moment = find_moment(state, names, precision)
    moment_text = wrap_cjk(texts["moments"][moment.id].format(**moment.args), width)
    footer = say["footer"] if cell_len(say["footer"]) <= width else say["footer_narrow"]
    cells = {key: column.cells for key, column in kept}
    return Parts(
        title,
        table,
        tuple(rows),
        cells,
        tuple(classes),
        tuple(dropped),
        moment_text,
        summary,
        formulas,
        footer,
        scale,
    )


def _formulas(state: State, keys: list[str]) -> list[str]:
    """The formula of each number column shown, and of the loss and its gradient, as the steps give them."""
    view = state.view
    out = []
    if state.numbers.mode == "softmax":
        names = {"scaled": "scaled", "exp": "exp_shifted", "p": "softmax"}
        for key, step in names.items():
            if key in keys and view.probs.step(step).formula != view.probs.step(step).title:
                out.append(f"{view.probs.step(step).title} = {view.probs.step(step).formula}")
        if "log_p" in keys:
            out.append(f"log softmax = {view.loss.step('log_softmax').formula}")
    else:
        out.append(f"σ = {view.loss.step('sigmoid').formula}")
    out.append(f"loss = {view.loss.step('loss').formula}")
    reduced = [s for s in view.loss.steps if s.name in ("mean", "sum")]
    if reduced:
        out.append(f"{reduced[0].title} = {reduced[0].formula}")
    grad = view.loss.step("grad")
    out.append(f"∂L/∂x = {grad.formula}" if state.numbers.temperature == 1 else f"∂L/∂x = ({grad.formula}) / T")
    return out
