"""A restart shows the last list at once, marked as cached, then what changed in Procore."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from textual.widgets import Static

from sandbox import SandboxServer
from services import cache, messages
from services.backend import Backend, Target
from services.models import CachedList, SyncedCco
from tests.helpers import demo_cco_id, load_rows
from tests.tui.conftest import AppRunner, notifications, screen_of, settle
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


async def test_a_restart_shows_the_first_rows_then_reads_the_rest_in_chunks(
    run_app: AppRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_file = tmp_path / "list-cache.sqlite3"
    async with run_app(cache_path=cache_file) as pilot:
        loaded = list(screen_of(pilot).table.row_keys)
    assert len(loaded) > 12

    monkeypatch.setattr(cache, "HEAD_ROWS", 5)
    monkeypatch.setattr(cache, "CHUNK_ROWS", 4)
    held_before_the_rest: list[int] = []
    chunks: list[int] = []
    read_rest = ChangeOrdersScreen._read_rest
    rest = Backend.cached_rest

    async def watched(screen: ChangeOrdersScreen, cached: CachedList) -> bool:
        held_before_the_rest.extend(screen.table.row_keys)
        return await read_rest(screen, cached)

    async def counted(backend: Backend, cached: CachedList) -> AsyncIterator[list[SyncedCco]]:
        async for chunk in rest(backend, cached):
            chunks.append(len(chunk))
            yield chunk

    monkeypatch.setattr(ChangeOrdersScreen, "_read_rest", watched)
    monkeypatch.setattr(Backend, "cached_rest", counted)
    async with run_app(cache_path=cache_file) as pilot:
        screen = screen_of(pilot)
        assert held_before_the_rest == loaded[:5]
        assert chunks and max(chunks) == 4 and sum(chunks) == len(loaded) - 5
        assert list(screen.table.row_keys) == loaded


async def test_a_cache_unreadable_part_way_is_loaded_afresh(
    run_app: AppRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_file = tmp_path / "list-cache.sqlite3"
    async with run_app(cache_path=cache_file) as pilot:
        loaded = sorted(screen_of(pilot).table.row_keys)
    with sqlite3.connect(cache_file) as conn:
        # The last row stored: past the first screen's, whichever project came in last.
        conn.execute(
            "UPDATE list_rows SET row = 'garbage' WHERE rowid = (SELECT MAX(rowid) FROM list_rows)"
        )

    monkeypatch.setattr(cache, "HEAD_ROWS", 5)
    async with run_app(cache_path=cache_file) as pilot:
        screen = screen_of(pilot)
        assert sorted(screen.table.row_keys) == loaded
        assert "cached list" not in status_of(screen)
        assert any(n.message == messages.CACHE_UNREADABLE for n in notifications(pilot))
