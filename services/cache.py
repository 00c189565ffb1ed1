"""The last loaded list, on disk: a restart shows it at once, then fetches only what changed.

One SQLite file in the user's data directory holds a list per scope (Procore URL, company, user),
so one user never sees another's rows and a sandbox list never mixes with the real one. Rows are
stored in the order they are shown, each as the JSON array of its fields (SyncedCco's order), so a
restart reads the few rows of its first screen alone and the rest afterwards, in chunks, while the
screen already answers keys. The file holds business data (no secret) and is still kept private
(0600), as the audit log is. A cache that cannot be read is treated as empty: it is a convenience,
never a source of truth, and every unlink reads Procore fresh before changing anything.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

import msgspec
from msgspec.structs import force_setattr, replace

from services import messages
from services.errors import CacheUnreadableError
from services.models import CachedList, SyncedCco

log = logging.getLogger(__name__)

# Bump when the row layout changes: older rows are then ignored, not misread.
FORMAT = 4

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
-- A scope's rows in the order stored (rowid): the first screen's are read without a sort.
CREATE INDEX IF NOT EXISTS list_rows_in_order ON list_rows(scope);
-- A project's rows, replaced as each project of a load comes in: without it, each replacement
-- scanned every row saved so far (quadratic: seconds of CPU over a load of 100,000 rows).
CREATE INDEX IF NOT EXISTS list_rows_by_project ON list_rows(scope, project);
-- A load stopped part-way (quit, crash): when it began, and the projects it has saved so far.
CREATE TABLE IF NOT EXISTS unfinished_loads (
    scope      TEXT PRIMARY KEY,
    started_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS loaded_projects (
    scope   TEXT NOT NULL,
    project INTEGER NOT NULL,
    PRIMARY KEY (scope, project)
);
"""


def scope_of(procore_url: str, company_id: int, login: str) -> str:
    return f"{procore_url.rstrip('/')}|{company_id}|{login}"


# Rows read for a restart's first screen: more than any terminal shows.
HEAD_ROWS = 200
# Rows decoded at a time after those: about 10 ms of work each, then the reader lets go.
CHUNK_ROWS = 10_000
# Values repeated between rows, decoded once per row, kept once: where a row belongs (the same for
# every CCO of a commitment), and its CCO number (001, 002… in every commitment).
_SHARED_FIELDS = ("place", "number")
_encoder = msgspec.json.Encoder()
_rows = msgspec.json.Decoder(list[SyncedCco])
_UNREADABLE = (sqlite3.Error, ValueError, msgspec.DecodeError, RecursionError)
# SQLite's result codes for a file that is damaged or not a database at all: only these make the
# cache start afresh. Anything else ("database is locked" while another cco-unlink writes, a full
# disk) leaves the file as it is.
_DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


