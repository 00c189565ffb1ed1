"""Fail closed on identity: "purchase order not found" counts only for the purchase order the
CCO's commitment is exported as, read fresh; no change goes out unless who acts is known and the
audit log can take the attempt."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from sandbox import inspect
from services.audit import AuditLog, AuditRecord
from services.backend import Backend, Target
from services.models import OutcomeKind, User
from tests.helpers import demo_cco_id, is_linked, load_rows


def _commitment_of(data_file: Path, cco_id: int) -> int:
    with sqlite3.connect(data_file) as conn:
        return int(
            conn.execute("SELECT contract_id FROM ccos WHERE id = ?", (cco_id,)).fetchone()[0]
        )


def _sql(data_file: Path, statement: str, *values: object) -> None:
    with sqlite3.connect(data_file) as conn:
        conn.execute(statement, values)


async def test_a_cco_naming_a_purchase_order_that_does_not_exist_is_not_unlinked(
    backend: Backend, sandbox_data: Path, tmp_path: Path
) -> None:
    """The reported unsafe unlink: origin_data names a TxnID QuickBooks has never heard of, so
    QuickBooks answers "not found", while the CCO's lines are still on its real purchase order."""
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    cco = (await load_rows(backend))[cco_id]
    assert cco.link is not None
    wrong = json.dumps(
        {"po_txn_id": "DEAD-0000000001", "txn_line_ids": list(cco.link.txn_line_ids)}
    )
    _sql(sandbox_data, "UPDATE ccos SET origin_data = ? WHERE id = ?", wrong, cco_id)
    before = inspect.po_line_ids(sandbox_data, cco.link.po_txn_id)

    outcome = await backend.unlink(cco)

    assert outcome.kind is OutcomeKind.CANNOT_TELL
    assert "DEAD-0000000001" in outcome.message and cco.link.po_txn_id in outcome.message
    assert "Nothing was changed" in outcome.message
    assert is_linked(sandbox_data, cco_id)
    assert inspect.po_line_ids(sandbox_data, cco.link.po_txn_id) == before
    [record] = [r for r in AuditLog(tmp_path / "audit.jsonl").read() if isinstance(r, AuditRecord)]
    assert record.outcome == "cannot_tell" and not record.attempt  # nothing was sent


async def test_a_commitment_without_its_purchase_order_is_cannot_tell(
    backend: Backend, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    cco = (await load_rows(backend))[cco_id]
    commitment = _commitment_of(sandbox_data, cco_id)
    _sql(sandbox_data, "UPDATE commitments SET origin_id = NULL WHERE id = ?", commitment)

    outcome = await backend.unlink(cco)

    assert outcome.kind is OutcomeKind.CANNOT_TELL
    assert "not linked to a purchase order" in outcome.message
    assert is_linked(sandbox_data, cco_id)


async def test_an_unwritable_audit_log_refuses_before_anything_is_sent(
    make_target: Callable[..., Target], sandbox_data: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the audit log's folder should be")
    backend = Backend(dataclasses.replace(make_target(), audit_path=blocker / "audit.jsonl"))
    try:
        cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
        cco = (await load_rows(backend))[cco_id]
        sent_before = backend.wire.requests

        outcome = await backend.unlink(cco)

        assert backend.wire.requests == sent_before  # not even a read went out
    finally:
        await backend.aclose()
    assert outcome.kind is OutcomeKind.REFUSED
    assert str(blocker / "audit.jsonl") in outcome.message and "nothing was sent" in outcome.message
    assert is_linked(sandbox_data, cco_id)


async def test_no_change_goes_out_for_someone_procore_does_not_name(
    backend: Backend, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    cco = (await load_rows(backend))[cco_id]
    assert backend.company is not None
    for nobody in (User(id=0, login="admin", name=""), User(id=42, login="", name="")):
        unlinker = backend.connections.unlinker(backend.audit, nobody, backend.company.id)

        outcome = await unlinker.unlink(cco)

        assert outcome.kind is OutcomeKind.REFUSED
        assert "did not say who you are" in outcome.message
    assert is_linked(sandbox_data, cco_id)
