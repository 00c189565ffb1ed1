"""The filter box: hidden until `/`, and it takes the keys typed ahead of its own focus."""

from __future__ import annotations

from textual import events
from textual.signal import Signal
from textual.widgets import Input


class FilterInput(Input):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="Filter: every word must appear in the row", id=id)
        self.typing_ahead = False
        """True from `open` until the box loses focus: see `take_key`."""
        self.edited: Signal[str] = Signal(self, "edited")
        """Published with each change of the text, as it happens: a subscriber called at once
        (immediate) shows the filter's result in the frame that shows the key typed, where
        Input.Changed, a message, reached it a frame later."""

    def watch_value(self, value: str) -> None:
        self.edited.publish(value)

    @property
    def words(self) -> list[str]:
        return self.value.lower().split()

    @property
    def is_open(self) -> bool:
        return self.has_class("-shown")

    def open(self) -> None:
        self.add_class("-shown")
        self.focus()
        # Focus moves on a later turn of the event loop, and keys typed ahead of it (a fast
        # typist, SSH latency) are already on their way to the table, where "r", "u" and "x"
        # are actions. Until then the screen hands such keys here (take_key).
        self.typing_ahead = True

    def close(self, *, clear: bool) -> None:
        self.typing_ahead = False
        if clear:
            self.value = ""
        self.remove_class("-shown")

    def on_input_blurred(self) -> None:
        self.typing_ahead = False

    def take_key(self, event: events.Key) -> str | None:
        """Type a key that reached the screen while the box is opening. Returns "enter" or
        "escape" for the screen to act on, "" when the key was typed, None when not taken."""
        if not self.typing_ahead:
            return None
        if event.key in ("enter", "escape"):
            taken = event.key
        elif event.key == "backspace":
            self.action_delete_left()
            taken = ""
        elif event.is_printable and event.character:
            self.insert_text_at_cursor(event.character)
            taken = ""
        else:
            return None
        event.stop()
        event.prevent_default()
        return taken
