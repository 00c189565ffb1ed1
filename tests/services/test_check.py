"""Checking CCOs in QuickBooks Desktop changes nothing and names what QuickBooks still holds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cco_unlink import exit_codes
from sandbox import SandboxServer, inspect
from services import messages
from services.backend import Backend
from services.models import CheckKind, OutcomeKind, Presence
from tests.helpers import demo_cco_id, is_linked, load_rows
from tests.reliability.test_bad_input import SECRETS, _remote, cco_unlink


@pytest.mark.reads_only
async def test_a_cco_still_in_quickbooks_is_named_with_its_purchase_order_and_lines(
    backend: Backend, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    cco = (await load_rows(backend))[cco_id]
    assert cco.link is not None
    before = inspect.po_line_ids(sandbox_data, cco.link.po_txn_id)

    result = await backend.check(cco)

    assert result.kind is CheckKind.IN_QUICKBOOKS
    evidence = result.evidence
    assert evidence is not None and evidence.purchase_order is not None
    assert evidence.presence is Presence.PRESENT
    assert evidence.purchase_order.txn_id == cco.link.po_txn_id
    assert evidence.purchase_order.ref_number and evidence.purchase_order.vendor
    assert evidence.purchase_order.time_modified
    on_order = set(before or [])
    assert evidence.remaining == tuple(line for line in cco.link.txn_line_ids if line in on_order)
    assert f"still on PO {evidence.purchase_order.ref_number}" in result.message
    assert f"{len(evidence.remaining)} of its" in result.message
    # Read only: QuickBooks and Procore hold what they held.
    assert inspect.po_line_ids(sandbox_data, cco.link.po_txn_id) == before
    assert is_linked(sandbox_data, cco_id)


async def test_a_cco_gone_from_quickbooks_is_ready_and_stays_linked(
    backend: Backend, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    result = await backend.check((await load_rows(backend))[cco_id])
    assert result.kind is CheckKind.GONE
    assert result.evidence is not None and not result.evidence.remaining
    assert "Ready to unlink" in result.message
    assert is_linked(sandbox_data, cco_id)


async def test_quickbooks_closed_is_not_gone(
    backend: Backend, sandbox: SandboxServer, sandbox_data: Path
) -> None:
    cco = (await load_rows(backend))[demo_cco_id(sandbox_data, in_quickbooks=False)]
    sandbox.faults.quickbooks_closed_percent = 100
    result = await backend.check(cco)
    assert result.kind is CheckKind.UNKNOWN
    assert result.evidence is None
    assert "could not be asked" in result.message


async def test_the_refusal_names_the_purchase_order_and_the_lines_left(
    backend: Backend, sandbox_data: Path
) -> None:
    cco = (await load_rows(backend))[demo_cco_id(sandbox_data, in_quickbooks=True)]
    outcome = await backend.unlink(cco)
    assert outcome.kind is OutcomeKind.STILL_IN_QUICKBOOKS
    assert outcome.message == messages.STILL_IN_QUICKBOOKS  # the exact words stay first
    assert outcome.quickbooks is not None and outcome.quickbooks.purchase_order is not None
    text = messages.outcome_text(outcome)
    first, second = text.split("\n")
    assert first == messages.STILL_IN_QUICKBOOKS
    ref = outcome.quickbooks.purchase_order.ref_number
    count = len(outcome.quickbooks.remaining)
    assert second.startswith(f"{count} of its ") and f"still on PO {ref}" in second


def test_the_check_command_exits_0_when_all_are_gone_and_3_when_any_is_there(
    sandbox: SandboxServer, sandbox_data: Path
) -> None:
    synced = inspect.synced_ccos(sandbox_data)
    gone = next(c for c in synced if not c.in_quickbooks)
    there = next(c for c in synced if c.in_quickbooks)

    def check(project: int, *ccos: int) -> tuple[int, list[dict[str, object]]]:
        arguments = [item for cco in ccos for item in ("--cco", str(cco))]
        ran = cco_unlink(
            *_remote(sandbox), "check", "--project", str(project), *arguments, "--json",
            env=SECRETS,
        )  # fmt: skip
        return ran.returncode, [json.loads(line) for line in ran.stdout.splitlines()]

    status, objects = check(gone.project_id, gone.id)
    assert (status, [o["result"] for o in objects]) == (exit_codes.OK, ["gone"])
    # Without --cco: every synced CCO of the project, one line each.
    status, objects = check(there.project_id)
    in_project = {c.id for c in synced if c.project_id == there.project_id}
    assert {o["cco_id"] for o in objects} == in_project
    assert status == exit_codes.STILL_IN_QUICKBOOKS
    still = next(o for o in objects if o["cco_id"] == there.id)
    assert still["result"] == "in_quickbooks" and still["exit_code"] == 3
    evidence = still["quickbooks"]
    assert isinstance(evidence, dict) and evidence["lines_remaining"]
    assert isinstance(evidence["purchase_order"], dict) and evidence["purchase_order"]["vendor"]
    assert is_linked(sandbox_data, gone.id) and is_linked(sandbox_data, there.id)


async def test_the_check_asks_the_unlinks_question_a_wrong_purchase_order_is_not_gone(
    backend: Backend, sandbox_data: Path
) -> None:
    """origin_data names a TxnID QuickBooks never heard of: "not found" would read as "gone",
    but the CCO's lines are on its commitment's real purchase order. The check, like the unlink,
    cannot tell."""
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    cco = (await load_rows(backend))[cco_id]
    wrong = json.dumps({"po_txn_id": "DEAD-0000000001", "txn_line_ids": list(cco.txn_line_ids)})
    with sqlite3.connect(sandbox_data) as conn:
        conn.execute("UPDATE ccos SET origin_data = ? WHERE id = ?", (wrong, cco_id))

    result = await backend.check(cco)

    assert result.kind is CheckKind.UNKNOWN and result.evidence is None
    assert "DEAD-0000000001" in result.message
    assert (await backend.unlink(cco)).kind is OutcomeKind.CANNOT_TELL
