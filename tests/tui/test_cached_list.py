"""A restart shows the last list at once, marked as cached, then what changed in Procore."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Static

from sandbox import SandboxServer
from services.backend import Backend, Target
from tests.helpers import demo_cco_id, load_rows
from tests.tui.conftest import AppRunner, screen_of, settle
from tui.app import CcoUnlinkApp
from tui.screens.change_orders import ChangeOrdersScreen


def status_of(screen: ChangeOrdersScreen) -> str:
    return str(screen.query_one("#status-line", Static).render())


async def test_a_restart_shows_the_cached_list_at_once_then_says_what_changed(
    run_app: AppRunner,
    make_target: Callable[..., Target],
    sandbox: SandboxServer,
    sandbox_data: Path,
    tmp_path: Path,
) -> None:
    cache = tmp_path / "list-cache.sqlite3"
    async with run_app(cache_path=cache) as pilot:
        total = screen_of(pilot).table.row_count
        assert "cached" not in status_of(screen_of(pilot))

    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    elsewhere = Backend(make_target())
    try:
        rows = await load_rows(elsewhere)
        assert (await elsewhere.unlink(rows[gone])).kind.succeeded
    finally:
        await elsewhere.aclose()

    # A slow network: the cached rows must not wait for it.
    sandbox.config.latency_ms = 150
    backend = Backend(make_target(cache_path=cache))
    app = CcoUnlinkApp(backend)  # starts reading the cached list ahead
    for _ in range(500):  # as on a real start, it is in hand when the screen mounts
        if backend.cached_list_at_hand() is not None:
            break
        await asyncio.sleep(0.01)
    async with app.run_test(size=(180, 40), notifications=True) as pilot:
        for _ in range(200):
            await pilot.pause(0.01)
            screen = pilot.app.screen
            if isinstance(screen, ChangeOrdersScreen) and screen.table.row_count:
                break
        screen = screen_of(pilot)
        assert screen.table.row_count == total
        assert screen.table.has_row(gone)
        assert "cached list from" in status_of(screen)
        await pilot.pause(0.1)  # still signing in (150 ms a request): still marked as cached
        assert "cached list from" in status_of(screen), status_of(screen)

        await settle(pilot)
        assert not screen.table.has_row(gone)
        assert screen.table.row_count == total - 1
        status = status_of(screen)
        assert "refreshed: 0 new or changed and 1 gone since" in status, status