class ListCache:
    """Blocking calls: callers on an event loop run them in a thread (see Backend).

    The file is in WAL mode, so a restart reading its list never waits for another cco-unlink
    writing one, and a writer waits up to BUSY_SECONDS for another writer to finish."""

    BUSY_SECONDS = 5.0

    def __init__(self, path: Path, scope: str) -> None:
        self.path = path
        self.scope = scope
        self._keeping = False
        self._kept: sqlite3.Connection | None = None
        self._writing = threading.Lock()

    @contextlib.contextmanager
    def kept_open(self) -> Iterator[None]:
        """Writes made meanwhile share one connection, the file's pragma and schema run once.
        A connection of its own for each project a load saves cost about 1.2 ms of wall time a
        project (closing the last connection to a WAL file checkpoints it). The writes may come
        from any thread, one at a time."""
        self._keeping = True
        try:
            yield
        finally:
            self._keeping = False
            # A write still in flight in its thread (the load was cancelled) closes it itself.
            if self._writing.acquire(blocking=False):
                try:
                    self._release()
                finally:
                    self._writing.release()

    def open_for_writes(self) -> None:
        """Open the file now for the writes kept_open will share: creating it, its WAL and its
        tables took 8-30 ms of wall time (the disk, and the interpreter's lock shared with the
        screen), which a first load's first rows then waited for. What fails is left for the
        first write to meet and handle."""
        with self._writing:
            if not self._keeping or self._kept is not None:
                return
            try:
                conn = self._open_for_writing()
            except (sqlite3.Error, OSError):
                return
            if self._keeping:
                self._kept = conn
            else:  # kept_open ended meanwhile
                conn.close()

    def head(self, count: int | None = None) -> CachedList | None:
        """The first `count` rows of this scope's list, read without looking at the others
        (their number included): the same time for any size of list. None when there is none
        or it cannot be read."""
        if not self.path.exists():
            return None
        wanted = count or HEAD_ROWS
        try:
            with self._connect() as conn:
                found = conn.execute(
                    "SELECT format, saved_at FROM lists WHERE scope = ?", (self.scope,)
                ).fetchone()
                if found is None or found[0] != FORMAT:
                    return None
                picked = conn.execute(
                    "SELECT rowid, row FROM list_rows WHERE scope = ? ORDER BY rowid LIMIT ?",
                    (self.scope, wanted),
                ).fetchall()
                saved_at = datetime.fromisoformat(found[1])
                rows = _decode([text for _, text in picked], {})
                loaded = self._unfinished_projects(conn)
        except _UNREADABLE as error:
            log.warning("Ignoring the list cache at %s: %s", self.path, error)
            return None
        last = picked[-1][0] if picked else 0
        return CachedList(
            rows=rows,
            saved_at=saved_at,
            complete=len(rows) < wanted,
            read_to=last,
            loaded_projects=loaded,
        )

    def _unfinished_projects(self, conn: sqlite3.Connection) -> frozenset[int] | None:
        """The projects an unfinished load of this scope has saved; None when none is."""
        if (
            not conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'unfinished_loads'"
            ).fetchone()
            or not conn.execute(
                "SELECT 1 FROM unfinished_loads WHERE scope = ?", (self.scope,)
            ).fetchone()
        ):
            return None
        return frozenset(
            project
            for (project,) in conn.execute(
                "SELECT project FROM loaded_projects WHERE scope = ?", (self.scope,)
            )
        )

    def begin_load(self, started_at: datetime) -> None:
        """A load of every project begins: the scope's list is emptied and marked unfinished, so
        that what is saved from here on, project by project, is this load's alone."""

        def change(conn: sqlite3.Connection) -> None:
            self._clear_load(conn)
            self._empty(conn)
            conn.execute(
                "INSERT INTO unfinished_loads(scope, started_at) VALUES (?, ?)",
                (self.scope, started_at.isoformat()),
            )
            self._stamp(conn, started_at)

        self._write(change)

    def save_project(self, project_id: int, rows: Iterable[SyncedCco]) -> None:
        """One project of an unfinished load is in: its rows, and a note that it is done."""

        def change(conn: sqlite3.Connection) -> None:
            conn.execute(
                "DELETE FROM list_rows WHERE scope = ? AND project = ?", (self.scope, project_id)
            )
            conn.executemany(
                "INSERT OR REPLACE INTO list_rows(scope, id, project, row) VALUES (?, ?, ?, ?)",
                ((self.scope, cco.id, cco.project_id, _encode(cco)) for cco in rows),
            )
            conn.execute(
                "INSERT OR IGNORE INTO loaded_projects(scope, project) VALUES (?, ?)",
                (self.scope, project_id),
            )

        self._write(change)

    def finish_load(self, started_at: datetime) -> None:
        """Every project is in: the list is complete, as of when its load began."""

        def change(conn: sqlite3.Connection) -> None:
            self._clear_load(conn)
            self._stamp(conn, started_at)

        self._write(change)

    def _empty(self, conn: sqlite3.Connection) -> None:
        """Remove the scope's rows. When the file holds this scope's list alone (as a rule), it is
        emptied whole: SQLite then frees its pages at once, where removing 100,000 rows one by one
        from the table and its indexes took 0.3 s of CPU, while a reload waited for it."""
        first, last = conn.execute(
            "SELECT (SELECT MIN(scope) FROM list_rows), (SELECT MAX(scope) FROM list_rows)"
        ).fetchone()
        if first == last == self.scope:
            conn.execute("DELETE FROM list_rows")
        else:
            conn.execute("DELETE FROM list_rows WHERE scope = ?", (self.scope,))

    def _clear_load(self, conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM unfinished_loads WHERE scope = ?", (self.scope,))
        conn.execute("DELETE FROM loaded_projects WHERE scope = ?", (self.scope,))

    def rest(self, cached: CachedList, chunk: int | None = None) -> Iterator[list[SyncedCco]]:
        """The rows after those of `cached`, in order, `chunk` at a time, from one consistent
        reading of the file. Raises CacheUnreadableError when a row cannot be read."""
        shared: dict[object, object] = {}
        _share(cached.rows, shared)
        try:
            with self._connect() as conn:
                rows = conn.execute(
                    "SELECT row FROM list_rows WHERE scope = ? AND rowid > ? ORDER BY rowid",
                    (self.scope, cached.read_to),
                )
                while batch := rows.fetchmany(chunk or CHUNK_ROWS):
                    yield _decode([text for (text,) in batch], shared)
        except _UNREADABLE as error:
            log.warning("The list cache at %s cannot be read: %s", self.path, error)
            raise CacheUnreadableError(messages.CACHE_UNREADABLE) from error

    def load(self) -> CachedList | None:
        """The whole cached list of this scope, or None when there is none or it cannot be
        read."""
        cached = self.head()
        if cached is None or cached.complete:
            return cached
        rows = list(cached.rows)
        try:
            for chunk in self.rest(cached):
                rows += chunk
        except CacheUnreadableError:
            return None
        return replace(cached, rows=rows, complete=True)

    def projects(self) -> set[int]:
        """The projects the cached list holds rows of."""
        try:
            with self._connect() as conn:
                found = conn.execute(
                    "SELECT DISTINCT project FROM list_rows WHERE scope = ?", (self.scope,)
                )
                return {project for (project,) in found}
        except sqlite3.Error as error:
            log.warning("The list cache at %s cannot be read: %s", self.path, error)
            raise CacheUnreadableError(messages.CACHE_UNREADABLE) from error

    def save(self, rows: Sequence[SyncedCco], saved_at: datetime) -> None:
        """Replace the scope's list with `rows`, as loaded in full at `saved_at`. Each row is
        encoded as it is written: a million rows are never all held as text at once."""

        def change(conn: sqlite3.Connection) -> None:
            self._clear_load(conn)
            self._empty(conn)
            conn.executemany(
                "INSERT INTO list_rows(scope, id, project, row) VALUES (?, ?, ?, ?)",
                ((self.scope, cco.id, cco.project_id, _encode(cco)) for cco in rows),
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
        conn = sqlite3.connect(self.path, timeout=self.BUSY_SECONDS)
        try:
            yield conn
        finally:
            conn.close()

    def _write(self, change: Callable[[sqlite3.Connection], object]) -> None:
        """Apply `change` in one transaction. A cache that cannot be written is set aside and
        started afresh once; failing that, the failure is logged and the list goes on."""
        with self._writing:
            self._write_once(change)

    def _write_once(self, change: Callable[[sqlite3.Connection], object]) -> None:
        for attempt in (1, 2):
            try:
                with self._writer() as conn, conn:
                    change(conn)
                return
            except sqlite3.DatabaseError as error:
                self._release()
                if _primary(error) not in _DAMAGED:
                    log.warning("The list cache at %s was not written: %s", self.path, error)
                    return
                log.warning("The list cache at %s is damaged: %s", self.path, error)
                if attempt == 1:
                    for part in ("", "-wal", "-shm"):
                        with contextlib.suppress(OSError):
                            Path(f"{self.path}{part}").unlink()
            except (sqlite3.Error, OSError) as error:
                self._release()
                log.warning("The list cache at %s could not be written: %s", self.path, error)
                return

    @contextlib.contextmanager
    def _writer(self) -> Iterator[sqlite3.Connection]:
        """A connection to write with: the one kept open (see kept_open), else one of its own."""
        conn = self._kept or self._open_for_writing()
        try:
            yield conn
        finally:
            if self._keeping:
                self._kept = conn
            else:
                self._kept = None
                conn.close()

    def _open_for_writing(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists()
        conn = sqlite3.connect(self.path, timeout=self.BUSY_SECONDS, check_same_thread=False)
        try:
            if fresh:
                os.chmod(self.path, 0o600)
            conn.execute("PRAGMA journal_mode = WAL")
            # Not synced to disk at each commit: a load commits once a project, and waiting for
            # the disk each time cost 4 ms, 2 s of wall time over 500 projects. WAL stays whole
            # through any crash; a power cut may lose the last projects saved, which the next
            # start then asks Procore for again.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        return conn

    def _release(self) -> None:
        conn, self._kept = self._kept, None
        if conn is not None:
            conn.close()


def _primary(error: sqlite3.Error) -> int:
    """SQLite's primary result code of `error` (its extended code less the detail)."""
    return getattr(error, "sqlite_errorcode", 0) & 0xFF


def _encode(cco: SyncedCco) -> str:
    return _encoder.encode(cco).decode()


def _decode(texts: list[str], shared: dict[object, object]) -> list[SyncedCco]:
    """Rows from their stored texts, decoded in one pass."""
    rows = _rows.decode("[" + ",".join(texts) + "]")
    _share(rows, shared)
    return rows


def _share(rows: list[SyncedCco], shared: dict[object, object]) -> None:
    """Make values repeated between rows (where they belong, their CCO numbers) one object
    each, `shared` remembering those seen: at a million rows that is a third of their memory.
    Titles repeat too, within a project (a change event's CCOs carry its title on each
    commitment it changes): shared among these rows only, which hold a few whole projects,
    as remembering every title of a million rows would cost more than it saves."""
    keep = shared.setdefault
    titles: dict[str, str] = {}
    same_title = titles.setdefault
    for row in rows:
        for field in _SHARED_FIELDS:
            value = getattr(row, field)
            force_setattr(row, field, keep(value, value))
        force_setattr(row, "title", same_title(row.title, row.title))
        if row.line_ids == row.origin_id:
            # A CCO synced as one line is known by that line's id: one string, not two.
            force_setattr(row, "origin_id", row.line_ids)
