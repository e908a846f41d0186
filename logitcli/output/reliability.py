"""The reliability diagram in text: accuracy against confidence per bin, the diagonal, the count per bin.

Ten rows of height 0.1 each; every bin is a column of equal width (1 to 6 cells, as the width allows).
A bin's bar rises to its accuracy (█); the diagonal, where accuracy equals the bin's middle confidence, is
marked · above the bar and ▒ inside it, so a bar that stops below its · is over-confident, one that rises
past it under-confident. Under the axis, one block per bin shows how many examples it holds (▁ to █).
Plain characters only, so it reads the same in a pipe, in `--save` files and with NO_COLOR.
"""

from __future__ import annotations

import math

import numpy as np
from rich.console import RenderableType
from rich.text import Text

from logitcli.steps.calibration import Bins

ROWS = 10
LEVELS = " ▁▂▃▄▅▆▇█"
AXIS = 6  # "1.0 ┤ " and "      " before the columns
MAX_CELL = 6


def diagram_width(n_bins: int, width: int | None) -> int | None:
    """Cells per bin that fit `width` columns (None: the bins do not fit even at one cell each)."""
    room = (width if width is not None else AXIS + MAX_CELL * n_bins) - AXIS
    cell = min(MAX_CELL, room // max(n_bins, 1))
    return cell if cell >= 1 else None


def reliability_diagram(bins: Bins, width: int | None, title: str, labels: dict[str, str]) -> list[RenderableType]:
    """The diagram as lines of text; one line saying why it is left out when the bins cannot fit."""
    count = bins.count
    cell = diagram_width(len(count), width)
    if cell is None:
        return [Text(labels["diagram_too_narrow"].format(bins=len(count), width=width), style="dim")]
    filled = [0 if c == 0 or math.isnan(a) else _level(a) for c, a in zip(count, bins.accuracy, strict=True)]
    diagonal = [_level(m) for m in (bins.lower + bins.upper) / 2]
    lines = [Text(title, style="bold")]
    for level in range(ROWS, 0, -1):
        label = f"{level / ROWS:.1f} ┤ " if level % 5 == 0 else "    │ "
        row = "".join(_cell(level, filled[b], diagonal[b], count[b] > 0) * cell for b in range(len(count)))
        lines.append(Text(label + row.rstrip()))
    lines.append(Text("0.0 ┼─" + "─" * (cell * len(count))))
    if _equal_widths(bins):
        lines.append(Text(" " * AXIS + _ticks(cell * len(count), labels.get("diagram_axis", "confidence"))))
    else:  # quantile bins: one column per bin, so the confidence axis is not to scale
        unequal = labels.get("diagram_unequal", "one column per bin (equal counts, unequal widths)")
        lines.append(Text(" " * AXIS + unequal))
    peak = int(count.max()) if count.size else 0
    blocks = "".join((LEVELS[max(1, math.ceil(8 * c / peak))] if c else " ") * cell for c in count) if peak else ""
    lines.append(Text(f"{'n':>4}  " + blocks.rstrip()))
    legend = labels["diagram_legend"].format(peak=peak)
    lines.append(Text(legend, style="dim"))
    return lines


def _equal_widths(bins: Bins) -> bool:
    """Whether the bins (torchmetrics' extra [1, 1] bin aside) are of equal width, so the axis is to scale."""
    widths = (bins.upper - bins.lower)[bins.upper > bins.lower]
    return bool(widths.size == 0 or np.allclose(widths, widths[0], rtol=1e-6))


def _level(value: float) -> int:
    """The row a value in [0, 1] reaches, rounding halves up (0.85 reaches row 9 of 10)."""
    return int(math.floor(value * ROWS + 0.5))


def _cell(level: int, filled: int, diagonal: int, occupied: bool) -> str:
    inside = level <= filled
    if level == diagonal and occupied:
        return "▒" if inside else "·"
    return "█" if inside else " "


def _ticks(length: int, axis: str) -> str:
    """0, 0.5 and 1 under the axis where they fall (the confidence scale)."""
    line = [" "] * (length + 3)
    for value in (0.0, 0.5, 1.0):
        text = f"{value:g}"
        at = min(int(round(value * length)) - (len(text) // 2 if value else 0), length + 3 - len(text))
        at = max(at, 0)
        line[at : at + len(text)] = text
    return "".join(line).rstrip() + "  " + axis
