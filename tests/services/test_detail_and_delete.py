"""The CCO read for the detail pane, and step 3 of the fix: delete it in Procore once unlinked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox import inspect
from services import messages
from services.audit import Action, AuditLog, AuditRecord, Phase, Subject, Who
from services.backend import Backend, Target
from services.models import DeleteKind, OutcomeKind
from services.settle import Backends, settle_unfinished
from tests.helpers import demo_cco_id, load_rows


async def test_the_detail_carries_status_creator_and_lines_with_cost_codes(
    backend: Backend, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    cco = (await load_rows(backend))[cco_id]
    detail = await backend.detail(cco)
    assert detail.status == "approved"
    assert detail.created_by == "Dana Whitfield"
    assert detail.created_at is not None
    assert detail.lines and all(line.cost_code for line in detail.lines)
    assert sum(line.amount for line in detail.lines) == cco.amount
    assert cco.link is not None
    assert {line.origin_id for line in detail.lines} == set(cco.link.txn_line_ids)


async def test_delete_refuses_a_linked_cco_and_deletes_it_once_unlinked(
    backend: Backend, sandbox_data: Path, tmp_path: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    cco = (await load_rows(backend))[cco_id]

    refused = await backend.delete_in_procore(cco)
    assert refused.kind is DeleteKind.STILL_LINKED
    assert refused.message == messages.DELETE_STILL_LINKED
    assert inspect.cco_link(sandbox_data, cco_id)[0] is not None  # still there, still linked

    assert (await backend.unlink(cco)).kind is OutcomeKind.UNLINKED
    deleted = await backend.delete_in_procore(cco)
    assert deleted.kind is DeleteKind.DELETED
    assert deleted.message == messages.DELETED_IN_PROCORE
    with pytest.raises(KeyError):
        inspect.cco_link(sandbox_data, cco_id)
    assert inspect.line_links(sandbox_data, cco_id) == []

    records = [r for r in AuditLog(backend.target.audit_path).read() if isinstance(r, AuditRecord)]
    deletes = [(r.phase, r.outcome) for r in records if r.action == Action.PROCORE_DELETE.value]
    # The refusal sent nothing: one line. The delete: started before it was sent, then its end.
    assert deletes == [
        (Phase.ENDED.value, DeleteKind.STILL_LINKED.value),
        (Phase.STARTED.value, ""),
        (Phase.ENDED.value, DeleteKind.DELETED.value),
    ]
    assert all(r.cco_id == cco_id for r in records)

    again = await backend.delete_in_procore(cco)
    assert again.kind is DeleteKind.NOT_FOUND


async def test_the_sandbox_refuses_a_delete_without_admin_on_commitments(
    make_target: Callable[..., Target], backend: Backend, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    cco = (await load_rows(backend))[cco_id]
    assert (await backend.unlink(cco)).kind is OutcomeKind.UNLINKED
    other = Backend(make_target("not-commitments-admin"))
    try:
        outcome = await other.delete_in_procore(cco)
    finally:
        await other.aclose()
    assert outcome.kind is DeleteKind.PERMISSION_MISSING
    assert "Commitments" in outcome.message
    assert inspect.cco_link(sandbox_data, cco_id) == (None, None)  # still in Procore


async def test_a_delete_cut_short_is_settled_later_from_procore(
    backend: Backend, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    cco = (await load_rows(backend))[cco_id]
    assert (await backend.unlink(cco)).kind is OutcomeKind.UNLINKED
    assert backend.user is not None and backend.company is not None
    audit = backend.audit
    who = Who(backend.user.login, backend.user.id)
    subject = Subject(backend.company.id, cco.project_id, cco.id, cco.number)
    # The process sends the delete and stops before writing its outcome.
    with audit.attempt(Action.PROCORE_DELETE, who, subject, "key-1"):
        await backend.procore.delete_change_order(backend.company.id, cco.project_id, cco.id)
    [open_attempt] = audit.unsettled(backend.company.id)
    assert open_attempt.action == Action.PROCORE_DELETE.value

    report = await settle_unfinished(
        audit, Backends(backend.procore, backend.quickbooks), backend.company.id
    )

    [ended] = report.settled
    assert (ended.attempt, ended.outcome) == ("key-1", DeleteKind.DELETED.value)
    assert ended.settled_later and messages.DELETED_LATER in ended.message
    assert audit.unsettled(backend.company.id) == []
