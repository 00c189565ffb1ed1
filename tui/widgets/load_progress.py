"""While the list loads: a bar of the projects done, the requests left and the time to go."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from services import messages
from services.models import LoadProgress


class LoadProgressBar(Horizontal):
    """Shown only while a load runs. The time to go is the load's own estimate from Procore's
    rate-limit headers (services/catalog.py), not the bar's guess from its own speed."""

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

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.progress: LoadProgress | None = None

    def compose(self) -> ComposeResult:
        # No percentage: the words say how many projects of how many.
        yield ProgressBar(show_eta=False, show_percentage=False, id="load-progress-bar")
        yield Static("", id="load-progress-text", markup=False)

    @property
    def text(self) -> str:
        return str(self.query_one("#load-progress-text", Static).render())

    def show(self, progress: LoadProgress) -> None:
        self.progress = progress
        bar = self.query_one(ProgressBar)
        bar.update(total=max(1, progress.projects_total), progress=progress.projects_done)
        # Its size is the bar's: no layout of the screen for a new text (once per project).
        self.query_one("#load-progress-text", Static).update(
            messages.load_progress(progress), layout=False
        )
        self.add_class("-loading")

    def hide(self) -> None:
        self.progress = None
        self.remove_class("-loading")
