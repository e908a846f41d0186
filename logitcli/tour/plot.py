"""A curve drawn with characters: small, deterministic, no colour codes, the same at any terminal width.

plotext would also do, but its output depends on the terminal and its theme; the tour's golden tests need
the same characters everywhere, and a sigmoid needs only dots, axes and a marker.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DOT = "·"
MARK = "●"


def ascii_curve(
    xs: np.ndarray,
    ys: np.ndarray,
    marks: Sequence[tuple[float, float]] = (),
    *,
    height: int = 11,
    y_range: tuple[float, float] = (0.0, 1.0),
) -> list[str]:
    """Lines of a plot with one column per x sample: y ticks on the left, x ticks below, marks as ●.

    Marks outside the x range are drawn on the nearest edge (the caller says so in prose).
    """
    width = len(xs)
    lo, hi = y_range
    grid = [[" "] * width for _ in range(height)]
    zero = _column(0.0, xs)
    if xs[0] <= 0.0 <= xs[-1]:
        for row in grid:
            row[zero] = "│"
    for col, y in enumerate(ys):
        grid[_row(float(y), lo, hi, height)][col] = DOT
    for x, y in marks:
        grid[_row(y, lo, hi, height)][_column(x, xs)] = MARK
    labels = {0: f"{hi:g}", height // 2: f"{(lo + hi) / 2:g}", height - 1: f"{lo:g}"}
    pad = max(len(label) for label in labels.values())
    lines = [f"{labels.get(i, ''):>{pad}} ┤{''.join(row)}" for i, row in enumerate(grid)]
    lines.append(" " * pad + " └" + "─" * width)
    lines.append(" " * (pad + 2) + _x_ticks(xs))
    return lines


def _row(y: float, lo: float, hi: float, height: int) -> int:
    fraction = (min(max(y, lo), hi) - lo) / (hi - lo)
    return int(round((1.0 - fraction) * (height - 1)))


def _column(x: float, xs: np.ndarray) -> int:
    return int(np.argmin(np.abs(xs - x)))


def _x_ticks(xs: np.ndarray, count: int = 5) -> str:
    """Tick labels at evenly spaced x values, centred on their column where room allows."""
    width = len(xs)
    line = [" "] * (width + 4)
    for value in np.linspace(xs[0], xs[-1], count):
        label = f"{value:g}"
        col = _column(float(value), xs)
        start = min(max(col - len(label) // 2, 0), width + 4 - len(label))
        line[start : start + len(label)] = label
    return "".join(line).rstrip()
