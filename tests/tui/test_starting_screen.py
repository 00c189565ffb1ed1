"""A start as the command line makes it (paint_first): with nothing cached, the first frame is
the header, the list's title and "Connecting to Procore…", then the list replaces it; with a
cached list, the list is the first screen."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Static

from sandbox import inspect
from services import messages
from services.backend import Backend, Target
from tests.tui.conftest import screen_of, settle, wait_until
from tui.app import CcoUnlinkApp
from tui.screens.change_orders import ChangeOrdersScreen
from tui.screens.starting import StartingScreen
from tui.widgets.app_header import AppHeader
from tui.widgets.key_footer import KeyFooter


async def test_a_first_start_connects_under_its_first_frame_then_shows_the_list(
    make_target: Callable[..., Target], sandbox_data: Path, tmp_path: Path
) -> None:
    target = make_target(cache_path=tmp_path / "list-cache.sqlite3")
    app = CcoUnlinkApp(Backend(target), paint_first=True)
    async with app.run_test(size=(100, 30)) as pilot:
        # The first screen stays at the bottom of the stack, under the list pushed over it.
        first = app.screen_stack[0]
        assert isinstance(first, StartingScreen)
        assert str(first.query_one("#status-line", Static).render()) == messages.CONNECTING
        assert str(first.query_one("#list-title", Static).render()) == messages.LIST_TITLE
        assert first.query_one(AppHeader).render().plain.endswith(" Embedded sandbox ")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangeOrdersScreen))
        await settle(pilot)
        # The first screen's keys are the app's; the list's footer has the list's too.
        assert first.query_one(KeyFooter).render().plain.startswith("q Quit ? Keys ")
        assert "u Unlink" in app.screen.query_one(KeyFooter).render().plain
        screen = screen_of(pilot)
        company = screen.backend.company
        assert company is not None
        synced = {c.id for c in inspect.synced_ccos(sandbox_data) if c.company_id == company.id}
        assert set(screen.table.row_keys) == synced
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0

    # Started again, the cached list is the first screen: no frame without rows before it.
    again = CcoUnlinkApp(Backend(target), paint_first=True)
    async with again.run_test(size=(100, 30)) as pilot:
        assert isinstance(again.screen_stack[0], ChangeOrdersScreen)
        await settle(pilot)
        assert set(screen_of(pilot).table.row_keys) == synced


async def test_a_first_start_starts_connecting_before_the_list_s_screen_is_made(
    make_target: Callable[..., Target], tmp_path: Path
) -> None:
    # The embedded sandbox's child starts as the first screen is made, the HTTP stack's loading
    # once the first frame is out, while the list's screen loads, rather than when that screen
    # connects.
    screens_when_started: list[int] = []
    collector_on_when_list_made: list[bool] = []
    app: CcoUnlinkApp | None = None

    def sandbox_started() -> None:
        assert app is not None
        screens_when_started.append(len(app.screen_stack))

    backend = Backend(
        make_target(cache_path=tmp_path / "list-cache.sqlite3"),
        before_connecting=sandbox_started,
    )
    app = CcoUnlinkApp(backend, paint_first=True)
    make_list_screen = app._make_list_screen

    def list_made() -> ChangeOrdersScreen:
        collector_on_when_list_made.append(gc.isenabled())
        return make_list_screen()

    app._make_list_screen = list_made  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangeOrdersScreen))
        await settle(pilot)
        assert screen_of(pilot).table.row_keys  # and the list, connected, came
        # Off while the list's code and its first rows loaded, on again once they are shown.
        assert collector_on_when_list_made == [False]
        assert gc.isenabled()
        await pilot.press("q")
        await pilot.pause()
    assert screens_when_started == [0]  # once, before even the first screen was on the stack
