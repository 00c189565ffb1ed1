"""The local list cache: a restart reads the last list, then fetches only what changed since."""

from __future__ import annotations

import sqlite3
import stat
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from sandbox.formats import procore_time
from sandbox.store import connection
from services.backend import Backend, Target
from services.cache import ListCache
from services.errors import CacheUnreadableError
from services.models import CachedList, SyncedCco
from tests.helpers import demo_cco_id, is_linked, load_rows, synced_cco


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


def _rows(count: int) -> list[SyncedCco]:
    return [
        synced_cco(
            id=10_000_000 + n,
            company_id=5_200_001,
            project_id=2_960_000_001 + n // 100,
            project_name=f"Project {n // 100}",
            project_number=f"P-{n // 100}",
            commitment_id=7_000_000 + n // 25,
            commitment_number=f"SC-{n // 25}",
            commitment_title="Subcontract",
            vendor="Acme",
            number=f"{n:03d}",
            title=f"Change {n // 2}",
            cents=n * 101 - 5_000,
            synced_epoch=1_767_225_600 + n,
            origin_id=f"L-{n}",
            po_txn_id=f"T-{n // 25}",
            line_ids=f"L-{n}",
            po_reference=f"PO-{n // 25}",
        )
        for n in range(count)
    ]


def test_the_first_rows_are_read_alone_and_the_rest_after_them_in_order(tmp_path: Path) -> None:
    cache = ListCache(tmp_path / "list-cache.sqlite3", "scope")
    rows = _rows(1_000)
    cache.save(rows, datetime(2026, 3, 1, tzinfo=UTC))

    head = cache.head(50)
    assert head is not None and head.rows == rows[:50]
    assert not head.complete
    chunks = list(cache.rest(head, 300))
    assert [len(chunk) for chunk in chunks] == [300, 300, 300, 50]
    read = head.rows + [row for chunk in chunks for row in chunk]
    assert read == rows
    # What the rows of a commitment share is held once, not once a row; so is a title of
    # rows read together.
    assert read[0].place is read[24].place
    assert read[0].place is not read[25].place
    assert read[300].title == read[301].title and read[300].title is read[301].title


def test_a_load_saves_through_one_connection_each_save_read_at_once(tmp_path: Path) -> None:
    cache = ListCache(tmp_path / "list-cache.sqlite3", "scope")
    rows, started = _rows(100), datetime(2026, 3, 1, tzinfo=UTC)
    rows[50:] = [
        msgspec.structs.replace(
            row, place=msgspec.structs.replace(row.place, project_id=row.project_id + 1)
        )
        for row in rows[50:]
    ]
    opened: list[object] = []
    with cache.kept_open():
        cache.begin_load(started)
        for part in (rows[:50], rows[50:]):
            # Saved from another thread each time, as the app's load does.
            saving = threading.Thread(target=cache.save_project, args=(part[0].project_id, part))
            saving.start()
            saving.join()
            opened.append(cache._kept)
            read = cache.load()
            assert read is not None and read.rows == rows[: rows.index(part[-1]) + 1]
            assert read.loaded_projects is not None and part[0].project_id in read.loaded_projects
        cache.finish_load(started)
    assert opened[0] is not None and opened == [opened[0]] * 2
    assert cache._kept is None  # closed with the load
    cache.forget(rows[0].id)  # a write after it opens and closes its own
    assert cache._kept is None
    done = cache.load()
    assert done is not None and done.complete and done.rows == rows[1:]


def test_a_load_opens_its_file_ahead_and_its_writes_use_that_connection(tmp_path: Path) -> None:
    path = tmp_path / "list-cache.sqlite3"
    cache = ListCache(path, "scope")
    rows, started = _rows(3), datetime(2026, 3, 1, tzinfo=UTC)
    cache.open_for_writes()  # outside a load: nothing to keep it for
    assert not path.exists() and cache._kept is None
    with cache.kept_open():
        opening = threading.Thread(target=cache.open_for_writes)  # as the app does, in a thread
        opening.start()
        opening.join()
        ahead = cache._kept
        assert ahead is not None and path.exists()  # before anything is written
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        cache.begin_load(started)
        cache.save_project(rows[0].project_id, rows)
        cache.finish_load(started)
        assert cache._kept is ahead
    assert cache._kept is None  # closed with the load
    read = cache.load()
    assert read is not None and read.complete and read.rows == rows


