"""Demo data: deterministic from the seed, with the layout the product's demo relies on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
from sandbox_testkit import ServerFactory, auth_headers

from sandbox import demo
from sandbox import inspect as sbx_inspect
from sandbox.demo import HARBOR_COMPANY_ID, SUMMIT_COMPANY_ID

TABLES = (
    "users",
    "companies",
    "memberships",
    "projects",
    "tool_levels",
    "vendors",
    "commitments",
    "ccos",
    "cco_line_items",
    "qb_vendors",
    "qb_items",
    "qb_purchase_orders",
    "qb_po_lines",
    "qb_deleted_txns",
)


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}
    finally:
        conn.close()


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    demo.reset(tmp_path / "a.db", 20260301)
    demo.reset(tmp_path / "b.db", 20260301)
    demo.reset(tmp_path / "c.db", 7)
    assert _dump(tmp_path / "a.db") == _dump(tmp_path / "b.db")
    assert _dump(tmp_path / "a.db") != _dump(tmp_path / "c.db")
    a, c = (sbx_inspect.synced_ccos(tmp_path / n) for n in ("a.db", "c.db"))
    # Ids stay in their fixed ranges whatever the seed.
    assert a[0].id == c[0].id and a[0].company_id == SUMMIT_COMPANY_ID


def test_layout(tmp_path: Path) -> None:
    for seed in (20260301, 1, 99):
        path = tmp_path / f"{seed}.db"
        demo.reset(path, seed)
        summit = sbx_inspect.synced_ccos(path, SUMMIT_COMPANY_ID)
        assert len(summit) == 40
        assert len(sbx_inspect.unsynced_cco_ids(path, SUMMIT_COMPANY_ID)) == 10
        deleted = [c for c in summit if not c.in_quickbooks]
        assert 10 <= len(deleted) <= 16
        assert any(sbx_inspect.po_line_ids(path, c.po_txn_id) is None for c in deleted)
        assert any(sbx_inspect.po_line_ids(path, c.po_txn_id) is not None for c in deleted)
        # One CCO lost only part of its lines and so still counts as present.
        partial = [
            c
            for c in summit
            if c.in_quickbooks
            and not set(c.txn_line_ids) <= set(sbx_inspect.po_line_ids(path, c.po_txn_id) or [])
        ]
        assert len(partial) == 1
        for cco in summit:
            assert len(cco.number) <= 12 and len(cco.title) <= 30
            assert 1 <= len(cco.txn_line_ids) <= 3
            assert sbx_inspect.cco_link(path, cco.id)[0] == cco.txn_line_ids[0]
            assert sbx_inspect.line_links(path, cco.id) == list(cco.txn_line_ids)
            assert cco.id > 2**32
        assert len(sbx_inspect.project_ids(path, SUMMIT_COMPANY_ID)) == 5
        assert sbx_inspect.synced_ccos(path, HARBOR_COMPANY_ID)


def test_existing_file_is_reused_not_reseeded(sbx_factory: ServerFactory, tmp_path: Path) -> None:
    server = sbx_factory()
    cco = next(c for c in sbx_inspect.synced_ccos(server.config.data_file) if not c.in_quickbooks)
    with httpx.Client(base_url=server.base_url) as client:
        response = client.patch(
            f"/rest/v1.0/companies/{SUMMIT_COMPANY_ID}/external_data",
            json=[{"item_type": "change_order", "item_id": cco.id, "origin_id": None}],
            headers=auth_headers(client),
        )
        assert response.status_code == 200
    server.stop()
    again = sbx_factory()
    assert sbx_inspect.cco_link(again.config.data_file, cco.id) == (None, None)
    again.stop()
    demo.reset(again.config.data_file, again.config.seed)
    assert sbx_inspect.cco_link(again.config.data_file, cco.id)[0] == cco.txn_line_ids[0]
