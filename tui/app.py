"""The Textual application: one screen of synced CCOs, toasts for outcomes, remappable keys."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.command import Provider
from textual.screen import Screen

from services import messages
from services.backend import Backend
from services.settings import UiSettings
from tui.bindings import APP_BINDINGS
from tui.feedback import Look, toast

if TYPE_CHECKING:
    from tui.screens.change_orders import ChangeOrdersScreen
    from tui.screens.starting import StartingScreen

# The list's screen, the palette's list commands, the help and the dialogs are imported where
# first used, not here: a first start paints its first frame before loading them (see
# tui/screens/starting.py).

COLLECTOR_OFF_AT_MOST_S = 1.0
"""How long a first start's first rows may keep the cycle collector off (see show_list)."""


def _list_commands() -> type[Provider]:
    from tui.commands import ListCommands

    return ListCommands


class CcoUnlinkApp(App[None]):
    TITLE = "Commitment Change Orders"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    BINDINGS: ClassVar[list[BindingType]] = APP_BINDINGS
    COMMANDS = App.COMMANDS | {_list_commands}

    def __init__(
        self,
        backend: Backend,
        *,
        theme: str = UiSettings().theme,
        toast_seconds: float = UiSettings().toast_seconds,
        keymap: dict[str, str] | None = None,
        paint_first: bool = False,
    ) -> None:
        """`paint_first`: with no cached rows to show, open on StartingScreen, painted before
        the list's code loads (the command line's start; tests open on the list itself)."""
        super().__init__()
        self.backend = backend
        # While Textual starts up: a restart's first frame can then hold the cached rows.
        backend.prepare_first_screen()
        self._paint_first = paint_first and not backend.reading_cached_list
        self.list_screen: ChangeOrdersScreen | None = None
        self.toast_seconds = toast_seconds
        self._initial_theme = theme
        self.keymap = dict(keymap or {})
        """The person's [keys]: what key hints name (tui/bindings.py key_of)."""
        self._keymap = dict(self.keymap)
        # Over SSH every repaint costs; animations add nothing to a list of records.
        self.animation_level = "none"

    def on_mount(self) -> None:
        if self._initial_theme in self.available_themes:
            self.theme = self._initial_theme
        else:
            toast(
                self,
                Look("warning", "Settings"),
                messages.unknown_theme(self._initial_theme, self.theme),
            )
        if self._keymap:
            self.set_keymap(self._keymap)

    def get_default_screen(self) -> ChangeOrdersScreen | StartingScreen:
        if self._paint_first:
            from tui.screens.starting import StartingScreen

            # As the first frame is made, not after it: the sandbox's start-up (about 100 ms,
            # on the other core) is what the first rows wait for longest. With the app, before
            # Textual loads, it held the first frame back on a busy machine.
            self.backend.start_target()
            return StartingScreen()
        return self._make_list_screen()

    def _make_list_screen(self) -> ChangeOrdersScreen:
        from tui.screens.change_orders import ChangeOrdersScreen

        self.list_screen = ChangeOrdersScreen(self.backend)
        return self.list_screen

    def show_list(self) -> None:
        """Over StartingScreen, once it is on the terminal: the list, which connects. Pushed,
        not switched to (Textual cannot switch away from the first screen); nothing pops it,
        so the starting screen is never seen again."""
        if self.list_screen is None:
            # The collector is off while the list's code, the HTTP stack and the first rows
            # load, as it is while the app's own modules load (cco_unlink/__main__): its passes
            # over what they make, which lives as long as the app, cost 10-15 ms of CPU on the
            # way to a first start's first rows. It is back once those are on screen.
            gc.disable()
            # Before the list's code loads: the HTTP stack loads meanwhile (the sandbox's child
            # started with the first screen), rather than once the list's screen connects.
            self.backend.start_connecting()
            screen = self._make_list_screen()
            self._collector_back_after_first_rows(screen, self.push_screen(screen))

    @work(group="collector", exit_on_error=False)
    async def _collector_back_after_first_rows(
        self, screen: ChangeOrdersScreen, mounted: Awaitable[object]
    ) -> None:
        """Turn the collector on again once the list's first rows are painted, or after
        COLLECTOR_OFF_AT_MOST_S whatever happens (no rows, an error, the app quitting)."""
        try:
            async with asyncio.timeout(COLLECTOR_OFF_AT_MOST_S):
                await mounted
                await screen.table.rows_painted.wait()
        except TimeoutError:
            pass
        finally:
            gc.freeze()  # what start-up made stays: kept out of the collector's passes
            gc.enable()

    async def action_quit(self) -> None:
        """q (and Ctrl+Q): leave at once, unless a change is out: then ask, and on "quit
        anyway" let the change in flight end and be recorded before leaving."""
        from tui.screens.confirm import ConfirmScreen

        if self.list_screen is None or not self.list_screen.work_under_way:
            self.exit()
            return
        if not isinstance(self.screen, ConfirmScreen):
            self.quit_when_done()

    @work(group="quit", exclusive=True, exit_on_error=False)
    async def quit_when_done(self) -> None:
        from tui.screens.confirm import ConfirmScreen

        assert self.list_screen is not None  # action_quit: only with work under way
        quit_anyway = await self.push_screen_wait(
            ConfirmScreen(
                "Quit?", messages.QUIT_WHILE_CHANGING, confirm_label="Quit anyway", danger=True
            )
        )
        if not quit_anyway:
            return
        toast(self, Look("warning", "Quitting"), messages.FINISHING_BEFORE_QUIT)
        await self.list_screen.let_work_finish()
        self.exit()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        # Textual's "Keys" panel gives way to the app's own help screen (a command of its own).
        for command in super().get_system_commands(screen):
            if command.title != "Keys":
                yield command

    def action_toggle_help(self) -> None:
        from tui.screens.help import HelpScreen, key_sections

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
        else:
            self.push_screen(HelpScreen(key_sections(self.screen)))

    async def on_unmount(self) -> None:
        gc.enable()  # should show_list's worker have been stopped before it could run
        await self.backend.aclose()
