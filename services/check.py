"""Check CCOs in QuickBooks Desktop without changing anything: the unlink's own question, asked
ahead of it, so a person sees which CCOs are ready to unlink and what QuickBooks still holds of
the others."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import msgspec

from services import messages
from services.errors import ProcoreError, ProcoreNotFoundError, QuickBooksError
from services.models import CcoState, CheckKind, QuickBooksEvidence, QuickBooksLink, SyncedCco
from services.procore import parsing

if TYPE_CHECKING:
    from services.procore.client import ProcoreClient
    from services.quickbooks.connector import QuickBooksConnector

log = logging.getLogger(__name__)


class CheckResult(msgspec.Struct, frozen=True):
    cco_id: int
    kind: CheckKind
    message: str
    evidence: QuickBooksEvidence | None = None


def link_of(state: CcoState) -> QuickBooksLink | None:
    """The CCO's QuickBooks lines as Procore holds them now: those origin_data names and those
    its line items carry. Every line an unlink would clear is checked."""
    link = parsing.quickbooks_link(state.origin_data)
    if link is None:
        return None
    from_items = [line.origin_id for line in state.line_items if line.origin_id]
    extra = tuple(line for line in from_items if line not in link.txn_line_ids)
    return QuickBooksLink(link.po_txn_id, link.txn_line_ids + extra) if extra else link


async def po_disagreement(
    procore: ProcoreClient, company_id: int, project_id: int, state: CcoState, link: QuickBooksLink
) -> str:
    """Why the CCO's purchase order cannot be trusted to be its commitment's; "" when it can.
    "Purchase order not found" proves the CCO gone only for the right purchase order: the one
    Procore exported the CCO's commitment as, read now."""
    if state.commitment_id is None:
        return messages.COMMITMENT_UNREADABLE
    commitment = await procore.commitment(company_id, project_id, state.commitment_id)
    if commitment is None:
        return messages.COMMITMENT_UNREADABLE
    if commitment.origin_id is None:
        return messages.COMMITMENT_NOT_LINKED
    if commitment.origin_id != link.po_txn_id:
        return messages.po_disagrees(link.po_txn_id, commitment.origin_id)
    return ""


class QuickBooksCheck:
    def __init__(
        self, procore: ProcoreClient, quickbooks: QuickBooksConnector, company_id: int
    ) -> None:
        self.procore = procore
        self.quickbooks = quickbooks
        self.company_id = company_id

    async def check(self, cco: SyncedCco) -> CheckResult:
        """Read the CCO fresh from Procore, then ask QuickBooks for its purchase order. Every path
        ends in a CheckResult; nothing is changed anywhere."""
        try:
            state = await self.procore.change_order(self.company_id, cco.project_id, cco.id)
        except ProcoreNotFoundError:
            return CheckResult(cco.id, CheckKind.NOT_FOUND, messages.NOT_FOUND)
        except ProcoreError as error:
            return CheckResult(cco.id, CheckKind.PROCORE_FAILED, error.message)
        if not state.is_linked:
            return CheckResult(cco.id, CheckKind.NOT_LINKED, messages.ALREADY_UNLINKED)
        link = link_of(state)
        if link is None:
            return CheckResult(cco.id, CheckKind.UNKNOWN, messages.NO_QUICKBOOKS_LOCATION)
        # The unlink's own rule: any doubt about which purchase order to ask is "cannot tell".
        try:
            disagreement = await po_disagreement(
                self.procore, self.company_id, cco.project_id, state, link
            )
        except ProcoreError as error:
            return CheckResult(cco.id, CheckKind.PROCORE_FAILED, error.message)
        if disagreement:
            return CheckResult(cco.id, CheckKind.UNKNOWN, messages.cannot_tell(disagreement))
        try:
            evidence = await self.quickbooks.evidence(link)
        except QuickBooksError as error:
            log.warning("QuickBooks check failed for CCO %s: %s", cco.id, error.message)
            return CheckResult(
                cco.id, CheckKind.UNKNOWN, messages.quickbooks_not_asked(error.message)
            )
        if evidence.remaining:
            return CheckResult(
                cco.id, CheckKind.IN_QUICKBOOKS, messages.in_quickbooks_now(evidence), evidence
            )
        return CheckResult(
            cco.id, CheckKind.GONE, messages.gone_from_quickbooks(evidence), evidence
        )
