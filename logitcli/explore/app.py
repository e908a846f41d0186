"""The Textual app: a State on the screen, a key (or a click, a scroll, a drag) for every change.

The app holds the current `State` and hands it to `screen.layout`, which returns the text; the widgets only
show that text. Each key calls one State method, which returns the next State; nothing here computes a number.
Imported only by `explore`: importing Textual and this app takes most of a second here, which no other
command pays (tests/test_explore_cli.py checks that `softmax` never imports it).
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from logitcli.explore.screen import Parts, layout
from logitcli.explore.state import LARGE_STEP, SMALL_STEP, State
from logitcli.explore.texts import LANGS, load_texts
from logitcli.output.grid import BAR_WIDTH
from logitcli.output.linebreak import wrap_cjk


class ClassTable(Widget):
    """One line per class: a click picks the row, a scroll over it or a drag along it moves its logit."""

    DEFAULT_CSS = "ClassTable { height: auto; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parts: Parts | None = None
        self._drag: tuple[int, int, State] | None = None  # (class, screen x where it began, state before it)

    def show(self, parts: Parts) -> None:
        self.parts = parts
        self.refresh(layout=True)

    def render(self) -> Text:
        return self.parts.table if self.parts is not None else Text()

    def class_at(self, y: int) -> int | None:
        if self.parts is None or not 0 <= y < len(self.parts.row_classes):
            return None
        return self.parts.row_classes[y]

    @property
    def explorer(self) -> ExploreApp:
        return self.app  # type: ignore[return-value]

    def on_mouse_down(self, event: events.MouseDown) -> None:
        k = self.class_at(event.y)
        if k is None:
            return
        self.explorer.state = self.explorer.state.pick(k)
        self._drag = (k, event.screen_x, self.explorer.state)
        self.capture_mouse()
        event.stop()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._drag is None:
            return
        k, start, before = self._drag
        cells = event.screen_x - start
        self.explorer.state = before.nudge(cells * self.drag_step, k) if cells else before
        event.stop()

    @property
    def drag_step(self) -> float:
        """How far one column of a drag moves the logit: a bar cell's worth (so the bar's end follows the
        mouse), rounded to a tenth and at least 0.1."""
        half_bar = BAR_WIDTH // 2
        scale = self.parts.bar_scale if self.parts is not None else 1.0
        return max(SMALL_STEP, round(scale / half_bar, 1))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._drag is not None:
            self._drag = None
            self.release_mouse()
            event.stop()

    def _scroll(self, event: events.MouseEvent, amount: float) -> None:
        k = self.class_at(event.y)
        if k is not None:
            self.explorer.state = self.explorer.state.pick(k).nudge(amount, k)
            event.stop()
            event.prevent_default()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._scroll(event, SMALL_STEP)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._scroll(event, -SMALL_STEP)


class HelpScreen(ModalScreen[None]):
    """`?`: every key, the mouse, and what happens on quit; any key goes back."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 84; height: auto; max-height: 90%;
                                  border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, texts: dict[str, dict[str, Any]]) -> None:
        super().__init__()
        self.texts = texts
        self._help_closed = False

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="help-text")

    def on_mount(self) -> None:
        self.fill_help()

    def on_resize(self, event: events.Resize) -> None:
        self.fill_help()

    def fill_help(self) -> None:
        """The keys as a table, the rest as prose wrapped for the box (Japanese lines broken as the tour's)."""
        say = self.texts["help"]
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column()
        for key, what in say["keys"]:
            keys.add_row(key, what)
        width = max(min(84, self.app.size.width * 9 // 10) - 6, 10)  # the box's border, padding and scrollbar
        more = "\n\n".join(wrap_cjk(say[key], width) for key in ("mouse", "output", "narrow", "close"))
        title = Text(say["title"] + "\n", style="bold")
        self.query_one("#help-text", Static).update(Group(title, keys, Text("\n" + more)))

    def close_help(self) -> None:
        """Back to the explorer, once: keys typed fast may arrive before the screen has gone."""
        if not self._help_closed:
            self._help_closed = True
            self.dismiss()

    def on_key(self, event: events.Key) -> None:
        """The first key goes back; keys typed after it, before the screen has gone, are the explorer's."""
        event.stop()
        if self._help_closed:
            self.app.call_after_refresh(self.app.take_key, event.key, event.character)  # type: ignore[attr-defined]
        else:
            self.close_help()

    def on_click(self, event: events.Click) -> None:
        self.close_help()


class ExploreApp(App[State]):
    """`logitcli explore`: returns the final State when the user quits."""

    TITLE = "logitcli explore"
    CSS = """
    Screen { layout: vertical; }
    #body { height: 1fr; scrollbar-size-vertical: 1; scrollbar-gutter: stable; }
    #title { color: $text; }
    #moment { color: $warning; margin: 1 0 0 0; }
    #summary { margin: 1 0 0 0; }
    #formulas { color: $text-muted; margin: 1 0 0 0; }
    #footer { dock: bottom; height: auto; background: $panel; color: $text; }
    """
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        state: State,
        names: list[str],
        example_names: list[str],
        lang: str = "en",
        precision: int = 4,
        top_k: int | None = None,
    ) -> None:
        super().__init__()
        # our own attributes carry explorer names: Textual's App and Screen keep private ones of their own
        # (`_ready`, `_closing`), which a plain name here would shadow and hang the app
        self._current = state
        self.names = names
        self.example_names = example_names
        self.lang = lang
        self.precision = precision
        self.top_k = top_k
        self.parts: Parts | None = None
        self._explore_ready = False

    # ------------------------------------------------------------------ the state and the screen

    @property
    def state(self) -> State:
        return self._current

    @state.setter
    def state(self, state: State) -> None:
        self._current = state
        self.show()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="body"):
            yield Static(id="title")
            yield ClassTable(id="table")
            yield Static(id="moment")
            yield Static(id="summary")
            yield Static(id="formulas")
        yield Static(id="footer")

    def on_mount(self) -> None:
        self._explore_ready = True
        self.show()

    def on_resize(self, event: events.Resize) -> None:
        self.show()

    def show(self) -> None:
        """Lay the current state out for the terminal's width and hand each widget its part."""
        if not self._explore_ready:
            return
        width = max(self.size.width - 1, 20)  # the scrollbar's gutter
        parts = layout(
            self._current,
            load_texts(self.lang),
            width,
            self.names,
            self.example_names,
            self.precision,
            self.top_k,
            terminal_width=self.size.width,
        )
        self.parts = parts
        self.query_one("#title", Static).update(parts.title)
        self.query_one("#table", ClassTable).show(parts)
        self.query_one("#moment", Static).update(Text(parts.moment))
        self.query_one("#summary", Static).update(parts.summary)
        self.query_one("#formulas", Static).update(parts.formulas)
        self.query_one("#footer", Static).update(Text(parts.footer))

    # ------------------------------------------------------------------ keys

    async def action_quit(self) -> None:
        """Textual's own quit (ctrl+q) leaves with the final state too, so the JSON on quit is not lost."""
        self.exit(self._current)

    def on_key(self, event: events.Key) -> None:
        if isinstance(self.screen, ModalScreen):
            return
        if self.take_key(event.key, event.character):
            event.stop()
            event.prevent_default()

    def take_key(self, key: str, char: str | None) -> bool:
        """One key, one State method (texts/en.toml [help] lists them for the user); False for any other key."""
        state = self._current
        shown = list(self.parts.classes) if self.parts is not None else list(range(state.n_classes))
        position = shown.index(state.selected) if state.selected in shown else 0
        new: State | None = None
        if key in ("left", "right"):
            new = state.pick(shown[(position + (1 if key == "right" else -1)) % len(shown)])
        elif key in ("up", "down", "shift+up", "shift+down"):
            size = LARGE_STEP if key.startswith("shift") else SMALL_STEP
            new = state.nudge(size if key.endswith("up") else -size)
        elif key == "enter":
            new = state.set_target(state.selected)
        elif char is not None and char.isdigit() and len(char) == 1:
            row = int(char)
            new = state.set_target(shown[row]) if row < len(shown) else state
        elif char in ("t", "T"):
            new = state.temperature(up=char == "T")
        elif char in ("[", "]"):
            new = state.learning_rate(up=char == "]")
        elif char == "g":
            new = state.descend()
        elif char == "u":
            new = state.undo()
        elif char == "r":
            new = state.reset()
        elif char in ("n", "p"):
            new = state.move_example(1 if char == "n" else -1)
        elif char == "m":
            new = state.switch_mode()
        elif char == "l":
            self.lang = LANGS[(LANGS.index(self.lang) + 1) % len(LANGS)]
            self.show()
        elif char == "?":
            self.push_screen(HelpScreen(load_texts(self.lang)))
        elif char == "q" or key in ("escape", "ctrl+c"):
            self.exit(self._current)
        else:
            return False
        if new is not None and new is not state:
            self.state = new
        return True
