"""SQLite schema and connection handling shared by both simulated systems.

One file holds the Procore side (companies, projects, commitments, change orders, users, tokens)
and the simulated QuickBooks Desktop company file (vendors, items, purchase orders and their
lines). A request borrows the connection its thread's previous request left (request_connection):
sqlite3 connections must not cross threads, and opening one, pragmas and schema read again, cost
a third of a millisecond, a fifth of the sandbox's CPU for a list of 100,000 CCOs.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = "2"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Procore side ---------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS users (
    id                        INTEGER PRIMARY KEY,
    login                     TEXT NOT NULL UNIQUE,
    name                      TEXT NOT NULL,
    email_address             TEXT NOT NULL,
    client_secret             TEXT NOT NULL,
    -- Company Directory 'Can Push to Accounting'.
    erp_integrated_accountant INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS companies (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS memberships (
    company_id INTEGER NOT NULL REFERENCES companies(id),
    user_id    INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (company_id, user_id)
);
CREATE TABLE IF NOT EXISTS projects (
    id             INTEGER PRIMARY KEY,
    company_id     INTEGER NOT NULL REFERENCES companies(id),
    name           TEXT NOT NULL,
    project_number TEXT NOT NULL,
    origin_id      TEXT -- the QuickBooks Customer:Job it is synced with; NULL: not synced
);
-- scope is 'project' (scope_id = project id) or 'company' (scope_id = company id).
CREATE TABLE IF NOT EXISTS tool_levels (
    user_id  INTEGER NOT NULL REFERENCES users(id),
    scope    TEXT NOT NULL,
    scope_id INTEGER NOT NULL,
    tool     TEXT NOT NULL,
    level    TEXT NOT NULL,
    PRIMARY KEY (user_id, scope, scope_id, tool)
);
CREATE TABLE IF NOT EXISTS vendors (
    id         INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    name       TEXT NOT NULL
);
-- kind is 'purchase_order' or 'work_order'.
CREATE TABLE IF NOT EXISTS commitments (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    kind        TEXT NOT NULL,
    number      TEXT NOT NULL,
    title       TEXT NOT NULL,
    status      TEXT NOT NULL,
    vendor_id   INTEGER NOT NULL REFERENCES vendors(id),
    origin_id   TEXT,
    origin_data TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ccos (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    contract_id INTEGER NOT NULL REFERENCES commitments(id),
    number      TEXT NOT NULL,
    title       TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    origin_id   TEXT,
    origin_code TEXT,
    origin_data TEXT,
    synced_at   TEXT,
    -- Who created it (Procore's created_by); NULL when not known.
    created_by_id INTEGER
);
CREATE TABLE IF NOT EXISTS cco_line_items (
    id           INTEGER PRIMARY KEY,
    cco_id       INTEGER NOT NULL REFERENCES ccos(id),
    position     INTEGER NOT NULL,
    description  TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    origin_id    TEXT,
    cost_code    TEXT,
    cost_code_name TEXT
);
CREATE INDEX IF NOT EXISTS cco_line_items_cco ON cco_line_items(cco_id);
CREATE TABLE IF NOT EXISTS tokens (
    token      TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,          -- 'access' or 'refresh'
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER,                -- NULL: never (refresh tokens are single-use instead)
    revoked    INTEGER NOT NULL DEFAULT 0
);
-- Answers to changes sent with an Idempotency-Key, replayed when the same key comes again.
CREATE TABLE IF NOT EXISTS idempotent_replies (
    user_id    INTEGER NOT NULL REFERENCES users(id),
    key        TEXT NOT NULL,
    body_hash  TEXT NOT NULL,
    reply      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Simulated QuickBooks Desktop company file ------------------------------------------------------
CREATE TABLE IF NOT EXISTS qb_vendors (
    list_id       TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    time_created  TEXT NOT NULL,
    time_modified TEXT NOT NULL,
    edit_sequence TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS qb_items (
    list_id   TEXT PRIMARY KEY,
    full_name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS qb_purchase_orders (
    txn_id         TEXT PRIMARY KEY,
    txn_number     INTEGER NOT NULL,
    time_created   TEXT NOT NULL,
    time_modified  TEXT NOT NULL,
    edit_sequence  TEXT NOT NULL,
    vendor_list_id TEXT NOT NULL REFERENCES qb_vendors(list_id),
    txn_date       TEXT NOT NULL,
    ref_number     TEXT NOT NULL,
    memo           TEXT
);
CREATE TABLE IF NOT EXISTS qb_po_lines (
    txn_line_id  TEXT PRIMARY KEY,
    txn_id       TEXT NOT NULL REFERENCES qb_purchase_orders(txn_id),
    position     INTEGER NOT NULL,
    item_list_id TEXT REFERENCES qb_items(list_id),
    description  TEXT,
    quantity     TEXT,
    rate         TEXT,
    amount_cents INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS qb_po_lines_txn ON qb_po_lines(txn_id);
-- QuickBooks keeps a log of deleted transactions (TxnDeletedQuery); so does the sandbox.
CREATE TABLE IF NOT EXISTS qb_deleted_txns (
    txn_id       TEXT PRIMARY KEY,
    txn_del_type TEXT NOT NULL,
    time_created TEXT NOT NULL,
    time_deleted TEXT NOT NULL,
    ref_number   TEXT
);
"""


