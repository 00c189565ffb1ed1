"""While the list loads: a bar of the projects done, the requests left and the time to go."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import msgspec
from rich.text import Text
from textual.widget import Widget

from services import messages
from services.models import LoadProgress

if TYPE_CHECKING:
    from textual.timer import Timer

BAR_CELLS = 12
"""A short bar: at 80 columns the words beside it, the time to go last, stay in view."""
DONE = "load-progress--done"
LEFT = "load-progress--left"
WORDS = "load-progress--words"


class LoadProgressBar(Widget):
    """Shown only while a load runs. The time to go is the load's own estimate from Procore's
    rate-limit headers (services/catalog.py), not the bar's guess from its own speed; between two
    estimates it counts down, so that a load waiting out a rate-limit window (no project finishing
    for minutes) does not show the same time to go all along.

    One widget drawing the bar and the words, rather than Textual's ProgressBar (four widgets)
    and a Static: made, styled and laid out on the way to a first start's first rows, those cost
    several milliseconds of CPU for a line that is only ever this."""

    DEFAULT_CSS = """
    LoadProgressBar {
        height: 1;
        display: none;
        padding: 0 1;
        background: $panel;
        & > .load-progress--done {
            color: $primary;
        }
        & > .load-progress--left {
            color: $surface;
        }
        & > .load-progress--words {
            color: $text-muted;
        }
    }
    LoadProgressBar.-loading {
        display: block;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {DONE, LEFT, WORDS}

    COUNT_DOWN_EVERY_S = 1.0

    def __init__(
        self, *, id: str | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(id=id)
        self.progress: LoadProgress | None = None
        self.text = ""
        """The words beside the bar, as shown."""
        self._clock = clock
        self._shown_at = 0.0
        self._count_down: Timer | None = None

    def render(self) -> Text:
        progress = self.progress
        fraction = 0.0 if progress is None else min(1.0, progress.fraction)
        done = round(BAR_CELLS * fraction)
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append("━" * done, self.get_component_rich_style(DONE))
        line.append("━" * (BAR_CELLS - done), self.get_component_rich_style(LEFT))
        line.append("  ")
        line.append(self.text, self.get_component_rich_style(WORDS))
        return line

    def show(self, progress: LoadProgress) -> None:
        self.progress = progress
        self._say(messages.load_progress(progress))
        self.add_class("-loading")
        self._shown_at = self._clock()
        if self._count_down is None:
            self._count_down = self.set_interval(self.COUNT_DOWN_EVERY_S, self.count_down)
        else:
            self._count_down.resume()

    def count_down(self) -> None:
        """The time to go, less the time since the estimate was shown."""
        progress = self.progress
        if progress is None or progress.eta_seconds is None:
            return
        left = max(0.0, progress.eta_seconds - (self._clock() - self._shown_at))
        self._say(messages.load_progress(msgspec.structs.replace(progress, eta_seconds=left)))

    def _say(self, text: str) -> None:
        self.text = text
        # One line as wide as the screen, whatever it says: a repaint, never a layout (once a
        # project while loading).
        self.refresh()

    def hide(self) -> None:
        self.progress = None
        if self._count_down is not None:
            self._count_down.pause()
        self.remove_class("-loading")
