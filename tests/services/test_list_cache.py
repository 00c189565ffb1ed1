"""The local list cache: a restart reads the last list, then fetches only what changed since."""

from __future__ import annotations

import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox.formats import procore_time
from sandbox.store import connection
from services.backend import Backend, Target
from services.models import CachedList
from tests.helpers import demo_cco_id, is_linked, load_rows


async def _restart(make_target: Callable[..., Target], cache: Path) -> Backend:
    return Backend(make_target(cache_path=cache))


@pytest.mark.reads_only
async def test_a_complete_load_is_kept_and_read_back_on_restart(
    make_target: Callable[..., Target], tmp_path: Path
) -> None:
    cache = tmp_path / "data" / "list-cache.sqlite3"
    first = Backend(make_target(cache_path=cache))
    try:
        loaded = await load_rows(first)
    finally:
        await first.aclose()
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600

    again = await _restart(make_target, cache)
    try:
        cached = await again.cached_list()
        assert cached is not None
        assert {cco.id: cco for cco in cached.rows} == loaded
        # Another user, or another company, has no cached list here.
        other = Backend(make_target("no-push", cache_path=cache))
        assert await other.cached_list() is None
        await other.aclose()
    finally:
        await again.aclose()


def _when_at_hand(backend: Backend, within_s: float = 10.0) -> CachedList | None:
    deadline = time.monotonic() + within_s
    while (at_hand := backend.cached_list_at_hand()) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return at_hand


@pytest.mark.reads_only
async def test_the_list_read_ahead_is_at_hand_for_the_first_frame_and_is_the_users_own(
    make_target: Callable[..., Target], tmp_path: Path
) -> None:
    cache = tmp_path / "list-cache.sqlite3"
    first = Backend(make_target(cache_path=cache))
    try:
        loaded = await load_rows(first)
    finally:
        await first.aclose()

    again = Backend(make_target(cache_path=cache))
    assert again.cached_list_at_hand() is None  # nothing read yet, and no waiting for it
    again.prepare_first_screen()
    at_hand = _when_at_hand(again)
    assert at_hand is not None
    assert {cco.id: cco for cco in at_hand.rows} == loaded
    # The screen's later, awaited read answers with the same list, without reading again.
    assert await again.cached_list() is at_hand

    # Another user on the same machine reads ahead their own list (none), never this one.
    other = Backend(make_target("no-push", cache_path=cache))
    other.prepare_first_screen()
    assert _when_at_hand(other, within_s=1.0) is None
    assert await other.cached_list() is None


async def test_a_restart_fetches_only_the_changes_and_brings_the_cache_up_to_date(
    make_target: Callable[..., Target], tmp_path: Path, sandbox_data: Path
) -> None:
    cache = tmp_path / "list-cache.sqlite3"
    first = Backend(make_target(cache_path=cache))
    try:
        rows = await load_rows(first)
    finally:
        await first.aclose()

    # Meanwhile, elsewhere: one CCO is unlinked (through the API, with no cache), one retitled.
    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    elsewhere = Backend(make_target())
    try:
        await elsewhere.connect()
        outcome = await elsewhere.unlink(rows[gone])
        assert outcome.kind.succeeded
    finally:
        await elsewhere.aclose()
    assert not is_linked(sandbox_data, gone)
    retitled = next(cco_id for cco_id in sorted(rows) if cco_id != gone)
    with connection(sandbox_data) as conn:
        conn.execute(
            "UPDATE ccos SET title = 'Renamed meanwhile', updated_at = ? WHERE id = ?",
            (procore_time(int(time.time())), retitled),
        )

    again = await _restart(make_target, cache)
    try:
        changes = [change async for change in again.changed_ccos()]
        changed = [cco for change in changes for cco in change.changed]
        removed = [cco_id for change in changes for cco_id in change.removed]
        assert [cco.id for cco in changed] == [retitled]
        assert changed[0].title == "Renamed meanwhile"
        assert removed == [gone]
        assert changes[-1].progress.projects_done == changes[-1].progress.projects_total

        cached = await again.cached_list()
        assert cached is not None
        now_cached = {cco.id: cco for cco in cached.rows}
        assert set(now_cached) == set(rows) - {gone}
        assert now_cached[retitled].title == "Renamed meanwhile"
        # The next check asks again from a little before (the overlap): it sees the same two
        # changes again, never the rows that did not change, and the cache stays the same.
        repeat = [change async for change in again.changed_ccos()]
        assert [c.id for change in repeat for c in change.changed] == [retitled]
        assert [i for change in repeat for i in change.removed] == [gone]
        cached_again = await again.cached_list()
        assert cached_again is not None
        assert {cco.id: cco for cco in cached_again.rows} == now_cached
    finally:
        await again.aclose()


async def test_an_unlink_drops_the_row_from_the_cache(
    make_target: Callable[..., Target], tmp_path: Path, sandbox_data: Path
) -> None:
    cache = tmp_path / "list-cache.sqlite3"
    backend = Backend(make_target(cache_path=cache))
    try:
        rows = await load_rows(backend)
        cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
        assert (await backend.unlink(rows[cco_id])).kind.succeeded
        cached = await backend.cached_list()
        assert cached is not None
        assert cco_id not in {cco.id for cco in cached.rows}
        assert len(cached.rows) == len(rows) - 1
    finally:
        await backend.aclose()


async def test_an_unreadable_cache_is_no_cache(
    make_target: Callable[..., Target], tmp_path: Path
) -> None:
    cache = tmp_path / "list-cache.sqlite3"
    cache.write_bytes(b"this is not a database")
    backend = Backend(make_target(cache_path=cache))
    try:
        assert await backend.cached_list() is None
        # The load still completes, and leaves a readable cache behind.
        rows = await load_rows(backend)
        cached = await backend.cached_list()
        assert cached is not None and len(cached.rows) == len(rows)
    finally:
        await backend.aclose()


@pytest.mark.reads_only
async def test_a_cache_with_a_damaged_date_is_no_cache(
    make_target: Callable[..., Target], tmp_path: Path
) -> None:
    cache = tmp_path / "list-cache.sqlite3"
    backend = Backend(make_target(cache_path=cache))
    try:
        await load_rows(backend)
        with sqlite3.connect(cache) as conn:
            conn.execute("UPDATE lists SET saved_at = 'garbage'")
        assert await backend.cached_list() is None
    finally:
        await backend.aclose()
