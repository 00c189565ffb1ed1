"""Small helpers for tests: load the list through the real client, pick demo CCOs by their state."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import msgspec

from sandbox import SandboxConfig, SandboxServer, bulk_seed, inspect
from sandbox.config import RATE_LIMITS
from services.backend import Backend
from services.models import CcoPlace, SyncedCco
from tests.clock import JumpingClock

LinkSnapshot = dict[int, tuple[Any, ...]]
_PLACE_FIELDS = frozenset(field.name for field in msgspec.structs.fields(CcoPlace))


def synced_cco(**fields: Any) -> SyncedCco:
    """A row from its fields by name, those of its place among them."""
    place = {name: fields.pop(name) for name in _PLACE_FIELDS}
    return SyncedCco(place=CcoPlace(**place), **fields)


async def load_rows(backend: Backend) -> dict[int, SyncedCco]:
    rows: dict[int, SyncedCco] = {}
    async for batch, _ in backend.synced_ccos():
        rows.update((cco.id, cco) for cco in batch)
    return rows


def demo_cco_id(data_file: Path, *, in_quickbooks: bool, company_id: int | None = None) -> int:
    """The first synced demo CCO (by id) that is, or is not, still in the simulated QuickBooks."""
    candidates = sorted(
        cco.id
        for cco in inspect.synced_ccos(data_file)
        if cco.in_quickbooks == in_quickbooks
        and (company_id is None or cco.company_id == company_id)
    )
    assert candidates, f"the demo data has no synced CCO with in_quickbooks={in_quickbooks}"
    return candidates[0]


def is_linked(data_file: Path, cco_id: int) -> bool:
    origin_id, origin_data = inspect.cco_link(data_file, cco_id)
    lines = inspect.line_links(data_file, cco_id)
    return (
        origin_id is not None or origin_data is not None or any(line is not None for line in lines)
    )


def snapshot_links(data_file: Path) -> LinkSnapshot:
    """Every CCO's and line item's link as it is now, to restore between rounds."""
    with sqlite3.connect(data_file) as conn:
        ccos = conn.execute("SELECT id, origin_id, origin_data, synced_at FROM ccos").fetchall()
        lines = conn.execute("SELECT id, origin_id FROM cco_line_items").fetchall()
    snapshot: LinkSnapshot = {row[0]: ("cco", *row[1:]) for row in ccos}
    snapshot.update({row[0]: ("line", row[1]) for row in lines})
    return snapshot


def restore_links(data_file: Path, snapshot: LinkSnapshot) -> None:
    """Arrange a round: the links as the snapshot holds them (ids of CCOs and lines never clash)."""
    conn = sqlite3.connect(data_file, timeout=10)
    try:
        with conn:
            for item_id, saved in snapshot.items():
                if saved[0] == "cco":
                    conn.execute(
                        "UPDATE ccos SET origin_id = ?, origin_data = ?, synced_at = ?"
                        " WHERE id = ?",
                        (*saved[1:], item_id),
                    )
                else:
                    conn.execute(
                        "UPDATE cco_line_items SET origin_id = ? WHERE id = ?", (saved[1], item_id)
                    )
    finally:
        conn.close()


@contextmanager
def procore_paced_company(
    data_file: Path, clock: JumpingClock, *, projects: int, latency_ms: int = 0
) -> Iterator[SandboxServer]:
    """A company of `projects` projects, 2 synced CCOs each, behind Procore's example limits
    (600 requests an hour, 25 per 10 s), its windows counted on `clock`: a load waits for them
    without spending the time."""
    bulk_seed.reset_bulk(data_file, projects=projects, ccos_per_project=2)
    limits = RATE_LIMITS["procore"]
    config = SandboxConfig(
        data_file=data_file,
        rate_limit_per_hour=limits.per_hour,
        rate_limit_per_10s=limits.per_10s,
        latency_ms=latency_ms,
        clock=clock.time,
    )
    with SandboxServer(config, port=0) as server:
        yield server


# What Procore and QuickBooks hold in the sandbox; sign-ins and replayed answers left out.
_RECORD_TABLES = (
    "users", "companies", "memberships", "projects", "tool_levels", "vendors", "commitments",
    "ccos", "cco_line_items", "qb_vendors", "qb_items", "qb_purchase_orders", "qb_po_lines",
    "qb_deleted_txns",
)  # fmt: skip


def records_digest(data_file: Path) -> str:
    """A digest of every record the sandbox serves: equal digests, same records."""
    digest = hashlib.sha256()
    with closing(sqlite3.connect(data_file)) as conn:
        for table in _RECORD_TABLES:
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid"):
                digest.update(repr(row).encode())
    return digest.hexdigest()
