"""The footer, with the keys a newcomer looks for first: where the terminal is too narrow for all
the keys, the last ones are left out whole, never cut mid-word."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
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

    def __init__(self) -> None:
        super().__init__(compact=True)
        self._composed_width = 0

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
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

    def on_resize(self, event: events.Resize) -> None:
        if self._width() != self._composed_width:
            self.call_after_refresh(self.recompose)

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
