"""Step 1 of the fix in QuickBooks: the CCO's lines leave its purchase order through a Mod with
the order's current EditSequence (or the order goes, when they are all it has), only as confirmed,
retried once on a stale EditSequence, "try again later" when in use, and audited like an unlink."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from sandbox import SandboxServer, inspect
from services import messages
from services.audit import AuditRecord, Phase, QuickBooksDeleted
from services.backend import Backend, Target
from services.errors import (
    AuditUnwritableError,
    QuickBooksChangedError,
    QuickBooksError,
    QuickBooksInUseError,
    QuickBooksNotSentError,
    QuickBooksReplyError,
)
from services.models import OutcomeKind, QuickBooksLink, SyncedCco
from services.quickbooks import qbxml
from services.quickbooks.deletion import DeletePlan, link_in_evidence
from tests.helpers import demo_cco_id, load_rows

Exchange = Callable[[bytes], Awaitable[bytes]]


def _sent(
    backend: Backend, schema: Any, rewrite: Callable[[bytes, bytes], bytes] | None = None
) -> list[bytes]:
    """Record every qbXML document the client sends (each checked against the schema); a
    `rewrite` may change what QuickBooks seems to answer."""
    connector = backend.quickbooks
    real: Exchange = connector._exchange
    documents: list[bytes] = []

    async def recording(document: bytes) -> bytes:
        assert schema.validate(etree.fromstring(document)), schema.error_log
        documents.append(document)
        answer = await real(document)
        return rewrite(document, answer) if rewrite else answer

    connector._exchange = recording  # type: ignore[method-assign]
    return documents


def _mod_refused(document: bytes, status: int, said: str) -> bytes:
    """QuickBooks' answer refusing the Mod in `document` with `status`: nothing changed."""
    request_id = etree.fromstring(document).find(".//PurchaseOrderModRq").get("requestID")
    return (
        '<?xml version="1.0"?><QBXML><QBXMLMsgsRs>'
        f'<PurchaseOrderModRs requestID="{request_id}" statusCode="{status}" '
        f'statusSeverity="Error" statusMessage="{said}"/>'
        "</QBXMLMsgsRs></QBXML>"
    ).encode()


def _kinds(documents: list[bytes]) -> list[str]:
    return [etree.fromstring(d).find("QBXMLMsgsRq")[0].tag for d in documents]


def _in_quickbooks(backend_rows: dict[int, SyncedCco], data: Path) -> SyncedCco:
    cco = backend_rows[demo_cco_id(data, in_quickbooks=True)]
    assert cco.link is not None
    return cco


