"""The guided tour as data: sections of blocks, with every string already in the reader's language.

`build.build_tour` makes a `Tour`; `layout.render_tour` lays it out with rich; `tour_to_json` turns
it into data for `--json`. Keeping the tour as data lets the golden tests, the JSON and the terminal view
share one source, and keeps layout out of the code that decides what to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from logitcli.inputs.batch import Batch
from logitcli.model.check import TorchCheck, describe
from logitcli.output.jsonout import document_parts, jsonable
from logitcli.steps import Calculation
from logitcli.steps.calibration import Bins

ProseKind = Literal["paragraph", "notice", "note"]


@dataclass(frozen=True)
class Prose:
    """A paragraph; `notice` is the section's "what to notice", `note` an aside (a misprint, a code fix)."""

    text: str
    kind: ProseKind = "paragraph"


@dataclass(frozen=True)
class Check:
    """One table's comparison with PyTorch: `result` is None when torch is not installed."""

    function: str
    result: TorchCheck | None
    text: str


@dataclass(frozen=True)
class CalcTable:
    """A Calculation's tables, as the number commands print them, and the PyTorch check under them."""

    caption: str
    calc: Calculation
    batch: Batch
    check: Check | None = None
    top_k: int | None = None


@dataclass(frozen=True)
class Mark:
    """A point to mark on a curve."""

    label: str
    x: float
    y: float


@dataclass(frozen=True)
class Curve:
    """y = f(x) sampled on a grid (drawn with characters), with points marked on it."""

    caption: str
    xs: np.ndarray
    ys: np.ndarray
    marks: tuple[Mark, ...] = ()
    clipped_note: str = ""
    y_range: tuple[float, float] = (0.0, 1.0)


@dataclass(frozen=True)
class Bars:
    """Probabilities for the same classes under several settings (one series per temperature)."""

    caption: str
    classes: list[str]
    series: tuple[tuple[str, np.ndarray], ...]
    class_header: str = "class"
    top_k: int | None = None


@dataclass(frozen=True)
class ComparisonRow:
    """One printed figure next to its true value; `differs` marks the cells to flag."""

    label: str
    values: np.ndarray
    differs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


@dataclass(frozen=True)
class Comparison:
    """The article's printed figures beside the true ones, class by class."""

    caption: str
    columns: list[str]
    rows: tuple[ComparisonRow, ...]
    legend: str = ""


@dataclass(frozen=True)
class Reliability:
    """A reliability diagram: accuracy against confidence per bin, the diagonal, the count per bin."""

    caption: str
    bins: Bins
    legend: str = ""
    too_narrow: str = ""
    axis: str = "confidence"


Block = Prose | CalcTable | Check | Curve | Bars | Comparison | Reliability


@dataclass(frozen=True)
class Section:
    """One part of the tour: `id` is what --section names (logits, sigmoid, softmax, nll, xent, grad, calibration).

    `result` is what the section computes (its logits, scores, loss or gradient), None where it needs targets it
    lacks.
    """

    id: str
    title: str
    blocks: tuple[Block, ...]
    result: Any = None


@dataclass(frozen=True)
class Tour:
    """The whole tour, in one language, on the article's numbers or on the user's; `labels` are the tables' words."""

    lang: str
    title: str
    intro: str
    sections: tuple[Section, ...]
    notice_title: str
    note_title: str
    source: Literal["article", "yours"] = "article"
    labels: Mapping[str, str] = field(default_factory=dict)


def tour_to_json(tour: Tour) -> dict[str, Any]:
    """The tour as JSON-safe data: each block with its type, numbers as lists ("nan"/"inf" as strings)."""
    return {
        "command": "explain",
        "lang": tour.lang,
        "source": tour.source,
        "title": tour.title,
        "intro": tour.intro,
        "sections": [
            {"id": s.id, "title": s.title, "blocks": [_block_json(b) for b in s.blocks], "result": jsonable(s.result)}
            for s in tour.sections
        ],
        "result": {s.id: jsonable(s.result) for s in tour.sections},
    }


def _block_json(block: Block) -> dict[str, Any]:
    if isinstance(block, Prose):
        return {"type": "prose", "kind": block.kind, "text": block.text}
    if isinstance(block, Check):
        return {"type": "check", **describe(block.result, block.function), "text": block.text}
    if isinstance(block, CalcTable):
        document = dict(document_parts(block.calc, block.batch))
        out = {"type": "calculation", "caption": block.caption, **document}
        if block.check is not None:
            out["check"] = _block_json(block.check)
        return jsonable(out)
    if isinstance(block, Curve):
        marks = [{"label": m.label, "x": m.x, "y": m.y} for m in block.marks]
        return jsonable({"type": "curve", "caption": block.caption, "x": block.xs, "y": block.ys, "marks": marks})
    if isinstance(block, Bars):
        series = [{"label": label, "values": values} for label, values in block.series]
        return jsonable({"type": "bars", "caption": block.caption, "classes": block.classes, "series": series})
    if isinstance(block, Reliability):
        return jsonable({"type": "reliability", "caption": block.caption, "bins": block.bins.records()})
    if isinstance(block, Comparison):
        rows = [{"label": r.label, "values": r.values, "differs": r.differs.tolist()} for r in block.rows]
        return jsonable({"type": "comparison", "caption": block.caption, "columns": block.columns, "rows": rows})
    raise TypeError(f"unknown block {block!r}")
