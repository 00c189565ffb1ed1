"""A big company seeded fast, loaded whole; and a load kept inside a tight rate limit."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from sandbox import SandboxConfig, SandboxServer, bulk_seed, inspect
from services.backend import Backend, Target
from tests.clock import JumpingClock
from tests.helpers import load_rows


def _target(server: SandboxServer, tmp_path: Path, **changes: object) -> Target:
    values: dict[str, object] = {
        "procore_url": server.base_url,
        "connector_url": server.connector_url,
        "client_id": "admin",
        "client_secret": "sandbox",
        "connector_token": "sandbox",
        "company_id": 0,
        "audit_path": tmp_path / "audit.jsonl",
        "is_sandbox": True,
    }
    values.update(changes)
    return Target(**values)  # type: ignore[arg-type]


async def test_a_bulk_company_loads_every_synced_cco(tmp_path: Path) -> None:
    data = tmp_path / "bulk.sqlite3"
    started = time.perf_counter()
    bulk_seed.reset_bulk(data, projects=12, ccos_per_project=25)
    assert time.perf_counter() - started < 10
    demo = inspect.synced_ccos(data)
    assert len(demo) == 300
    assert sum(1 for cco in demo if not cco.in_quickbooks) == 300 // bulk_seed.DELETED_EVERY

    with SandboxServer(SandboxConfig(data_file=data), port=0) as server:
        backend = Backend(_target(server, tmp_path, per_page=10))
        try:
            rows = await load_rows(backend)
        finally:
            await backend.aclose()
    assert set(rows) == {cco.id for cco in demo}
    assert all(cco.vendor and cco.project_name and cco.link for cco in rows.values())


async def test_a_load_needing_more_requests_than_the_limit_waits_instead_of_a_429(
    make_target: Callable[..., Target], sandbox_data: Path, tmp_path: Path
) -> None:
    """The demo load takes about 18 requests; the limit allows 12 per 10 s."""
    clock = JumpingClock()
    config = SandboxConfig(data_file=sandbox_data, rate_limit_per_10s=12, clock=clock.time)
    with SandboxServer(config, port=0) as server:
        backend = Backend(_target(server, tmp_path), clock)
        try:
            rows = await load_rows(backend)
            wire = backend.wire
        finally:
            await backend.aclose()
    assert wire.requests > 12
    assert wire.rate_limited == 0
    assert clock.waited >= 1.0  # it held back until the window had room
    assert set(rows) == {c.id for c in inspect.synced_ccos(sandbox_data) if c.company_id == 5200001}


def test_a_bulk_company_can_run_some_projects_outside_quickbooks(tmp_path: Path) -> None:
    data = tmp_path / "bulk.sqlite3"
    bulk_seed.reset_bulk(data, projects=10, ccos_per_project=4, synced_share=0.3)
    with sqlite3.connect(data) as conn:
        synced_projects = {
            pid for (pid,) in conn.execute("SELECT id FROM projects WHERE origin_id IS NOT NULL")
        }
        unsynced_commitments = conn.execute(
            "SELECT COUNT(*) FROM commitments k JOIN projects p ON p.id = k.project_id"
            " WHERE p.origin_id IS NULL AND k.origin_id IS NOT NULL"
        ).fetchone()[0]
    assert len(synced_projects) == 3
    assert unsynced_commitments == 0
    synced = inspect.synced_ccos(data)
    assert {cco.project_id for cco in synced} == synced_projects
    assert len(synced) == 3 * 4
    assert len(inspect.unsynced_cco_ids(data)) == 7 * 4