def connect(data_file: Path) -> sqlite3.Connection:
    """Open a connection with the pragmas every caller relies on."""
    # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE in `transaction`), so a
    # multi-row change such as an unlink is atomic and readers never see half of it.
    conn = sqlite3.connect(data_file, timeout=10.0, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


@contextmanager
def connection(data_file: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(data_file)
    try:
        yield conn
    finally:
        conn.close()


_kept = threading.local()
"""The connection this thread's last request gave back, with the identity of its file."""


@contextmanager
def request_connection(data_file: Path) -> Iterator[sqlite3.Connection]:
    """A connection for one request: the one this thread's previous request gave back, while the
    file is still the one it opened (a reset replaces the file), else a new one. Lent to one
    request at a time; given back with no transaction open, or closed."""
    kept: tuple[tuple[int, int], sqlite3.Connection] | None = getattr(_kept, "slot", None)
    _kept.slot = None
    identity = _identity(data_file)
    if kept is not None and kept[0] == identity:
        conn = kept[1]
    else:
        if kept is not None:
            kept[1].close()
        conn = connect(data_file)
        identity = _identity(data_file)
    try:
        yield conn
    finally:
        _give_back(conn, identity)


def _give_back(conn: sqlite3.Connection, identity: tuple[int, int] | None) -> None:
    try:
        if conn.in_transaction:  # left open by a failure: never carried to another request
            conn.rollback()
    except sqlite3.Error:
        identity = None
    if identity is None or getattr(_kept, "slot", None) is not None:
        conn.close()  # the file is gone, or a request in between gave back one already
    else:
        _kept.slot = (identity, conn)


def _identity(data_file: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(data_file)
    except OSError:
        return None
    return found.st_dev, found.st_ino


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK if the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def create_schema(conn: sqlite3.Connection) -> None:
    # WAL lets the tests' read-only inspection run while the server writes.
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(SCHEMA)
    _add_project_origin(conn)
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
    )


def _add_project_origin(conn: sqlite3.Connection) -> None:
    """Data seeded before projects had an origin_id: a project holding a synced commitment was
    synced with QuickBooks, so it gets one (its Customer:Job is not known: a stand-in id)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(projects)")}
    if "origin_id" in columns:
        return
    conn.execute("ALTER TABLE projects ADD COLUMN origin_id TEXT")
    conn.execute(
        "UPDATE projects SET origin_id = 'job-' || id WHERE id IN"
        " (SELECT project_id FROM commitments WHERE origin_id IS NOT NULL)"
    )
    conn.commit()


@contextmanager
def fresh_database(data_file: Path) -> Iterator[sqlite3.Connection]:
    """A connection to `data_file` wiped (with its journal files) and given the empty schema."""
    data_file = Path(data_file)
    data_file.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{data_file}{suffix}").unlink(missing_ok=True)
    with connection(data_file) as conn:
        create_schema(conn)
        yield conn


def is_seeded(data_file: Path) -> bool:
    """True when the file exists and holds a complete demo data set of this schema (a file
    laid out by an older version is seeded afresh: it is demo data)."""
    if not data_file.exists() or data_file.stat().st_size == 0:
        return False
    try:
        with connection(data_file) as conn:
            seeded = get_meta(conn, "seeded")
            version = get_meta(conn, "schema_version")
    except sqlite3.DatabaseError:
        return False
    return seeded is not None and version == SCHEMA_VERSION


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row["value"])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))
