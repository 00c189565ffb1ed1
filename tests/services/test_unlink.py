"""The domain rules, pinned one by one against the sandbox served over loopback."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox import SandboxServer, inspect
from services import messages
from services.audit import AuditLog, AuditRecord
from services.backend import Backend, Target
from services.models import OutcomeKind, Permission
from tests.helpers import demo_cco_id, is_linked, load_rows


async def test_unlink_clears_the_link_on_the_cco_and_every_line_when_gone_from_quickbooks(
    backend: Backend, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    assert is_linked(sandbox_data, cco_id)
    rows = await load_rows(backend)

    outcome = await backend.unlink(rows[cco_id])

    assert outcome.kind is OutcomeKind.UNLINKED
    assert outcome.message == "Successfully Unlinked"
    assert inspect.cco_link(sandbox_data, cco_id) == (None, None)
    assert inspect.line_links(sandbox_data, cco_id)
    assert all(line is None for line in inspect.line_links(sandbox_data, cco_id))
    assert cco_id not in await load_rows(backend)


async def test_a_cco_still_in_quickbooks_is_refused_and_nothing_changes(
    backend: Backend, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    before = (inspect.cco_link(sandbox_data, cco_id), inspect.line_links(sandbox_data, cco_id))
    rows = await load_rows(backend)

    outcome = await backend.unlink(rows[cco_id])

    assert outcome.kind is OutcomeKind.STILL_IN_QUICKBOOKS
    assert outcome.message == (
        "The CCO is still in QuickBooks® Desktop. Please delete it before retrying"
    )
    after = (inspect.cco_link(sandbox_data, cco_id), inspect.line_links(sandbox_data, cco_id))
    assert after == before


async def test_deleting_in_quickbooks_first_lets_the_unlink_through(
    backend: Backend, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    cco = (await load_rows(backend))[cco_id]
    assert cco.link is not None

    assert (await backend.unlink(cco)).kind is OutcomeKind.STILL_IN_QUICKBOOKS
    assert await backend.delete_in_quickbooks(cco) == messages.QUICKBOOKS_LINES_DELETED
    remaining = inspect.po_line_ids(sandbox_data, cco.link.po_txn_id) or []
    assert not set(cco.link.txn_line_ids) & set(remaining)
    assert (await backend.unlink(cco)).kind is OutcomeKind.UNLINKED
    assert not is_linked(sandbox_data, cco_id)


@pytest.mark.parametrize(
    ("user", "missing", "named"),
    [
        ("not-commitments-admin", Permission.COMMITMENTS_ADMIN, "Commitments tool"),
        ("erp-read-only", Permission.ERP_INTEGRATIONS, "ERP Integrations tool"),
        ("no-push", Permission.CAN_PUSH_TO_ACCOUNTING, "'Can Push to Accounting'"),
    ],
)
async def test_each_missing_permission_is_named_and_nothing_changes(
    make_target: Callable[..., Target],
    sandbox_data: Path,
    user: str,
    missing: Permission,
    named: str,
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    backend = Backend(make_target(user))
    try:
        cco = (await load_rows(backend))[cco_id]
        outcome = await backend.unlink(cco)
    finally:
        await backend.aclose()

    assert outcome.kind is OutcomeKind.PERMISSION_MISSING
    assert outcome.missing == (missing,)
    assert named in outcome.message
    assert "Nothing was changed" in outcome.message
    # As the article says, only Procore grants the privilege, through the company's contact.
    on_request = "Procore point of contact" in outcome.message
    assert on_request is (missing is Permission.CAN_PUSH_TO_ACCOUNTING)
    assert is_linked(sandbox_data, cco_id)


@pytest.mark.parametrize("fault", ["quickbooks_closed", "connector_garbage"])
async def test_quickbooks_that_cannot_be_asked_fails_closed(
    backend: Backend, sandbox: SandboxServer, sandbox_data: Path, fault: str
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    cco = (await load_rows(backend))[cco_id]
    setattr(sandbox.faults, fault, True)

    outcome = await backend.unlink(cco)

    assert outcome.kind is OutcomeKind.QUICKBOOKS_UNREACHABLE
    assert outcome.message.startswith(
        "QuickBooks® Desktop could not be reached, so nothing was changed."
    )
    assert is_linked(sandbox_data, cco_id)


async def test_a_dead_connector_fails_closed(
    make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    backend = Backend(make_target(connector_url="http://127.0.0.1:9/quickbooks/qbxml"))
    try:
        outcome = await backend.unlink((await load_rows(backend))[cco_id])
    finally:
        await backend.aclose()
    assert outcome.kind is OutcomeKind.QUICKBOOKS_UNREACHABLE
    assert is_linked(sandbox_data, cco_id)


async def test_a_slow_quickbooks_times_out_and_fails_closed(
    make_target: Callable[..., Target], sandbox: SandboxServer, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    backend = Backend(make_target(quickbooks_timeout=0.3))
    try:
        cco = (await load_rows(backend))[cco_id]
        sandbox.faults.connector_delay_s = 2.0
        outcome = await backend.unlink(cco)
    finally:
        await backend.aclose()
    assert outcome.kind is OutcomeKind.QUICKBOOKS_UNREACHABLE
    assert "did not answer in time" in outcome.message
    assert is_linked(sandbox_data, cco_id)


async def test_a_second_unlink_is_told_the_cco_is_already_unlinked(
    backend: Backend, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    cco = (await load_rows(backend))[cco_id]
    assert (await backend.unlink(cco)).kind is OutcomeKind.UNLINKED

    again = await backend.unlink(cco)

    assert again.kind is OutcomeKind.ALREADY_UNLINKED
    assert again.message == messages.ALREADY_UNLINKED


async def test_every_attempt_is_in_the_audit_log(
    backend: Backend, sandbox_data: Path, tmp_path: Path
) -> None:
    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    present = demo_cco_id(sandbox_data, in_quickbooks=True)
    rows = await load_rows(backend)
    await backend.unlink(rows[gone])
    await backend.unlink(rows[present])

    records = list(AuditLog(tmp_path / "audit.jsonl").read())
    assert all(isinstance(r, AuditRecord) for r in records)
    # The unlink sent a change: its attempt was on disk before, its outcome after, one key.
    # The refusal sent nothing: one line.
    assert [(r.phase, r.outcome) for r in records] == [  # type: ignore[union-attr]
        ("started", ""),
        ("ended", "unlinked"),
        ("ended", "still_in_quickbooks"),
    ]
    started, first, refused = records
    assert isinstance(started, AuditRecord) and isinstance(first, AuditRecord)
    assert isinstance(refused, AuditRecord)
    assert started.attempt and started.attempt == first.attempt and not refused.attempt
    assert (started.user, started.user_id) == (first.user, first.user_id)
    assert first.user_id > 0
    assert (first.user, first.cco_id, first.project_id) == ("admin", gone, rows[gone].project_id)
    assert first.company_id == rows[gone].company_id
    assert "not in QuickBooks" in first.evidence or "none of line" in first.evidence
    assert (tmp_path / "audit.jsonl").stat().st_mode & 0o777 == 0o600
    for line in (tmp_path / "audit.jsonl").read_text().splitlines():
        assert "sandbox" not in json.loads(line).values()


def test_a_torn_last_line_is_reported_and_the_rest_still_read(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    record = AuditRecord(AuditRecord.now(), "admin", 1, 2, 3, "001", "e", "unlinked", "ok")
    log.append(record)
    with (tmp_path / "audit.jsonl").open("a") as handle:
        handle.write('{"time": "2026-')
    entries = list(log.read())
    assert entries[0] == record
    assert entries[1].line_number == 2  # type: ignore[union-attr]


async def test_a_fresh_record_that_no_longer_says_where_the_cco_is_fails_closed(
    backend: Backend, sandbox_data: Path
) -> None:
    """The list was read while origin_data was readable; by the unlink it is not. The list's old
    copy must not stand in for what Procore holds now."""
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    cco = (await load_rows(backend))[cco_id]
    assert cco.link is not None
    with sqlite3.connect(sandbox_data) as conn:
        conn.execute("UPDATE ccos SET origin_data = 'not json' WHERE id = ?", (cco_id,))

    outcome = await backend.unlink(cco)

    assert outcome.kind is OutcomeKind.QUICKBOOKS_UNREACHABLE
    assert outcome.message == messages.NO_QUICKBOOKS_LOCATION
    assert is_linked(sandbox_data, cco_id)


async def test_an_unlink_answered_ok_but_not_applied_is_never_reported_as_success(
    backend: Backend, sandbox: SandboxServer, sandbox_data: Path
) -> None:
    """A broken proxy or server answers the change 200 with nothing in it and applies nothing:
    reading the CCO back tells the truth."""
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    cco = (await load_rows(backend))[cco_id]
    sandbox.faults.fake_change_success = True

    outcome = await backend.unlink(cco)

    assert outcome.kind is OutcomeKind.OUTCOME_UNKNOWN
    assert outcome.message == messages.STILL_LINKED_AFTER_UNLINK
    assert is_linked(sandbox_data, cco_id)


async def test_every_line_the_unlink_would_clear_is_checked_in_quickbooks(
    backend: Backend, sandbox_data: Path
) -> None:
    """origin_data names one line; a second line item carries its own TxnLineID, still on the
    purchase order. The unlink clears both, so both are checked, and it is refused."""
    cco = next(
        c
        for c in inspect.synced_ccos(sandbox_data)
        if c.in_quickbooks
        and len(c.txn_line_ids) >= 2
        and set(c.txn_line_ids) <= set(inspect.po_line_ids(sandbox_data, c.po_txn_id) or [])
    )
    first, *_ = cco.txn_line_ids
    with sqlite3.connect(sandbox_data) as conn:
        data = json.dumps({"po_txn_id": cco.po_txn_id, "txn_line_ids": [first]})
        conn.execute("UPDATE ccos SET origin_data = ? WHERE id = ?", (data, cco.id))
        conn.execute("DELETE FROM qb_po_lines WHERE txn_line_id = ?", (first,))
    rows = await load_rows(backend)

    outcome = await backend.unlink(rows[cco.id])

    assert outcome.kind is OutcomeKind.STILL_IN_QUICKBOOKS
    assert is_linked(sandbox_data, cco.id)
