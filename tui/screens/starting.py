"""The first screen of a start with no cached list: the header, the list's title, "Connecting to
Procore…" and the keys, painted before the list's own code is loaded.

A first start has nothing else to show until Procore answers. The list's screen brings the
table, its actions, their dialogs and their styles: loading, laying out and painting them held
that first frame back by a fifth of an empty Textual app's start. The app replaces this screen
with the list's as soon as this one is on the terminal (CcoUnlinkApp.show_list), and the list's
screen then connects; a restart, with cached rows to show, opens on the list at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from services import messages
from tui.widgets.app_header import AppHeader
from tui.widgets.key_footer import KeyFooter
from tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from tui.app import CcoUnlinkApp


class StartingScreen(Screen[None]):
    # Laid out as the list's screen is (app.tcss's ids): the switch moves nothing on the screen.
    app: CcoUnlinkApp

    def compose(self) -> ComposeResult:
        backend = self.app.backend
        yield AppHeader(self.app.title, backend.environment_label, production=backend.is_production)
        yield Static(messages.LIST_TITLE, id="list-title")
        yield Static(id="body")
        status = StatusLine(id="status-line")
        status.say(messages.CONNECTING)
        yield status
        yield KeyFooter()

    def on_screen_resume(self) -> None:
        # This handler runs before Textual's own, which paints the screen; call_next runs once
        # that one is done: the moment the first frame is out. (After the next refresh instead,
        # it waited for a second frame, up to 17 ms later, that some widget had asked for.)
        self.call_next(self.app.show_list)
