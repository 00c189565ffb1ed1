"""Settle attempts a crash left open: read from Procore (and QuickBooks) what each one did.

An attempt's started line is on disk before its change goes out (services/audit.py). When no ended
line follows it, the process stopped (kill -9, power cut) or an exception cut it short, and nobody
was told the outcome. The next run asks the backend what the CCO looks like now and writes the
ended line, marked as settled later. An attempt that cannot be read back yet stays open, for the
run after.

Each kind of change has its own reader in READERS. A new kind of change adds one there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from services import messages
from services.audit import Action, AuditLog, AuditRecord, QuickBooksDeleted
from services.check import link_of
from services.errors import AuditUnwritableError, CcoUnlinkError, ProcoreNotFoundError
from services.models import DeleteKind, OutcomeKind, Presence
from services.quickbooks.deletion import link_in_evidence

if TYPE_CHECKING:
    from services.procore.client import ProcoreClient
    from services.quickbooks.connector import QuickBooksConnector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backends:
    procore: ProcoreClient
    quickbooks: QuickBooksConnector


Settlement = tuple[str, str]
"""The outcome (an OutcomeKind value, or the change's own word) and its message."""
Reader = Callable[[Backends, AuditRecord], Awaitable[Settlement]]


async def _unlink(backends: Backends, record: AuditRecord) -> Settlement:
    try:
        state = await backends.procore.change_order(
            record.company_id, record.project_id, record.cco_id
        )
    except ProcoreNotFoundError:
        return OutcomeKind.NOT_FOUND.value, messages.settled_later(messages.NOT_FOUND_LATER)
    if state.is_linked:
        return OutcomeKind.PROCORE_FAILED.value, messages.settled_later(messages.NOT_APPLIED_LATER)
    return OutcomeKind.UNLINKED.value, messages.settled_later(messages.UNLINKED_LATER)


async def _quickbooks_delete(backends: Backends, record: AuditRecord) -> Settlement:
    # The lines the person confirmed, as the started line names them; else those Procore links
    # now. The first stay known once the CCO is unlinked, the step that follows this one.
    link = link_in_evidence(record.evidence)
    if link is None:
        state = await backends.procore.change_order(
            record.company_id, record.project_id, record.cco_id
        )
        link = link_of(state)
    if link is None:
        raise CcoUnlinkError(messages.NO_QUICKBOOKS_LOCATION)
    found = await backends.quickbooks.evidence(link)
    said = found.summary()
    if found.presence is Presence.PRESENT:
        return QuickBooksDeleted.FAILED.value, messages.settled_later(f"not deleted: {said}")
    return QuickBooksDeleted.YES.value, messages.settled_later(f"deleted: {said}")


async def _procore_delete(backends: Backends, record: AuditRecord) -> Settlement:
    try:
        await backends.procore.change_order(record.company_id, record.project_id, record.cco_id)
    except ProcoreNotFoundError:
        return DeleteKind.DELETED.value, messages.settled_later(messages.DELETED_LATER)
    return DeleteKind.REFUSED.value, messages.settled_later(messages.NOT_DELETED_LATER)


READERS: dict[str, Reader] = {
    Action.UNLINK.value: _unlink,
    Action.QUICKBOOKS_DELETE.value: _quickbooks_delete,
    Action.PROCORE_DELETE.value: _procore_delete,
}


@dataclass
class SettleReport:
    settled: list[AuditRecord] = field(default_factory=list)
    """The ended lines written, one per attempt settled."""
    left: list[AuditRecord] = field(default_factory=list)
    """Started attempts still open: the backend could not be read, or the change is unknown."""
    problem: str = ""
    """Why the first one left open could not be settled."""


async def settle_unfinished(audit: AuditLog, backends: Backends, company_id: int) -> SettleReport:
    """Read back every attempt of this company left open, and record what it did."""
    report = SettleReport()
    for record in await asyncio.to_thread(audit.unsettled, company_id):
        reader = READERS.get(record.action)
        if reader is None:
            report.left.append(record)
            report.problem = report.problem or f"no way to read back a '{record.action}'"
            continue
        try:
            outcome, message = await reader(backends, record)
            report.settled.append(audit.settle_later(record, outcome, message))
        except AuditUnwritableError:
            raise
        except CcoUnlinkError as error:
            log.info("attempt %s not settled yet: %s", record.attempt, error.message)
            report.left.append(record)
            report.problem = report.problem or error.message
    return report