def test_a_reload_replaces_its_own_list_and_no_other_users(tmp_path: Path) -> None:
    path, saved_at = tmp_path / "list-cache.sqlite3", datetime(2026, 3, 1, tzinfo=UTC)
    mine, theirs = ListCache(path, "b-mine"), ListCache(path, "a-theirs")
    rows = _rows(200)
    mine.save(rows[:100], saved_at)
    mine.save(rows[100:], saved_at)  # the file holds this list alone: emptied whole
    kept = mine.load()
    assert kept is not None and kept.rows == rows[100:]
    theirs.save(rows[:10], saved_at)
    for cache, others in ((mine, theirs), (theirs, mine)):
        before = others.load()
        cache.begin_load(saved_at)  # another list beside it: only this one's rows go
        emptied, after = cache.load(), others.load()
        assert emptied is not None and emptied.rows == []
        assert before is not None and after is not None and after.rows == before.rows


def test_a_row_that_cannot_be_read_part_way_says_so(tmp_path: Path) -> None:
    cache = ListCache(tmp_path / "list-cache.sqlite3", "scope")
    rows = _rows(500)
    cache.save(rows, datetime(2026, 3, 1, tzinfo=UTC))
    with sqlite3.connect(cache.path) as conn:
        conn.execute("UPDATE list_rows SET row = '[1, \"x\"]' WHERE id = ?", (rows[400].id,))

    head = cache.head(100)
    assert head is not None and len(head.rows) == 100
    with pytest.raises(CacheUnreadableError):
        list(cache.rest(head, 100))
    assert cache.load() is None


def test_a_cache_another_process_holds_is_waited_for_never_wiped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ListCache(tmp_path / "list-cache.sqlite3", "scope")
    before = _rows(300)
    cache.save(before, datetime(2026, 3, 1, tzinfo=UTC))
    monkeypatch.setattr(ListCache, "BUSY_SECONDS", 0.3)
    # Another cco-unlink, writing (released from a timer thread below).
    other = sqlite3.connect(cache.path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN EXCLUSIVE")
        # Held longer than a writer waits: the write gives up, and wipes nothing.
        cache.save(_rows(10), datetime(2026, 3, 2, tzinfo=UTC))
        assert cache.path.exists()
        other.execute("COMMIT")
        assert (loaded := cache.load()) is not None and loaded.rows == before

        # Held for less than a writer waits: the write waits for it, then goes through.
        other.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.1, lambda: other.execute("COMMIT"))
        release.start()
        cache.save(_rows(10), datetime(2026, 3, 2, tzinfo=UTC))
        release.join()
    finally:
        other.close()
    assert (loaded := cache.load()) is not None and loaded.rows == _rows(10)
    with sqlite3.connect(cache.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_reader_is_not_kept_waiting_by_a_writer(tmp_path: Path) -> None:
    cache = ListCache(tmp_path / "list-cache.sqlite3", "scope")
    cache.save(_rows(50), datetime(2026, 3, 1, tzinfo=UTC))
    other = sqlite3.connect(cache.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("DELETE FROM list_rows")  # not committed yet
        started = time.monotonic()
        loaded = cache.load()
        assert time.monotonic() - started < 1.0
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert loaded is not None and loaded.rows == _rows(50)


@pytest.mark.parametrize("row", ['[1, "x"]', "not json", "[" * 5_000 + "]" * 5_000])
def test_any_row_that_cannot_be_decoded_is_no_cache(tmp_path: Path, row: str) -> None:
    cache = ListCache(tmp_path / "list-cache.sqlite3", "scope")
    rows = _rows(20)
    cache.save(rows, datetime(2026, 3, 1, tzinfo=UTC))
    with sqlite3.connect(cache.path) as conn:
        conn.execute("UPDATE list_rows SET row = ? WHERE id = ?", (row, rows[3].id))
    assert cache.head() is None
    assert cache.load() is None
