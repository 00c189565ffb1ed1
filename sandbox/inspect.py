"""Read-only views of a sandbox data file, for tests that check backend state directly.

Tests of other packages use these to see what the server holds without going through the
client under test. Every helper opens its own connection and writes nothing (WAL mode lets
them read while the server is running).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sandbox.store import connection


@dataclass(frozen=True)
class DemoCco:
    id: int
    project_id: int
    company_id: int
    contract_id: int
    number: str
    title: str
    po_txn_id: str
    txn_line_ids: tuple[str, ...]
    line_item_ids: tuple[int, ...]
    # The contract's rule: the PO exists and at least one of the CCO's lines is still on it.
    in_quickbooks: bool


def _po_lines(conn: sqlite3.Connection, txn_id: str) -> list[str] | None:
    if conn.execute("SELECT 1 FROM qb_purchase_orders WHERE txn_id = ?", (txn_id,)).fetchone():
        rows = conn.execute(
            "SELECT txn_line_id FROM qb_po_lines WHERE txn_id = ? ORDER BY position", (txn_id,)
        ).fetchall()
        return [str(r["txn_line_id"]) for r in rows]
    return None


def cco_link(data_file: Path, cco_id: int) -> tuple[str | None, str | None]:
    """(origin_id, origin_data) of a change order; KeyError if there is no such CCO."""
    with connection(Path(data_file)) as conn:
        row = conn.execute("SELECT origin_id, origin_data FROM ccos WHERE id = ?", (cco_id,))
        found = row.fetchone()
    if found is None:
        raise KeyError(cco_id)
    return found["origin_id"], found["origin_data"]


def line_links(data_file: Path, cco_id: int) -> list[str | None]:
    """origin_id of each line item of a change order, in line order."""
    with connection(Path(data_file)) as conn:
        rows = conn.execute(
            "SELECT origin_id FROM cco_line_items WHERE cco_id = ? ORDER BY position, id",
            (cco_id,),
        ).fetchall()
    return [r["origin_id"] for r in rows]


def synced_ccos(data_file: Path, company_id: int | None = None) -> list[DemoCco]:
    """Every change order whose origin_id is set, with whether it is still in QuickBooks."""
    sql = (
        "SELECT c.*, p.company_id FROM ccos c JOIN projects p ON p.id = c.project_id"
        " WHERE c.origin_id IS NOT NULL"
    )
    args: tuple[int, ...] = ()
    if company_id is not None:
        sql += " AND p.company_id = ?"
        args = (company_id,)
    result: list[DemoCco] = []
    with connection(Path(data_file)) as conn:
        for row in conn.execute(sql + " ORDER BY c.id", args).fetchall():
            data = json.loads(row["origin_data"]) if row["origin_data"] else {}
            po_txn_id = str(data.get("po_txn_id", ""))
            txn_line_ids = tuple(str(x) for x in data.get("txn_line_ids", []))
            lines_now = _po_lines(conn, po_txn_id)
            present = lines_now is not None and any(t in lines_now for t in txn_line_ids)
            item_ids = conn.execute(
                "SELECT id FROM cco_line_items WHERE cco_id = ? ORDER BY position, id",
                (row["id"],),
            ).fetchall()
            result.append(
                DemoCco(
                    id=int(row["id"]),
                    project_id=int(row["project_id"]),
                    company_id=int(row["company_id"]),
                    contract_id=int(row["contract_id"]),
                    number=str(row["number"]),
                    title=str(row["title"]),
                    po_txn_id=po_txn_id,
                    txn_line_ids=txn_line_ids,
                    line_item_ids=tuple(int(r["id"]) for r in item_ids),
                    in_quickbooks=present,
                )
            )
    return result


def unsynced_cco_ids(data_file: Path, company_id: int | None = None) -> list[int]:
    """Ids of change orders with no link (origin_id null)."""
    sql = "SELECT c.id FROM ccos c JOIN projects p ON p.id = c.project_id WHERE c.origin_id IS NULL"
    args: tuple[int, ...] = ()
    if company_id is not None:
        sql += " AND p.company_id = ?"
        args = (company_id,)
    with connection(Path(data_file)) as conn:
        return [int(r["id"]) for r in conn.execute(sql + " ORDER BY c.id", args).fetchall()]


def po_line_ids(data_file: Path, po_txn_id: str) -> list[str] | None:
    """TxnLineIDs on a purchase order in the simulated QuickBooks, or None if the PO is gone."""
    with connection(Path(data_file)) as conn:
        return _po_lines(conn, po_txn_id)


def po_edit_sequence(data_file: Path, po_txn_id: str) -> str | None:
    with connection(Path(data_file)) as conn:
        row = conn.execute(
            "SELECT edit_sequence FROM qb_purchase_orders WHERE txn_id = ?", (po_txn_id,)
        ).fetchone()
    return None if row is None else str(row["edit_sequence"])


def po_ref_number(data_file: Path, po_txn_id: str) -> str | None:
    """The purchase order's RefNumber, as QuickBooks shows it to people."""
    with connection(Path(data_file)) as conn:
        row = conn.execute(
            "SELECT ref_number FROM qb_purchase_orders WHERE txn_id = ?", (po_txn_id,)
        ).fetchone()
    return None if row is None else str(row["ref_number"])


def user_id(data_file: Path, login: str) -> int:
    with connection(Path(data_file)) as conn:
        row = conn.execute("SELECT id FROM users WHERE login = ?", (login,)).fetchone()
    if row is None:
        raise KeyError(login)
    return int(row["id"])


def project_ids(data_file: Path, company_id: int) -> list[int]:
    with connection(Path(data_file)) as conn:
        rows = conn.execute(
            "SELECT id FROM projects WHERE company_id = ? ORDER BY id", (company_id,)
        ).fetchall()
    return [int(r["id"]) for r in rows]


@dataclass(frozen=True)
class IssuedPair:
    client_login: str
    user_login: str
    access_revoked: bool
    refresh_revoked: bool


def issued_pairs(data_file: Path) -> list[IssuedPair]:
    """Every access/refresh pair the token endpoint issued, oldest first."""
    with connection(Path(data_file)) as conn:
        rows = conn.execute(
            "SELECT p.client_login, u.login AS user_login, a.revoked AS access_revoked,"
            " r.revoked AS refresh_revoked FROM oauth_pairs p"
            " JOIN tokens a ON a.token = p.access_token JOIN tokens r ON r.token = p.refresh_token"
            " JOIN users u ON u.id = a.user_id ORDER BY a.created_at, a.rowid"
        ).fetchall()
    return [
        IssuedPair(
            str(r["client_login"]),
            str(r["user_login"]),
            bool(r["access_revoked"]),
            bool(r["refresh_revoked"]),
        )
        for r in rows
    ]
