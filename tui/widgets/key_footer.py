"""The footer: the screen's keys on one line, the ones a newcomer looks for first. Where the
terminal is too narrow for all of them the last are left out whole, never cut mid-word; the
command palette's key stays at the right end.

One widget drawing the line, rather than Textual's Footer with a widget for each key: that one
composed a dozen or more widgets again whenever the screen's keys changed (focus, a load's
state, the detail pane), each with its styles and layout, about 20 ms of CPU on the way to a
first start's first rows. Here a change of keys is a repaint of one line. Keys are clicked
(a disabled one rings the bell) and show their tooltip under the mouse, as Textual's do.
"""

from __future__ import annotations

from typing import ClassVar

import msgspec
from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

FIRST_ACTIONS = ("quit", "toggle_help")

KEY = "key-footer--key"
DESCRIPTION = "key-footer--description"
DISABLED = "key-footer--disabled"
HOVER = "key-footer--hover"
EDGE = "key-footer--edge"
PALETTE_EDGE = "▏"
"""Left of the palette key, as Textual's footer draws it."""


class ShownKey(msgspec.Struct, frozen=True):
    """A key as the footer shows it, and the columns it takes."""

    key: str
    key_display: str
    description: str
    action: str
    enabled: bool
    tooltip: str
    start: int
    end: int
    palette: bool = False


class KeyFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {KEY, DESCRIPTION, DISABLED, HOVER, EDGE}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--disabled {
            text-style: dim;
        }
        & > .key-footer--hover {
            background: $block-hover-background;
        }
        & > .key-footer--edge {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[ShownKey] = []
        """The keys on the line as last drawn, left to right, the palette's last."""
        self._hovered: ShownKey | None = None
        self._drawn_from: tuple[object, ...] | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        # Said a dozen times between a first start's first frame and its first rows (focus,
        # the load's state), mostly of the same keys: painted again only when they differ.
        if screen is self.screen and self._what_it_shows() != self._drawn_from:
            self.refresh()

    def _what_it_shows(self) -> tuple[object, ...]:
        return tuple(
            (key, binding.action, binding.description, binding.show, enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()
        )

    def render(self) -> Text:
        self._drawn_from = self._what_it_shows()
        self.shown = self._lay_out(self.size.width)
        styles = {name: self.get_component_rich_style(name) for name in (KEY, DESCRIPTION)}
        line = Text(no_wrap=True, end="")
        for shown in self.shown:
            # A space after each key; the palette's key after its edge, at the right end.
            edge = len(PALETTE_EDGE) if shown.palette else 0
            line.append(" " * max(0, shown.start - edge - line.cell_len))
            if shown.palette:
                line.append(PALETTE_EDGE, self.get_component_rich_style(EDGE))
            start = line.cell_len
            line.append(shown.key_display, styles[KEY])
            if shown.description:
                line.append(f" {shown.description}", styles[DESCRIPTION])
            if not shown.enabled:
                line.stylize(self.get_component_rich_style(DISABLED), start)
            if shown == self._hovered:
                line.stylize(self.get_component_rich_style(HOVER), start)
        return line

    def _lay_out(self, width: int) -> list[ShownKey]:
        """Which keys fit in `width` columns, and where: `q` and `?` first whatever the width,
        then the screen's keys in their order while each fits whole, a space after each; the
        palette's key at the right end, after its edge."""
        bindings = self.screen.active_bindings
        palette_binding = bindings.get(self.app.COMMAND_PALETTE_BINDING)
        keys = [
            (binding, enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in bindings.items()
            if binding.show and key != self.app.COMMAND_PALETTE_BINDING
        ]
        # One entry an action: several keys for one action show the first, as Textual's did.
        by_action: dict[str, tuple[Binding, bool, str]] = {}
        for binding, enabled, tooltip in keys:
            by_action.setdefault(binding.action, (binding, enabled, tooltip))
        ordered = sorted(by_action.values(), key=lambda k: k[0].action not in FIRST_ACTIONS)
        shown: list[ShownKey] = []
        room = width
        palette: ShownKey | None = None
        if palette_binding is not None and self.app.ENABLE_COMMAND_PALETTE:
            _, binding, enabled, tooltip = palette_binding
            display = self.app.get_key_display(binding)
            size = _cells(display, binding.description)
            palette = ShownKey(
                binding.key,
                display,
                binding.description,
                binding.action,
                enabled,
                binding.tooltip or tooltip or binding.description,
                width - size,
                width,
                palette=True,
            )
            room -= size + len(PALETTE_EDGE)
        at = 0
        for binding, enabled, tooltip in ordered:
            display = self.app.get_key_display(binding)
            size = _cells(display, binding.description)
            if at + size > room and binding.action not in FIRST_ACTIONS:
                break
            shown.append(
                ShownKey(
                    binding.key,
                    display,
                    binding.description,
                    binding.action,
                    enabled,
                    tooltip or binding.tooltip,
                    at,
                    at + size,
                )
            )
            at += size + 1
        if palette is not None:
            shown.append(palette)
        return shown

    def key_at(self, x: int) -> ShownKey | None:
        for shown in self.shown:
            if shown.start <= x < shown.end:
                return shown
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        hovered = self.key_at(event.x)
        if hovered != self._hovered:
            self._hovered = hovered
            self.tooltip = hovered.tooltip if hovered is not None and hovered.tooltip else None
            self.refresh()

    def on_leave(self) -> None:
        if self._hovered is not None:
            self._hovered = None
            self.tooltip = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        clicked = self.key_at(event.x)
        if clicked is None:
            return
        if clicked.enabled:
            self.app.simulate_key(clicked.key)
        else:
            self.app.bell()


def _cells(key_display: str, description: str) -> int:
    """Columns a key takes: its name, then a space and its description if it has one."""
    return cell_len(key_display) + (1 + cell_len(description) if description else 0)