def _audit(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_the_ccos_lines_go_by_a_mod_with_the_current_edit_sequence_and_are_audited(
    backend: Backend, sandbox_data: Path, qbxml_schema: Any
) -> None:
    cco = _in_quickbooks(await load_rows(backend), sandbox_data)
    assert cco.link is not None
    po = cco.link.po_txn_id
    plan = await backend.plan_quickbooks_delete(cco)
    assert plan is not None and not plan.whole_order
    assert plan.po_name == inspect.po_ref_number(sandbox_data, po)
    assert set(plan.line_ids) == set(cco.link.txn_line_ids) & set(
        inspect.po_line_ids(sandbox_data, po) or []
    )
    assert plan.amount > 0
    edit_sequence = inspect.po_edit_sequence(sandbox_data, po)
    documents = _sent(backend, qbxml_schema)

    assert await backend.delete_in_quickbooks(cco, plan) == messages.QUICKBOOKS_LINES_DELETED

    assert _kinds(documents) == ["PurchaseOrderQueryRq", "PurchaseOrderModRq"]
    mod = etree.fromstring(documents[1])
    assert mod.findtext(".//EditSequence") == edit_sequence
    kept = [e.text for e in mod.iterfind(".//PurchaseOrderLineMod/TxnLineID")]
    assert kept == list(plan.keep_line_ids)
    assert inspect.po_line_ids(sandbox_data, po) == kept
    started, ended = _audit(backend.audit.path)
    assert (started["action"], started["phase"]) == ("quickbooks_delete", "started")
    assert (ended["phase"], ended["outcome"]) == ("ended", "deleted_in_quickbooks")
    assert ended["attempt"] == started["attempt"]
    assert plan.po_name in ended["evidence"] and f"{plan.amount:,.2f}" in ended["evidence"]


async def _only_the_ccos_lines_left(sandbox: SandboxServer, data: Path, cco: SyncedCco) -> None:
    """Someone deletes the order's other lines in QuickBooks."""
    assert cco.link is not None
    po = cco.link.po_txn_id
    keep = tuple(
        line for line in inspect.po_line_ids(data, po) or [] if line in cco.link.txn_line_ids
    )
    edit_sequence = inspect.po_edit_sequence(data, po)
    assert edit_sequence and keep
    reply = httpx.post(
        sandbox.connector_url,
        content=qbxml.purchase_order_mod(po, edit_sequence, keep, "99"),
        headers={"Authorization": "Bearer sandbox"},
    )
    assert 'statusCode="0"' in reply.text


async def test_when_the_ccos_lines_are_all_the_order_has_the_order_is_deleted(
    backend: Backend, sandbox: SandboxServer, sandbox_data: Path, qbxml_schema: Any
) -> None:
    cco = _in_quickbooks(await load_rows(backend), sandbox_data)
    assert cco.link is not None
    await _only_the_ccos_lines_left(sandbox, sandbox_data, cco)
    plan = await backend.plan_quickbooks_delete(cco)
    assert plan is not None and plan.whole_order
    documents = _sent(backend, qbxml_schema)

    assert await backend.delete_in_quickbooks(cco, plan) == messages.QUICKBOOKS_ORDER_DELETED

    assert _kinds(documents) == ["PurchaseOrderQueryRq", "TxnDelRq"]
    assert etree.fromstring(documents[1]).findtext(".//TxnDelType") == "PurchaseOrder"
    assert inspect.po_line_ids(sandbox_data, cco.link.po_txn_id) is None


async def test_an_order_that_changed_since_the_confirmation_is_left_alone(
    backend: Backend, sandbox: SandboxServer, sandbox_data: Path
) -> None:
    cco = _in_quickbooks(await load_rows(backend), sandbox_data)
    assert cco.link is not None
    plan = await backend.plan_quickbooks_delete(cco)
    assert plan is not None and not plan.whole_order
    await _only_the_ccos_lines_left(sandbox, sandbox_data, cco)  # it would now take the order

    with pytest.raises(QuickBooksChangedError):
        await backend.delete_in_quickbooks(cco, plan)
    assert inspect.po_line_ids(sandbox_data, cco.link.po_txn_id)
    assert _audit(backend.audit.path)[-1]["outcome"] == "not_deleted_in_quickbooks"


def _reprice_a_line(sandbox: SandboxServer, data: Path, po: str, line_id: str, amount: str) -> None:
    """Someone changes one line's amount in QuickBooks, keeping every line."""
    edit_sequence = inspect.po_edit_sequence(data, po)
    lines = tuple(inspect.po_line_ids(data, po) or [])
    assert edit_sequence and line_id in lines
    line = f"<TxnLineID>{line_id}</TxnLineID>"
    mod = qbxml.purchase_order_mod(po, edit_sequence, lines, "97").decode()
    assert mod.count(line) == 1
    reply = httpx.post(
        sandbox.connector_url,
        content=mod.replace(line, f"{line}<Amount>{amount}</Amount>").encode(),
        headers={"Authorization": "Bearer sandbox"},
    )
    assert 'statusCode="0"' in reply.text


async def test_an_order_whose_lines_changed_amount_since_the_confirmation_is_left_alone(
    backend: Backend, sandbox: SandboxServer, sandbox_data: Path
) -> None:
    """The person confirmed the lines for the amount shown: the same lines, now for another
    amount, are not what they confirmed."""
    cco = _in_quickbooks(await load_rows(backend), sandbox_data)
    assert cco.link is not None
    po = cco.link.po_txn_id
    plan = await backend.plan_quickbooks_delete(cco)
    assert plan is not None
    _reprice_a_line(sandbox, sandbox_data, po, plan.line_ids[0], f"{plan.line_amounts[0] + 1000}")
    now = await backend.plan_quickbooks_delete(cco)
    assert now is not None and now.line_ids == plan.line_ids  # the case met: only an amount
    assert now.amount == plan.amount + 1000
    lines_before = inspect.po_line_ids(sandbox_data, po)

    with pytest.raises(QuickBooksChangedError):
        await backend.delete_in_quickbooks(cco, plan)

    assert inspect.po_line_ids(sandbox_data, po) == lines_before
    assert _audit(backend.audit.path)[-1]["outcome"] == "not_deleted_in_quickbooks"
    # Confirmed as it is now, it goes.
    assert await backend.delete_in_quickbooks(cco, now) == messages.QUICKBOOKS_LINES_DELETED


async def test_a_stale_edit_sequence_is_read_again_and_tried_once_more(
    backend: Backend, sandbox: SandboxServer, sandbox_data: Path, qbxml_schema: Any
) -> None:
    cco = _in_quickbooks(await load_rows(backend), sandbox_data)
    assert cco.link is not None
    po = cco.link.po_txn_id
    plan = await backend.plan_quickbooks_delete(cco)
    assert plan is not None
    saved_meanwhile = []

    def someone_saves_the_order_first(document: bytes, answer: bytes) -> bytes:
        if b"PurchaseOrderQueryRq" in document and not saved_meanwhile:
            # Between our read and our Mod, someone saves the order (a new EditSequence).
            edit_sequence = inspect.po_edit_sequence(sandbox_data, po)
            assert edit_sequence
            lines = tuple(inspect.po_line_ids(sandbox_data, po) or [])
            httpx.post(
                sandbox.connector_url,
                content=qbxml.purchase_order_mod(po, edit_sequence, lines, "98"),
                headers={"Authorization": "Bearer sandbox"},
            )
            saved_meanwhile.append(inspect.po_edit_sequence(sandbox_data, po))
        return answer

    documents = _sent(backend, qbxml_schema, someone_saves_the_order_first)
    assert await backend.delete_in_quickbooks(cco, plan) == messages.QUICKBOOKS_LINES_DELETED
    assert _kinds(documents) == [
        "PurchaseOrderQueryRq",
        "PurchaseOrderModRq",  # answered 3200
        "PurchaseOrderQueryRq",
        "PurchaseOrderModRq",
    ]
    assert etree.fromstring(documents[3]).findtext(".//EditSequence") == saved_meanwhile[0]
    assert not set(cco.link.txn_line_ids) & set(inspect.po_line_ids(sandbox_data, po) or [])


@pytest.mark.parametrize("status", [3170, 3175, 3180])
async def test_an_order_in_use_is_try_again_later_and_nothing_changes(
    backend: Backend, sandbox_data: Path, status: int
) -> None:
    cco = _in_quickbooks(await load_rows(backend), sandbox_data)
    assert cco.link is not None
    before = inspect.po_line_ids(sandbox_data, cco.link.po_txn_id)
    plan = await backend.plan_quickbooks_delete(cco)

    # The Mod is answered "in use" here, so the sandbox never applies it.
    connector = backend.quickbooks
    real = connector._exchange

    async def refuse_mods(document: bytes) -> bytes:
        if b"PurchaseOrderModRq" in document:
            return _mod_refused(document, status, "The record is in use by another user.")
        return await real(document)

    connector._exchange = refuse_mods  # type: ignore[method-assign]
    with pytest.raises(QuickBooksInUseError) as raised:
        await backend.delete_in_quickbooks(cco, plan)
    assert "try again later" in raised.value.message
    assert inspect.po_line_ids(sandbox_data, cco.link.po_txn_id) == before
    assert _audit(backend.audit.path)[-1]["outcome"] == "not_deleted_in_quickbooks"


async def test_a_real_company_deletes_only_when_allowed(
    make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    refused = Backend(make_target(is_sandbox=False))
    allowed = Backend(make_target(is_sandbox=False, allow_quickbooks_delete=True))
    try:
        cco = _in_quickbooks(await load_rows(refused), sandbox_data)
        assert not refused.can_delete_in_quickbooks and allowed.can_delete_in_quickbooks
        for attempt in (refused.plan_quickbooks_delete(cco), refused.delete_in_quickbooks(cco)):
            with pytest.raises(QuickBooksError) as raised:
                await attempt
            assert "allow_delete = true" in raised.value.message
        assert not refused.audit.path.exists()
        # Allowed, a real company's deletion still goes only as a person confirmed it.
        with pytest.raises(QuickBooksError) as raised:
            await allowed.delete_in_quickbooks(cco)
        assert raised.value.message == messages.QUICKBOOKS_DELETE_UNCONFIRMED
        assert not allowed.audit.path.exists()
        assert cco.link is not None
        assert set(cco.link.txn_line_ids) <= set(
            inspect.po_line_ids(sandbox_data, cco.link.po_txn_id) or []
        )
        plan = await allowed.plan_quickbooks_delete(cco)
        assert await allowed.delete_in_quickbooks(cco, plan) == messages.QUICKBOOKS_LINES_DELETED
    finally:
        await refused.aclose()
        await allowed.aclose()


async def test_a_failed_delete_whose_end_cannot_be_audited_says_so(
    backend: Backend, sandbox: SandboxServer, sandbox_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cco = _in_quickbooks(await load_rows(backend), sandbox_data)
    plan = await backend.plan_quickbooks_delete(cco)
    assert plan is not None and not plan.whole_order
    await _only_the_ccos_lines_left(sandbox, sandbox_data, cco)
    audit = backend.audit
    write = audit.append

    def the_end_cannot_be_written(record: AuditRecord) -> None:
        if record.phase == Phase.ENDED.value:
            raise AuditUnwritableError(str(audit.path), "No space left on device")
        write(record)

    monkeypatch.setattr(audit, "append", the_end_cannot_be_written)
    with pytest.raises(QuickBooksChangedError) as raised:
        await backend.delete_in_quickbooks(cco, plan)
    monkeypatch.undo()
    assert raised.value.message.startswith(messages.QUICKBOOKS_ORDER_CHANGED)
    assert messages.audit_failed(str(audit.path)) in raised.value.message
    assert _audit(audit.path)[-1]["phase"] == Phase.STARTED.value


@pytest.mark.parametrize("failed_read", [1, 2], ids=["first-read", "read-after-stale-mod"])
async def test_a_read_that_fails_before_the_delete_is_sent_is_audited_as_unchanged(
    backend: Backend, sandbox_data: Path, qbxml_schema: Any, failed_read: int
) -> None:
    """The order is read again just before deleting (and after a stale EditSequence's refusal):
    when that read fails, no change went out, so the attempt ends known unchanged, the person
    hears that nothing was deleted, and no later run reads it back as "may have changed"."""
    cco = _in_quickbooks(await load_rows(backend), sandbox_data)
    assert cco.link is not None
    before = inspect.po_line_ids(sandbox_data, cco.link.po_txn_id)
    plan = await backend.plan_quickbooks_delete(cco)
    assert plan is not None
    connector = backend.quickbooks
    real: Exchange = connector._exchange
    documents: list[bytes] = []

    async def garble_a_read(document: bytes) -> bytes:
        assert qbxml_schema.validate(etree.fromstring(document)), qbxml_schema.error_log
        documents.append(document)
        if b"PurchaseOrderModRq" in document:
            # A stale EditSequence, refused, so never sent on to the sandbox.
            return _mod_refused(document, 3200, "The provided edit sequence is out-of-date.")
        answer = await real(document)
        reads = sum(b"PurchaseOrderQueryRq" in sent for sent in documents)
        return b"<QBXML><QBXMLMsgsRs>" if reads == failed_read else answer

    connector._exchange = garble_a_read  # type: ignore[method-assign]
    with pytest.raises(QuickBooksNotSentError) as raised:
        await backend.delete_in_quickbooks(cco, plan)

    expected = ["PurchaseOrderQueryRq", "PurchaseOrderModRq"] * (failed_read - 1)
    assert _kinds(documents) == [*expected, "PurchaseOrderQueryRq"]  # the case met
    assert "nothing was deleted" in raised.value.message
    assert inspect.po_line_ids(sandbox_data, cco.link.po_txn_id) == before
    started, ended = _audit(backend.audit.path)
    assert (started["phase"], ended["phase"]) == ("started", "ended")
    assert ended["outcome"] == QuickBooksDeleted.FAILED and ended["confirmed"] is True
    assert ended["message"] == raised.value.message
    assert backend.audit.unsettled() == []


@pytest.mark.parametrize("unlinked_since", [False, True], ids=["still-linked", "unlinked-since"])
async def test_a_delete_sent_but_unanswered_stays_open_and_is_settled_by_reading_back(
    backend: Backend, sandbox_data: Path, qbxml_schema: Any, unlinked_since: bool
) -> None:
    """Read back from the lines the started line names: once the CCO is unlinked (the step
    that follows), Procore no longer says where they were."""
    cco = _in_quickbooks(await load_rows(backend), sandbox_data)
    assert cco.link is not None
    plan = await backend.plan_quickbooks_delete(cco)
    assert plan is not None

    def garble_the_mods_answer(document: bytes, answer: bytes) -> bytes:
        return b"garbled" if b"PurchaseOrderModRq" in document else answer

    documents = _sent(backend, qbxml_schema, garble_the_mods_answer)
    with pytest.raises(QuickBooksReplyError) as raised:
        await backend.delete_in_quickbooks(cco, plan)

    assert _kinds(documents) == ["PurchaseOrderQueryRq", "PurchaseOrderModRq"]
    assert "its result is not known" in raised.value.message
    assert not set(cco.link.txn_line_ids) & set(
        inspect.po_line_ids(sandbox_data, cco.link.po_txn_id) or []
    )  # the deletion was made: only its answer was lost
    [open_attempt] = backend.audit.unsettled()
    assert open_attempt.started
    if unlinked_since:
        unlinked = await backend.unlink(cco)
        assert unlinked.kind is OutcomeKind.UNLINKED  # the case met: Procore links it no more
    report = await backend.settle_unfinished()
    [settled] = report.settled
    assert (settled.attempt, settled.outcome) == (open_attempt.attempt, QuickBooksDeleted.YES)
    assert backend.audit.unsettled() == []


@pytest.mark.parametrize(
    "ref_number", ["4711", "", "PO (X1-2): line(s) Z-9, amount 1.00 (", "A, B (C)"]
)
@pytest.mark.parametrize("whole_order", [False, True])
def test_the_audit_evidence_of_a_deletion_names_its_order_and_lines(
    ref_number: str, whole_order: bool
) -> None:
    plan = DeletePlan(
        po_txn_id="1A3-1234567890",
        po_ref_number=ref_number,
        vendor="Acme",
        edit_sequence="17",
        line_ids=("1A4-1234567890", "1A5-1234567890"),
        keep_line_ids=() if whole_order else ("1A6-1234567890",),
        line_amounts=(Decimal("1200.50"), Decimal("-3")),
    )
    assert link_in_evidence(plan.evidence()) == QuickBooksLink(plan.po_txn_id, plan.line_ids)
    assert link_in_evidence(plan.po_txn_id) is None  # a deletion sent without a plan
