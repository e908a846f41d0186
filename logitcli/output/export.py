"""--save as .html and .svg that keep the terminal's grid, full-width (Japanese) characters in two cells.

A browser lays `<pre>` text out in its font's widths: a CJK glyph is rarely exactly two Latin cells wide, and
a box-drawing or block character may come from a fallback font of another width, so rich's HTML gets ragged
right borders in Japanese. Here every character outside ASCII sits in an inline block exactly as wide as its
cells (`1ch` or `2ch`), in a monospace font stack that has Japanese. rich's SVG sizes each run of text by its
characters, not its cells (`textLength`), which squeezes Japanese into half its room: each run is sized again
by its cells, and the font stack gains Japanese fonts.
"""

from __future__ import annotations

import html
import re

from rich.cells import cell_len

#: Monospace fonts with Japanese glyphs first where a system has them, then the usual ones.
FONT_STACK = (
    "'DejaVu Sans Mono', Menlo, Consolas, 'Noto Sans Mono CJK JP', 'Source Han Code JP', 'BIZ UDGothic', "
    "'MS Gothic', 'Osaka-Mono', monospace"
)
CELL_CSS = (
    f"pre, code {{ font-family: {FONT_STACK}; }}\n"
    ".c1, .c2 { display: inline-block; text-align: center; overflow: visible; }\n"
    ".c1 { width: 1ch; } .c2 { width: 2ch; }\n"
)

_PRE = re.compile(r"(<code[^>]*>)(.*?)(</code>)", re.DOTALL)
_SVG_TEXT = re.compile(r'(<text\b[^>]*?textLength=")([\d.]+)("[^>]*>)(.*?)(</text>)', re.DOTALL)


def html_in_cells(page: str) -> str:
    """rich's HTML page with each non-ASCII character in a box of its cells, and the CJK font stack."""
    page = page.replace("</style>", CELL_CSS + "</style>", 1)
    page = re.sub(r'<pre style="font-family:[^"]*"', "<pre", page, count=1)
    return _PRE.sub(lambda m: m.group(1) + _boxed(m.group(2)) + m.group(3), page)


def _boxed(code: str) -> str:
    """Text between tags: every non-ASCII character in a `c1`/`c2` span (tags themselves are left alone)."""
    parts = re.split(r"(<[^>]*>)", code)
    for index in range(0, len(parts), 2):  # even parts are text, odd ones tags
        parts[index] = "".join(_box(char) for char in parts[index])
    return "".join(parts)


def _box(char: str) -> str:
    if char.isascii():
        return char
    return f'<span class="c{max(1, cell_len(char))}">{char}</span>'


def svg_in_cells(svg: str) -> str:
    """rich's SVG with each run of text as wide as its cells, and the CJK font stack."""
    svg = svg.replace("font-family: Fira Code, monospace;", f"font-family: 'Fira Code', {FONT_STACK};")

    def sized(found: re.Match[str]) -> str:
        text = html.unescape(found.group(4))
        width = float(found.group(2))
        if text and cell_len(text) != len(text):
            width = width / len(text) * cell_len(text)
        return f"{found.group(1)}{width:g}{found.group(3)}{found.group(4)}{found.group(5)}"

    return _SVG_TEXT.sub(sized, svg)
