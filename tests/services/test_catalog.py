"""The list: every synced CCO of the company, none unsynced, none of another company."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import inspect
from services.backend import Backend
from tests.helpers import load_rows

pytestmark = pytest.mark.reads_only  # every test here only reads the sandbox


async def test_the_list_holds_exactly_the_companys_synced_ccos(
    backend: Backend, sandbox_data: Path
) -> None:
    user, company = await backend.connect()
    rows = await load_rows(backend)

    expected = {c.id for c in inspect.synced_ccos(sandbox_data) if c.company_id == company.id}
    assert user.login == "admin"
    assert set(rows) == expected
    assert len(rows) >= 20


async def test_rows_carry_what_the_screen_shows(backend: Backend, sandbox_data: Path) -> None:
    rows = await load_rows(backend)
    demo = {c.id: c for c in inspect.synced_ccos(sandbox_data)}
    for cco in rows.values():
        assert cco.project_name and cco.commitment_number and cco.vendor
        assert cco.number and cco.title and cco.synced_at is not None
        assert cco.amount == cco.amount.quantize(cco.amount.__class__("0.01"))
        assert cco.link is not None
        assert cco.link.po_txn_id == demo[cco.id].po_txn_id
        assert list(cco.link.txn_line_ids) == list(demo[cco.id].txn_line_ids)
        assert cco.po_reference


async def test_progress_counts_projects_and_rows(backend: Backend) -> None:
    progress = [p async for _, p in backend.synced_ccos()]
    assert progress[-1].projects_done == progress[-1].projects_total >= 3
    # First the projects' list (nothing done yet), then one step per project.
    assert [p.projects_done for p in progress] == list(range(len(progress)))
    assert progress[0].requests_left is None and progress[-1].requests_left == 0
    assert progress[-1].rows == sum(1 for _ in await _all(backend))


async def _all(backend: Backend) -> list[object]:
    return [cco async for batch, _ in backend.synced_ccos() for cco in batch]
