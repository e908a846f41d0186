"""Shared by the explore tests: the bear example as a first State, an app to drive, and the screen as text."""

from __future__ import annotations

import html
import io
import re

import numpy as np
from rich.cells import cell_len
from rich.console import Console

from logitcli.explore.state import State
from logitcli.inputs import article

NAMES = list(article.BEAR_CLASSES)
EXAMPLES = [f"#{i}" for i in range(len(article.BEAR_LOGITS))]


def bear_state(**options: object) -> State:
    return State.start(np.array(article.BEAR_LOGITS), np.array(article.BEAR_TARGETS), **options)  # type: ignore[arg-type]


def bear_app(lang: str = "en", state: State | None = None, **kwargs: object):  # noqa: ANN201
    from logitcli.explore.app import ExploreApp

    return ExploreApp(state or bear_state(), NAMES, EXAMPLES, lang, **kwargs)  # type: ignore[arg-type]


def screen_text(app) -> str:  # noqa: ANN001
    """The screen as plain text, composed exactly as `export_screenshot` composes it (without the SVG)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


_SPAN = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
    r'clip-path="url\(#[^)]*-line-(\d+)\)">([^<]*)</text>'
)


def svg_text(svg: str, width: int) -> str:
    """The characters of a Rich/Textual SVG screenshot, put back on their lines and columns (styles ignored)."""
    cell = 12.2  # rich's SVG char width at its default font size
    lines: dict[int, list[str]] = {}
    for x, line, text in _SPAN.findall(svg):
        row = lines.setdefault(int(line), [" "] * width)
        column = round(float(x) / cell)
        for char in html.unescape(text).replace("\xa0", " "):
            if column < width:
                row[column] = char
                for extra in range(1, cell_len(char)):
                    if column + extra < width:
                        row[column + extra] = ""
            column += cell_len(char)
    count = max(lines) + 1 if lines else 0
    return "\n".join("".join(lines.get(i, [])).rstrip() for i in range(count)) + "\n"
