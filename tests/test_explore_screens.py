"""explore's screen at 80 x 24 and 40 x 24, in English and Japanese, against committed goldens.

Each screen has two goldens in tests/golden/: the text (`explore-<lang>-<width>x24.txt`) and Textual's own SVG
screenshot (`.svg`, to look at). The text of the current screen must equal the text golden; the SVG golden is
compared by its characters (put back on their lines and columns), not its styles, so a new Textual theme or
font rule does not fail the suite while a changed number or word does. When the screen changes on purpose:

    LOGITCLI_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_explore_screens.py

and read the diff before committing.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from explore_helpers import bear_app, screen_text, svg_text

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("LOGITCLI_REGEN_GOLDEN") == "1"
SCREENS = [(lang, width) for lang in ("en", "ja") for width in (80, 40)]


def capture(lang: str, width: int, keys: tuple[str, ...] = ()) -> tuple[str, str]:
    app = bear_app(lang)

    async def run() -> tuple[str, str]:
        async with app.run_test(size=(width, 24)) as pilot:
            await pilot.press(*keys)
            await pilot.pause()
            return screen_text(app), app.export_screenshot(title="logitcli explore")

    return asyncio.run(run())


@pytest.mark.parametrize(("lang", "width"), SCREENS, ids=[f"{lang}-{width}" for lang, width in SCREENS])
def test_the_screen_matches_its_goldens(lang: str, width: int) -> None:
    text, svg = capture(lang, width, ("up", "g"))  # a moved logit and a descent step: every part has something
    name = f"explore-{lang}-{width}x24"
    if REGEN:
        (GOLDEN / f"{name}.txt").write_text(text, encoding="utf-8")
        (GOLDEN / f"{name}.svg").write_text(svg, encoding="utf-8")
    assert (GOLDEN / f"{name}.txt").exists(), f"missing golden: run LOGITCLI_REGEN_GOLDEN=1 pytest {__file__}"
    golden_text = (GOLDEN / f"{name}.txt").read_text(encoding="utf-8")
    assert text == golden_text, f"{name} changed; regenerate if on purpose (see the docstring)"
    assert svg_text(svg, width) == text  # the screenshot shows what the text says
    assert svg_text((GOLDEN / f"{name}.svg").read_text(encoding="utf-8"), width) == golden_text


@pytest.mark.parametrize(("lang", "width"), SCREENS, ids=[f"{lang}-{width}" for lang, width in SCREENS])
def test_every_line_fits_and_the_table_keeps_its_core_columns(lang: str, width: int) -> None:
    from rich.cells import cell_len

    text, _ = capture(lang, width)
    assert all(cell_len(line) <= width for line in text.splitlines())
    header = next(line for line in text.splitlines() if "∂L/∂x" in line)
    assert "x" in header and "softmax" in header


def test_the_readme_shows_the_golden_screen() -> None:
    """The README's explore screen is the 80 x 24 golden (its blank filler lines above the footer aside)."""
    import re

    readme = (GOLDEN.parent.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```text\n\$ logitcli explore[^\n]*\n(.*?)```", readme, re.S)
    assert block is not None, "the README's explore section has no screen"
    golden = (GOLDEN / "explore-en-80x24.txt").read_text(encoding="utf-8")
    assert [line for line in block.group(1).splitlines() if line.strip()] == [
        line for line in golden.splitlines() if line.strip()
    ]
