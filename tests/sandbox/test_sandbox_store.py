"""The sandbox's connection for a request: kept for the thread's next request, never carrying a
transaction over, and never to a file a reset has replaced."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sandbox.store import fresh_database, request_connection, set_meta


def _meta(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = 'mark'").fetchone()
    return None if row is None else str(row["value"])


def test_a_threads_requests_share_one_connection_and_see_each_others_writes(
    tmp_path: Path,
) -> None:
    data = tmp_path / "sandbox.sqlite3"
    with fresh_database(data):
        pass
    with request_connection(data) as first:
        set_meta(first, "mark", "one")
    with request_connection(data) as second:
        assert second is first
        assert _meta(second) == "one"
    with request_connection(data) as outer, request_connection(data) as inner:
        assert inner is not outer  # lent to one request at a time


def test_a_transaction_left_open_is_undone_before_the_next_request(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.sqlite3"
    with fresh_database(data):
        pass
    with request_connection(data) as conn:
        conn.execute("BEGIN IMMEDIATE")
        set_meta(conn, "mark", "half-done")
    with request_connection(data) as again:
        assert again is conn and not again.in_transaction
        assert _meta(again) is None


def test_a_reset_file_gets_a_connection_of_its_own(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.sqlite3"
    with fresh_database(data) as conn:
        set_meta(conn, "mark", "before")
        conn.commit()
    with request_connection(data) as before:
        assert _meta(before) == "before"
    with fresh_database(data) as conn:  # wiped and made again, as a reset does
        set_meta(conn, "mark", "after")
        conn.commit()
    with request_connection(data) as after:
        assert after is not before
        assert _meta(after) == "after"
