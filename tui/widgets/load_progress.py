"""While the list loads: a bar of the projects done, the requests left and the time to go."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec
from textual.containers import Horizontal
from textual.widgets import Static

from services import messages
from services.models import LoadProgress

if TYPE_CHECKING:
    from textual.timer import Timer
    from textual.widgets import ProgressBar


class LoadProgressBar(Horizontal):
    """Shown only while a load runs. The time to go is the load's own estimate from Procore's
    rate-limit headers (services/catalog.py), not the bar's guess from its own speed; between two
    estimates it counts down, so that a load waiting out a rate-limit window (no project finishing
    for minutes) does not show the same time to go all along.

    Its parts are made when a load first needs them (prepare): hidden in every start's first
    frame, they held that frame back by about 5 ms of CPU (Textual's progress bar, its four
    widgets and their styles)."""

    DEFAULT_CSS = """
    LoadProgressBar {
        height: 1;
        display: none;
        padding: 0 1;
        background: $panel;
    }
    LoadProgressBar.-loading {
        display: block;
    }
    /* A short bar: at 80 columns the words beside it, the time to go last, stay in view. */
    LoadProgressBar ProgressBar {
        width: auto;
        margin-right: 2;
    }
    LoadProgressBar ProgressBar Bar {
        width: 12;
    }
    LoadProgressBar #load-progress-text {
        width: 1fr;
        color: $text-muted;
    }
    """

    COUNT_DOWN_EVERY_S = 1.0

    def __init__(
        self, *, id: str | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(id=id)
        self.progress: LoadProgress | None = None
        self._parts: tuple[ProgressBar, Static] | None = None
        self._clock = clock
        self._shown_at = 0.0
        self._count_down: Timer | None = None

    @property
    def text(self) -> str:
        return "" if self._parts is None else str(self._parts[1].render())

    def prepare(self) -> None:
        """Make its parts, still hidden: for a load to call while it waits for Procore's first
        answers, so that showing the bar with the first rows is one layout of the screen, not
        the parts' making and two."""
        if self._parts is None:
            from textual.widgets import ProgressBar

            # No percentage: the words say how many projects of how many.
            self._parts = (
                # A total from the start: without one, Textual's bar is "indeterminate" and
                # repaints itself 15 times a second, even hidden.
                ProgressBar(1, show_eta=False, show_percentage=False, id="load-progress-bar"),
                Static("", id="load-progress-text", markup=False),
            )
            self.mount(*self._parts)

    def show(self, progress: LoadProgress) -> None:
        self.progress = progress
        total, done = max(1, progress.projects_total), progress.projects_done
        said = messages.load_progress(progress)
        self.prepare()
        assert self._parts is not None
        bar, text = self._parts
        bar.update(total=total, progress=done)
        # Its size is the bar's: no layout of the screen for a new text (once per project).
        text.update(said, layout=False)
        self.add_class("-loading")
        self._shown_at = self._clock()
        if self._count_down is None:
            self._count_down = self.set_interval(self.COUNT_DOWN_EVERY_S, self.count_down)
        else:
            self._count_down.resume()

    def count_down(self) -> None:
        """The time to go, less the time since the estimate was shown."""
        progress = self.progress
        if progress is None or progress.eta_seconds is None or self._parts is None:
            return
        left = max(0.0, progress.eta_seconds - (self._clock() - self._shown_at))
        said = messages.load_progress(msgspec.structs.replace(progress, eta_seconds=left))
        self._parts[1].update(said, layout=False)

    def hide(self) -> None:
        self.progress = None
        if self._count_down is not None:
            self._count_down.pause()
        self.remove_class("-loading")
