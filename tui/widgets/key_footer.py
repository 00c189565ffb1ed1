"""The footer, with the keys a newcomer looks for first: where the terminal is too narrow for all
the keys, the last ones are left out whole, never cut mid-word. It is composed again only when
the keys it shows change."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

FIRST_ACTIONS = ("quit", "toggle_help")

PALETTE_CLASS = "-command-palette"


class KeyFooter(Footer):
    # Textual gives every compact key a right margin, the palette key docked on the right too:
    # the keys scrolled behind it showed through that last column as a stray letter.
    DEFAULT_CSS = """
    KeyFooter.-compact FooterKey.-command-palette {
        margin-right: 0;
    }
    """

    def __init__(self, *, keys: bool = True) -> None:
        """`keys=False`: the footer's line without its keys, for a screen covered as soon as
        it is painted (StartingScreen). Textual knows a screen's keys only once it is mounted,
        so they come in a frame after the first; composing them, about 10 ms of CPU, would then
        only hold back the screen laid over it."""
        super().__init__(compact=True)
        self._keys = keys
        self._composed_width = 0
        self._shown: tuple[object, ...] | None = None
        """What the last compose showed (see _what_it_shows); None before the keys are known."""
        self._recompose_due = False

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        self._shown = self._what_it_shows() if self._bindings_ready else None
        keys = [w for w in widgets if isinstance(w, FooterKey) and not w.has_class(PALETTE_CLASS)]
        first = [w for w in keys if w.action in FIRST_ACTIONS]
        ordered = first + [w for w in keys if w not in first]
        others = [w for w in widgets if w not in keys]
        self._composed_width = self._width()
        room = self._composed_width - sum(_cells(w) for w in others)
        shown: list[Widget] = []
        for key in ordered:
            needed = _cells(key)
            if needed > room and key.action not in FIRST_ACTIONS:
                break
            room -= needed
            shown.append(key)
        yield from shown
        yield from others

    def bindings_changed(self, screen: Screen[object]) -> None:
        # Textual composes the footer again, each key a new widget, whenever the screen says its
        # keys may have changed: a dozen times between a first start's first frame and its first
        # rows (focus, the load's status), mostly to show the same keys. Here at most once a
        # frame, and only when what the footer shows has changed.
        if not self._keys:
            return
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._recompose_soon()

    def on_resize(self, event: events.Resize) -> None:
        if self._width() != self._composed_width:
            self._recompose_soon()

    def _recompose_soon(self) -> None:
        if not self._recompose_due:
            self._recompose_due = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._recompose_due = False
        if self._width() != self._composed_width or self._what_it_shows() != self._shown:
            await self.recompose()

    def _what_it_shows(self) -> tuple[object, ...]:
        """All that compose reads: the screen's keys, their state and names, and the width."""
        return (
            self._width(),
            self.show_command_palette,
            tuple(
                (key, binding.action, binding.description, binding.show, enabled, tooltip)
                for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()
            ),
        )

    def _width(self) -> int:
        return self.size.width or self.app.size.width


def _cells(widget: Widget) -> int:
    """Columns a footer key takes in the compact style: key, space, description, then a space
    (the palette key, docked right, has a border on its left instead)."""
    if not isinstance(widget, FooterKey):
        return 0
    text = cell_len(widget.key_display)
    if widget.description:
        text += 1 + cell_len(widget.description)
    return text + 1
