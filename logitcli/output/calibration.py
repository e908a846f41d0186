"""`calibrate` as tables: per example, per bin, the reliability diagram, the summary, the libraries side by
side and the temperature fit. Layout only: every number comes from the Calculation `steps.calibration` made.

Every table goes through `grid.fit`, so each fits 40 to 120 columns as the other commands' tables do.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
from rich.console import RenderableType
from rich.text import Text

from logitcli.inputs.batch import Batch
from logitcli.output.emit import Output
from logitcli.output.grid import Column, Grid, fit, packed
from logitcli.output.reliability import reliability_diagram
from logitcli.output.render import View, dropped_line, example_labels, format_number, probability_bar
from logitcli.steps import Calculation
from logitcli.steps.calibration import Bins

LABELS = {
    "title": "calibrate: {mode}, {kept} of {n} example(s), {bins} {strategy} bins, {rule}",
    "mode.top-label": "top-label (confidence = max softmax, correct = argmax is the target)",
    "mode.binary": "binary (confidence = P(class 1), outcome = the target)",
    "mode.classwise": "classwise (each class's probability against target = class)",
    "rule.logitcli": "bins [a, b), the last [a, 1]",
    "rule.convention": "{library}'s rule: {rule}",
    "per_example": "per example",
    "per_bin": "per bin",
    "bin": "bin",
    "count": "n",
    "confidence": "conf",
    "accuracy": "acc",
    "gap": "gap",
    "weighted_gap": "n/N·|gap|",
    "diagram": "reliability diagram",
    "diagram_after": "reliability diagram after the fit (T = {T})",
    "diagram_axis": "confidence",
    "diagram_legend": "█ accuracy, · diagonal, ▒ both; n: examples per bin (max {peak})",
    "diagram_too_narrow": "reliability diagram left out: {bins} bins do not fit {width} columns; fewer --bins",
    "summary": "summary",
    "rows_hidden": "{hidden} more example(s) not shown; --rows all shows every row",
    "compare": "the same predictions under each library's own defaults",
    "compare_same": "the binned ECEs agree here (within 1e-6): no bin boundary parts these predictions",
    "compare_spread": "the binned ECEs run from {low} to {high}: the bins decide",
    "library": "library",
    "call": "call",
    "rule": "rule",
    "ece": "ECE",
    "why": "what parts them here",
    "not_measured": "—",
    "fit": "temperature fit: the T minimising the mean NLL of softmax(x / T)",
    "fit_start": "at T = 1: NLL = {nll}, dNLL/dβ = {slope} (β = 1/T; the NLL is convex in β)",
    "fit_none": "no finite positive T: {reason}",
    "search": "search (Newton's method inside a bracket on dNLL/dβ = 0)",
    "step": "step",
    "found": "T* = {T}   β* = {beta}   dNLL/dβ at T* = {slope} (≈ 0: the minimum)",
    "metric": "metric",
    "before": "before (T = {T})",
    "after": "after (T = {T})",
}


def calibration_renderables(calc: Calculation, batch: Batch, view: View) -> list[RenderableType]:
    """Everything `calibrate` shows, in reading order."""
    d = calc.details
    words = {**LABELS, **{k: v for k, v in view.labels.items() if k in LABELS}}
    dropped: list[str] = []
    parts: list[RenderableType] = [Text(_title(d, words), style="bold")]
    parts += _examples(calc, batch, view, words, dropped)
    bins = _bins_from(d["bins"])
    parts += [Text(words["per_bin"], style="bold"), *_bin_table(bins, view, words, dropped)]
    parts += reliability_diagram(bins, view.width, words["diagram"], words)
    parts += [Text(words["summary"], style="bold"), _summary(calc, view)]
    if "compare" in d:
        parts += _compare(d["compare"], view, words, dropped)
    if "temperature" in d:
        parts += _fit(d["temperature"], view, words, dropped)
    parts += [Text(f"note: {note}", style="yellow") for note in calc.notes]
    parts += dropped_line(dropped, view)
    return parts


def _title(d: dict[str, Any], words: dict[str, str]) -> str:
    rule = (
        words["rule.logitcli"]
        if d["convention"] == "logitcli"
        else words["rule.convention"].format(library=d["convention"], rule=d["rule"])
    )
    if d["float32"]:
        rule += ", float32"
    return words["title"].format(
        mode=words[f"mode.{d['mode']}"],
        kept=d["n_kept"],
        n=d["n_examples"],
        bins=d["n_bins"],
        strategy=d["strategy"],
        rule=rule,
    )


def _class_cell(index: float, batch: Batch, binary: bool, ignore: int) -> str:
    i = int(index)
    if i == ignore:
        return f"{i} (ignored)"
    if not binary and batch.classes is not None and 0 <= i < len(batch.classes):
        return f"{i} ({batch.classes[i]})"
    return str(i)


def _examples(calc: Calculation, batch: Batch, view: View, words: dict[str, str], dropped: list[str]) -> list:
    rows = view.examples_shown(batch.n_examples)
    binary = calc.details["mode"] == "binary"
    ignore = int(calc.details["ignore_index"])
    conf = calc.step("confidence")
    kept = calc.step("kept").values
    columns = [Column(view.word("example"), tuple(example_labels(batch)[:rows]), "label", justify="left")]
    cells = tuple(format_number(v, view.precision) for v in conf.values[:rows])
    columns += [
        Column(conf.title, cells),
        Column("", tuple(probability_bar(v) for v in conf.values[:rows]), "bar", justify="left"),
    ]
    for name in ("prediction", "target"):
        step = calc.step(name)
        values = step.values[:rows]
        shown = tuple(
            _class_cell(v, batch, binary, ignore if name == "target" else -(10**30)) if math.isfinite(v) else "nan"
            for v in values
        )
        columns.append(Column(step.title, shown, secondary=name == "prediction"))
    correct = calc.step("correct")
    marks = tuple(
        ("—" if not k else ("yes" if c else "no")) if not binary else ("—" if not k else f"{int(c)}")
        for c, k in zip(correct.values[:rows], kept[:rows], strict=True)
    )
    columns.append(Column(correct.title, marks))
    fitted = fit(Grid(tuple(columns)), view.width)
    assert fitted is not None
    dropped += fitted.dropped
    parts: list[RenderableType] = [Text(words["per_example"], style="bold"), *fitted.parts]
    if rows < batch.n_examples:
        parts.append(view.line(words["rows_hidden"].format(hidden=batch.n_examples - rows)))
    return parts


def _bins_from(records: list[dict[str, Any]]) -> Bins:
    """The bins back from their JSON records (what the table and the diagram draw)."""

    def column(key: str) -> np.ndarray:
        return np.array([r[key] for r in records], dtype=np.float64)

    return Bins(
        lower=column("lower"),
        upper=column("upper"),
        count=np.array([r["count"] for r in records], dtype=np.int64),
        confidence=column("confidence"),
        accuracy=column("accuracy"),
        n=int(sum(r["count"] for r in records)),
        outside=0,
        ece=float(np.sum(column("weighted_gap"))),
        rmsce=math.nan,
        mce=math.nan,
        closed=records[0]["closed"] if records else "[)",
    )


def _range(lower: float, upper: float, closed: str) -> str:
    if lower == upper:
        return f"[{lower:.3g}]"
    left, right = ("[", ")") if closed == "[)" else ("(", "]")
    if closed == "[)" and upper == 1.0:
        right = "]"
    if closed == "(]" and lower == 0.0:
        left = "["
    return f"{left}{lower:.3f}, {upper:.3f}{right}"


def _bin_table(bins: Bins, view: View, words: dict[str, str], dropped: list[str]) -> list[RenderableType]:
    p = view.precision
    empty = bins.count == 0

    def numbers(values: np.ndarray) -> tuple[str, ...]:
        return tuple("" if e else format_number(v, p) for v, e in zip(values, empty, strict=True))

    columns = [
        Column(
            words["bin"],
            tuple(_range(lo, hi, bins.closed) for lo, hi in zip(bins.lower, bins.upper, strict=True)),
            "label",
            justify="left",
        ),
        Column(words["count"], tuple(str(int(c)) for c in bins.count)),
        Column(words["confidence"], numbers(bins.confidence)),
        Column(words["accuracy"], numbers(bins.accuracy)),
        Column(words["gap"], numbers(bins.gap), secondary=True),
        Column(words["weighted_gap"], numbers(bins.weighted_gap), secondary=True),
    ]
    fitted = fit(Grid(tuple(columns)), view.width)
    assert fitted is not None
    dropped += fitted.dropped
    return fitted.parts


def _summary(calc: Calculation, view: View) -> Text:
    items = []
    for step in calc.steps:
        if step.per == "batch":
            items.append(f"{step.title} = {format_number(float(step.values), view.precision)}")
    sigma = calc.details.get("smece_bandwidth")
    if sigma is not None and math.isfinite(sigma):
        items.append(f"(smECE's σ = {format_number(sigma, view.precision)})")
    return packed(items, view.width)


def _compare(rows: list[dict[str, Any]], view: View, words: dict[str, str], dropped: list[str]) -> list:
    columns = [
        Column(words["library"], tuple(f"{r['name']} {r['version']}" for r in rows), "label", justify="left"),
        Column(
            words["ece"],
            tuple(
                words["not_measured"] if r["ece"] is None else format_number(r["ece"], max(view.precision, 6))
                for r in rows
            ),
        ),
        Column(words["why"], tuple(r["why"] for r in rows), justify="left"),
    ]
    fitted = fit(Grid(tuple(columns)), view.width)
    assert fitted is not None
    dropped += fitted.dropped
    binned = [r["ece"] for r in rows if r["ece"] is not None and r["n_bins"] is not None]
    low, high = (min(binned), max(binned)) if binned else (0.0, 0.0)
    digits = max(view.precision, 6)
    said = (
        words["compare_same"]
        if high - low <= 1e-6
        else words["compare_spread"].format(low=format_number(low, digits), high=format_number(high, digits))
    )
    return [Text(words["compare"], style="bold"), *fitted.parts, view.line(said)]


def _fit(record: dict[str, Any], view: View, words: dict[str, str], dropped: list[str]) -> list:
    p = view.precision
    parts: list[RenderableType] = [Text(words["fit"], style="bold")]
    start = words["fit_start"].format(nll=format_number(record["nll_at_1"], p), slope=_sci(record["derivative_at_1"]))
    parts.append(view.line(start, style=""))
    if record["status"] != "found":
        parts.append(Text(words["fit_none"].format(reason=record["reason"]), style="yellow"))
        return parts
    search = record["search"]
    columns = [
        Column(words["step"], tuple(str(i) for i in range(len(search))), "label"),
        Column("T", tuple(format_number(s["T"], max(p, 8)) for s in search)),
        Column("NLL", tuple(format_number(s["nll"], max(p, 8)) for s in search)),
        Column("dNLL/dβ", tuple(_sci(s["derivative"]) for s in search)),
    ]
    fitted = fit(Grid(tuple(columns)), view.width)
    assert fitted is not None
    parts += [Text(words["search"], style="bold"), *fitted.parts]
    found = words["found"].format(T=repr(record["T"]), beta=repr(record["beta"]), slope=_sci(record["derivative_at_T"]))
    parts.append(Text(packed(found.split("   "), view.width).plain, style="bold"))
    before, after = record["before"], record["after"]
    t_before = record["T_total"] / record["T"]
    names = (
        ("nll", "NLL"),
        ("ece", "ECE"),
        ("smece", "smECE"),
        ("brier", "Brier"),
        ("accuracy", "accuracy"),
        ("mean_confidence", "mean confidence"),
    )
    table = Grid(
        (
            Column(words["metric"], tuple(title for _, title in names), "label", justify="left"),
            Column(words["before"].format(T=f"{t_before:g}"), tuple(format_number(before[k], p) for k, _ in names)),
            Column(
                words["after"].format(T=format_number(record["T_total"], p)),
                tuple(format_number(after[k], p) for k, _ in names),
            ),
        )
    )
    fitted = fit(table, view.width)
    assert fitted is not None
    dropped += fitted.dropped
    parts += fitted.parts
    title = words["diagram_after"].format(T=format_number(record["T_total"], p))
    parts += reliability_diagram(_bins_from(record["bins_after"]), view.width, title, words)
    return parts


def _sci(value: float) -> str:
    return f"{value:.3e}" if math.isfinite(value) else str(value)


def emit_calibration(calc: Calculation, batch: Batch, out: Output) -> None:
    """JSON, JSON lines or the tables (and --save), as every command writes them."""
    from logitcli.output import jsonout

    sys.stdout.flush()
    if out.mode == "json":
        jsonout.write_document(jsonout.document_parts(calc, batch, out.include_steps), sys.stdout.buffer)
    elif out.mode == "jsonl":
        for record in jsonout.jsonl_records(calc, batch, out.include_steps):
            sys.stdout.buffer.write(jsonout.dumps(record) + b"\n")
    sys.stdout.buffer.flush()
    out.show_tables(lambda view: calibration_renderables(calc, batch, view))
    sys.stdout.flush()
    out.finish()
