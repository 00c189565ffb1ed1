"""The last loaded list, on disk: a restart shows it at once, then fetches only what changed.

One SQLite file in the user's data directory holds a list per scope (Procore URL, company, user),
so one user never sees another's rows and a sandbox list never mixes with the real one. Rows are
stored as compact JSON arrays; the file holds business data (no secret) and is still kept private
(0600), as the audit log is. A cache that cannot be read is treated as empty: it is a convenience,
never a source of truth, and every unlink reads Procore fresh before changing anything.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from services.models import CachedList, QuickBooksLink, SyncedCco

log = logging.getLogger(__name__)

# Bump when the row layout changes: older rows are then ignored, not misread.
FORMAT = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lists (
    scope    TEXT PRIMARY KEY,
    format   INTEGER NOT NULL,
    saved_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS list_rows (
    scope   TEXT NOT NULL,
    id      INTEGER NOT NULL,
    project INTEGER NOT NULL,
    row     TEXT NOT NULL,
    PRIMARY KEY (scope, id)
);
"""


def scope_of(procore_url: str, company_id: int, login: str) -> str:
    return f"{procore_url.rstrip('/')}|{company_id}|{login}"


class ListCache:
    """Blocking calls: callers on an event loop run them in a thread (see Backend)."""

    def __init__(self, path: Path, scope: str) -> None:
        self.path = path
        self.scope = scope

    def load(self) -> CachedList | None:
        """The cached list of this scope, or None when there is none or it cannot be read."""
        if not self.path.exists():
            return None
        try:
            with self._connect() as conn:
                head = conn.execute(
                    "SELECT format, saved_at FROM lists WHERE scope = ?", (self.scope,)
                ).fetchone()
                if head is None or head[0] != FORMAT:
                    return None
                # rowid order is the order rows were stored in: the order the list loaded in.
                rows = [
                    _decode(text)
                    for (text,) in conn.execute(
                        "SELECT row FROM list_rows WHERE scope = ? ORDER BY rowid",
                        (self.scope,),
                    )
                ]
                saved_at = datetime.fromisoformat(head[1])
        except (sqlite3.Error, ValueError, KeyError, TypeError, IndexError) as error:
            log.warning("Ignoring the list cache at %s: %s", self.path, error)
            return None
        return CachedList(rows=rows, saved_at=saved_at)

    def save(self, rows: Iterable[SyncedCco], saved_at: datetime) -> None:
        """Replace the scope's list with `rows`, as loaded in full at `saved_at`."""
        encoded = [(self.scope, cco.id, cco.project_id, _encode(cco)) for cco in rows]

        def change(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM list_rows WHERE scope = ?", (self.scope,))
            conn.executemany(
                "INSERT INTO list_rows(scope, id, project, row) VALUES (?, ?, ?, ?)", encoded
            )
            self._stamp(conn, saved_at)

        self._write(change)

    def apply(
        self,
        changed: Iterable[SyncedCco],
        removed: Iterable[int],
        removed_projects: Iterable[int],
        saved_at: datetime,
    ) -> None:
        """Bring the scope's list up to date with the changes found since it was saved."""
        encoded = [(self.scope, cco.id, cco.project_id, _encode(cco)) for cco in changed]
        gone = [(self.scope, cco_id) for cco_id in removed]
        gone_projects = [(self.scope, project_id) for project_id in removed_projects]

        def change(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT OR REPLACE INTO list_rows(scope, id, project, row) VALUES (?, ?, ?, ?)",
                encoded,
            )
            conn.executemany("DELETE FROM list_rows WHERE scope = ? AND project = ?", gone_projects)
            conn.executemany("DELETE FROM list_rows WHERE scope = ? AND id = ?", gone)
            self._stamp(conn, saved_at)

        self._write(change)

    def forget(self, cco_id: int) -> None:
        """Drop one row (it was unlinked): a restart must not show it again."""
        if not self.path.exists():
            return
        self._write(
            lambda conn: conn.execute(
                "DELETE FROM list_rows WHERE scope = ? AND id = ?", (self.scope, cco_id)
            )
        )

    def _stamp(self, conn: sqlite3.Connection, saved_at: datetime) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO lists(scope, format, saved_at) VALUES (?, ?, ?)",
            (self.scope, FORMAT, saved_at.isoformat()),
        )

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=5.0)
        try:
            yield conn
        finally:
            conn.close()

    def _write(self, change: Callable[[sqlite3.Connection], object]) -> None:
        """Apply `change` in one transaction. A cache that cannot be written is set aside and
        started afresh once; failing that, the failure is logged and the list goes on."""
        for attempt in (1, 2):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fresh = not self.path.exists()
                with self._connect() as conn:
                    if fresh:
                        os.chmod(self.path, 0o600)
                    conn.executescript(_SCHEMA)
                    with conn:
                        change(conn)
                return
            except sqlite3.DatabaseError as error:
                log.warning("The list cache at %s is unusable: %s", self.path, error)
                if attempt == 1:
                    with contextlib.suppress(OSError):
                        self.path.unlink()
            except (sqlite3.Error, OSError) as error:
                log.warning("The list cache at %s could not be written: %s", self.path, error)
                return


def _encode(cco: SyncedCco) -> str:
    link = [cco.link.po_txn_id, list(cco.link.txn_line_ids)] if cco.link else None
    return json.dumps(
        [
            cco.id,
            cco.company_id,
            cco.project_id,
            cco.project_name,
            cco.project_number,
            cco.commitment_id,
            cco.commitment_number,
            cco.commitment_title,
            cco.vendor,
            cco.number,
            cco.title,
            str(cco.amount),
            cco.synced_at.isoformat() if cco.synced_at else None,
            cco.origin_id,
            link,
            cco.po_reference,
        ],
        separators=(",", ":"),
    )


def _decode(text: str) -> SyncedCco:
    v: list[Any] = json.loads(text)
    link = QuickBooksLink(v[14][0], tuple(v[14][1])) if v[14] is not None else None
    return SyncedCco(
        id=int(v[0]),
        company_id=int(v[1]),
        project_id=int(v[2]),
        project_name=v[3],
        project_number=v[4],
        commitment_id=int(v[5]),
        commitment_number=v[6],
        commitment_title=v[7],
        vendor=v[8],
        number=v[9],
        title=v[10],
        amount=Decimal(v[11]),
        synced_at=datetime.fromisoformat(v[12]) if v[12] else None,
        origin_id=v[13],
        link=link,
        po_reference=v[15],
    )
