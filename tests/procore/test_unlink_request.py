"""The unlink as the client sends it: Procore's ERP External Data Sync action, its item types, its
1,000-item chunks, and an `errors` entry under a 200 taken as the failure it is."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest
from msgspec.structs import replace

from sandbox import SandboxServer, inspect
from sandbox.demo import HARBOR_COMPANY_ID, SUMMIT_COMPANY_ID
from sandbox.inspect import DemoCco
from services.audit import AuditRecord
from services.backend import Backend
from services.errors import ProcoreItemsRefusedError
from services.models import CcoLineItem, OutcomeKind
from services.procore.auth import ClientCredentials
from services.procore.client import ProcoreClient
from tests.helpers import demo_cco_id, load_rows

Sent = list[tuple[str, str, object]]


def _client(sandbox: SandboxServer, sent: Sent) -> ProcoreClient:
    async def record(request: httpx.Request) -> None:
        if request.method == "PATCH":
            sent.append((request.method, request.url.path, json.loads(request.content)))

    http = httpx.AsyncClient(timeout=10.0, event_hooks={"request": [record]})
    return ProcoreClient(sandbox.base_url, ClientCredentials("admin", "sandbox"), http=http)


def _add_lines(data_file: Path, cco_id: int, count: int) -> None:
    """Give a CCO many more synced lines than one sync request may carry."""
    with sqlite3.connect(data_file) as conn:
        conn.executemany(
            "INSERT INTO cco_line_items (cco_id, position, description, amount_cents, origin_id)"
            " VALUES (?, ?, ?, ?, ?)",
            [(cco_id, 100 + n, f"extra {n}", 100, f"X-{n}") for n in range(count)],
        )


def _gone_cco(sandbox_data: Path) -> DemoCco:
    """A synced CCO already deleted in QuickBooks."""
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    return next(c for c in inspect.synced_ccos(sandbox_data) if c.id == cco_id)


async def test_the_unlink_marks_the_cco_and_each_line_unsynced_through_the_sync_action(
    sandbox: SandboxServer, sandbox_data: Path
) -> None:
    cco = _gone_cco(sandbox_data)
    cco_id = cco.id
    sent: Sent = []
    client = _client(sandbox, sent)
    state = await client.change_order(SUMMIT_COMPANY_ID, cco.project_id, cco_id)

    answer = await client.clear_links(SUMMIT_COMPANY_ID, state, idempotency_key="k")
    await client.aclose()

    assert answer.changed and answer.confirmed
    nulls = {"origin_id": None, "origin_code": None, "origin_data": None}
    assert sent == [
        (
            "PATCH",
            f"/rest/v1.0/companies/{SUMMIT_COMPANY_ID}/external_data/sync",
            {
                "updates": [
                    {"item_type": "change_order", "item_id": cco_id, **nulls},
                    *({"item_type": "line_item", "item_id": i, **nulls} for i in cco.line_item_ids),
                ]
            },
        )
    ]
    assert inspect.cco_link(sandbox_data, cco_id) == (None, None)
    assert set(inspect.line_links(sandbox_data, cco_id)) == {None}


async def test_a_cco_with_more_lines_than_one_request_takes_goes_in_chunks_of_1000(
    sandbox: SandboxServer, sandbox_data: Path
) -> None:
    cco = _gone_cco(sandbox_data)
    cco_id, project_id = cco.id, cco.project_id
    _add_lines(sandbox_data, cco_id, 1_500)
    sent: Sent = []
    client = _client(sandbox, sent)
    state = await client.change_order(SUMMIT_COMPANY_ID, project_id, cco_id)
    assert len(state.line_items) > 1_500

    answer = await client.clear_links(SUMMIT_COMPANY_ID, state)
    await client.aclose()

    sizes = [len(body["updates"]) for _, _, body in sent]  # type: ignore[index]
    assert sizes == [1_000, len(state.line_items) + 1 - 1_000]
    items = [(u["item_type"], u["item_id"]) for _, _, body in sent for u in body["updates"]]  # type: ignore[index]
    assert items[0] == ("change_order", cco_id)
    assert items[1:] == [("line_item", line.id) for line in state.line_items]
    assert answer.changed and answer.confirmed
    assert inspect.cco_link(sandbox_data, cco_id) == (None, None)
    assert set(inspect.line_links(sandbox_data, cco_id)) == {None}


async def test_an_item_listed_under_errors_fails_the_unlink_even_with_200(
    sandbox: SandboxServer, sandbox_data: Path
) -> None:
    cco = _gone_cco(sandbox_data)
    cco_id, project_id = cco.id, cco.project_id
    foreign_line = inspect.synced_ccos(sandbox_data, HARBOR_COMPANY_ID)[0].line_item_ids[0]
    client = _client(sandbox, [])
    state = await client.change_order(SUMMIT_COMPANY_ID, project_id, cco_id)
    # A line Procore does not know in this company: the sync action answers 200 with it under
    # `errors`.
    state = replace(state, line_items=(*state.line_items, CcoLineItem(foreign_line, "X")))

    with pytest.raises(ProcoreItemsRefusedError) as refused:
        await client.clear_links(SUMMIT_COMPANY_ID, state)
    await client.aclose()

    assert f"CCO {state.number}" in refused.value.message
    assert f"line_item {foreign_line}: Not Found" in refused.value.message


async def test_the_unlink_reports_an_errors_entry_as_a_failure_naming_the_cco(
    backend: Backend, sandbox: SandboxServer, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    rows = await load_rows(backend)
    # Procore processes the header but lists every line under `errors`, answering 200.
    sandbox.faults.refuse_line_items = True

    outcome = await backend.unlink(rows[cco_id])

    assert outcome.kind is OutcomeKind.PROCORE_FAILED
    assert outcome.message.startswith(f"Procore refused to unlink CCO {rows[cco_id].number}: ")
    assert "line_item" in outcome.message and "could not be marked unsynced" in outcome.message
    assert inspect.cco_link(sandbox_data, cco_id) == (None, None)
    assert None not in inspect.line_links(sandbox_data, cco_id)
    last = list(backend.audit.read())[-1]
    assert isinstance(last, AuditRecord) and last.outcome == "procore_failed"
