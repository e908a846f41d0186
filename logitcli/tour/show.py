"""Where the tour goes: the terminal (paged when longer than the screen, as `git log` pages), a pipe, --save.

On a terminal the tour is rendered once, in the terminal's colours, to text: longer than the screen (or
with --pager) it goes through the pager, else straight to stdout; --no-pager prints it always, and a pipe
is never paged. --save writes the same recording.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from rich.console import Console

from logitcli.output.pager import page
from logitcli.output.safetext import EscapeHook
from logitcli.tour.layout import render_tour

if TYPE_CHECKING:
    from logitcli.output.emit import Output
    from logitcli.tour.data import Tour


def show_tour(tour: Tour, out: Output, pager: bool | None = None, *, on_stdout: bool = True) -> None:
    """Print (or page) the tour and save it if asked; `on_stdout=False` (explain --json) only saves it.

    `pager`: True pages on a terminal whatever the length, None when longer than the screen, False never.
    """
    if not on_stdout:
        if out.save:
            console = out.console(file=io.StringIO())
            render_tour(tour, console, view=out.view(console))
            out.save_recording(console)
        return
    console = out.console()
    if pager is False or not console.is_terminal:
        render_tour(tour, console, view=out.view(console))
        out.save_recording(console)
        return
    capture = Console(
        file=io.StringIO(),
        force_terminal=True,
        color_system=console.color_system,
        no_color=console.no_color,
        width=console.width,
        height=console.height,
        record=bool(out.save),
        highlight=False,
        legacy_windows=False,
    )
    capture.push_render_hook(EscapeHook())
    render_tour(tour, capture, view=out.view(console))
    text = capture.file.getvalue()  # type: ignore[attr-defined]
    if pager or text.count("\n") > console.height:
        page(text, colours=capture.color_system is not None and not capture.no_color, write=out.write_text)
    else:
        out.write_text(text)
    out.save_recording(capture)
