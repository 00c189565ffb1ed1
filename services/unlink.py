"""The unlink workflow: permissions, then QuickBooks, then Procore, and an audit record of it all.

The order is the product's rule: nothing is changed in Procore unless QuickBooks Desktop has said,
in so many words, that the CCO is gone, about the purchase order its commitment is exported as.
Before the change goes out its attempt is on disk (services/audit.py); every path ends in an
UnlinkOutcome, and the only exceptions that escape leave that attempt for the next run to settle.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from msgspec.structs import replace

from services import messages
from services.audit import Action, AuditLog, Subject, Who
from services.check import link_of, po_disagreement
from services.errors import (
    AuditUnwritableError,
    ProcoreAuthError,
    ProcoreError,
    ProcoreItemsRefusedError,
    ProcoreNotFoundError,
    ProcorePermissionError,
    ProcoreRequestError,
    ProcoreSignInRequiredError,
    QuickBooksError,
)
from services.models import (
    AccessLevel,
    Actor,
    CcoState,
    OutcomeKind,
    Permission,
    Presence,
    SyncedCco,
    UnlinkOutcome,
)
from services.procore import endpoints
from services.procore.client import LinksCleared, ProcoreClient
from services.quickbooks.connector import QuickBooksConnector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Recorded:
    """An outcome whose audit lines are written already (a change was sent)."""

    outcome: UnlinkOutcome


class UnlinkService:
    def __init__(
        self,
        procore: ProcoreClient,
        quickbooks: QuickBooksConnector,
        audit: AuditLog,
        actor: Actor,
    ) -> None:
        self.procore = procore
        self.quickbooks = quickbooks
        self.audit = audit
        self.actor = actor

    async def unlink(self, cco: SyncedCco) -> UnlinkOutcome:
        who = self._who()
        if not who.login or not who.id:
            return self._ended(cco, self._refused_outcome(cco, messages.ACTOR_UNKNOWN))
        try:
            self.audit.check_writable()
        except AuditUnwritableError as error:
            # Nothing is asked or changed that could not be accounted for.
            return UnlinkOutcome(OutcomeKind.REFUSED, error.message, cco.id)
        outcome = await self._attempt(cco)
        if isinstance(outcome, _Recorded):
            return outcome.outcome
        return self._ended(cco, outcome)

    def _ended(self, cco: SyncedCco, outcome: UnlinkOutcome) -> UnlinkOutcome:
        """Record an attempt that sent no change: one line."""
        problem = self.audit.record(
            Action.UNLINK,
            self._who(),
            self._subject(cco),
            outcome.kind.value,
            outcome.message,
            outcome.evidence,
        )
        return replace(outcome, audit_error=problem) if problem else outcome

    def _refused_outcome(self, cco: SyncedCco, reason: str) -> UnlinkOutcome:
        return UnlinkOutcome(OutcomeKind.REFUSED, messages.refused(reason), cco.id)

    def _who(self) -> Who:
        return Who(self.actor.user.login, self.actor.user.id)

    def _subject(self, cco: SyncedCco) -> Subject:
        return Subject(self.actor.company_id, cco.project_id, cco.id, cco.number)

    async def missing_permissions(self, project_id: int) -> tuple[Permission, ...]:
        """Which of the three required permissions the user lacks on this project."""
        company_id = self.actor.company_id
        # Three independent reads: asked at once, they cost one round trip, not three.
        project = asyncio.ensure_future(self.procore.tool_levels(company_id, project_id=project_id))
        company = asyncio.ensure_future(self.procore.tool_levels(company_id))
        push = asyncio.ensure_future(
            self.procore.can_push_to_accounting(company_id, self.actor.user.id)
        )
        try:
            project_tools, company_tools, can_push = await project, await company, await push
        finally:
            for task in (project, company, push):
                task.cancel()
        missing = []
        if _level(project_tools, endpoints.COMMITMENTS_TOOL) < AccessLevel.ADMIN:
            missing.append(Permission.COMMITMENTS_ADMIN)
        if _level(company_tools, endpoints.ERP_INTEGRATIONS_TOOL) < AccessLevel.STANDARD:
            missing.append(Permission.ERP_INTEGRATIONS)
        if not can_push:
            missing.append(Permission.CAN_PUSH_TO_ACCOUNTING)
        return tuple(missing)

    async def _attempt(self, cco: SyncedCco) -> UnlinkOutcome | _Recorded:
        company_id = self.actor.company_id

        def outcome(
            kind: OutcomeKind,
            message: str,
            missing: tuple[Permission, ...] = (),
            evidence: str = "",
        ) -> UnlinkOutcome:
            return UnlinkOutcome(kind, message, cco.id, missing=missing, evidence=evidence)

        # 1. Read the CCO fresh: the list may be minutes old, and someone may have unlinked it.
        try:
            state = await self.procore.change_order(company_id, cco.project_id, cco.id)
        except ProcoreNotFoundError:
            return outcome(OutcomeKind.NOT_FOUND, messages.NOT_FOUND)
        except ProcoreError as error:
            return _refused(error, cco.id)
        if not state.is_linked:
            return outcome(OutcomeKind.ALREADY_UNLINKED, messages.ALREADY_UNLINKED)

        # 2. Permissions, all three, before anything else is asked or changed.
        try:
            missing = await self.missing_permissions(cco.project_id)
        except ProcoreError as error:
            return _refused(error, cco.id)
        if missing:
            return outcome(
                OutcomeKind.PERMISSION_MISSING,
                messages.permission_missing(missing),
                missing=missing,
            )

        # 3. QuickBooks must say the CCO is gone. Not knowing is not "gone".
        # Only the fresh record counts: the list's copy may be old, or come from the cache.
        link = link_of(state)
        if link is None:
            return outcome(OutcomeKind.QUICKBOOKS_UNREACHABLE, messages.NO_QUICKBOOKS_LOCATION)
        # "Purchase order not found" proves the CCO gone only for the right purchase order: the
        # one Procore exported the CCO's commitment as, read now. Any doubt is "cannot tell".
        try:
            disagreement = await po_disagreement(
                self.procore, self.actor.company_id, cco.project_id, state, link
            )
        except ProcoreError as error:
            return _refused(error, cco.id)
        if disagreement:
            return outcome(OutcomeKind.CANNOT_TELL, messages.cannot_tell(disagreement))
        try:
            found = await self.quickbooks.evidence(link)
        except QuickBooksError as error:
            log.warning("QuickBooks check failed for CCO %s: %s", cco.id, error.message)
            return outcome(
                OutcomeKind.QUICKBOOKS_UNREACHABLE,
                messages.quickbooks_unreachable(error.message),
                evidence=f"unknown: {error.message}",
            )
        if found.presence is Presence.PRESENT:
            return replace(
                outcome(
                    OutcomeKind.STILL_IN_QUICKBOOKS,
                    messages.STILL_IN_QUICKBOOKS,
                    evidence=found.summary(),
                ),
                quickbooks=found,
            )

        # 4. Clear the link in Procore, its attempt on disk first.
        evidence = found.summary()
        # One key per attempt: the transport's retries reuse it, so a retry after a lost answer
        # is told what the first try did instead of "nothing to change"; the audit log joins the
        # attempt's two lines with it.
        key = uuid.uuid4().hex
        try:
            with self.audit.attempt(
                Action.UNLINK, self._who(), self._subject(cco), key, evidence
            ) as attempt:
                cleared = await self._clear(cco, state, evidence, key)
                problem = attempt.settle(
                    cleared.kind.value,
                    cleared.message,
                    cleared.evidence,
                    confirmed=cleared.kind is not OutcomeKind.OUTCOME_UNKNOWN,
                )
                cleared = replace(cleared, audit_error=problem)
        except AuditUnwritableError as error:
            return _Recorded(UnlinkOutcome(OutcomeKind.REFUSED, error.message, cco.id))
        return _Recorded(replace(cleared, quickbooks=found))

    async def _clear(
        self, cco: SyncedCco, state: CcoState, evidence: str, key: str
    ) -> UnlinkOutcome:
        company_id = self.actor.company_id
        try:
            answer = await self.procore.clear_links(company_id, state, idempotency_key=key)
        except ProcorePermissionError as error:
            missing = tuple(p for p in Permission if p.value == error.reason)
            message = (
                messages.permission_missing(missing)
                if missing
                else messages.procore_failed(error.message)
            )
            return UnlinkOutcome(
                OutcomeKind.PERMISSION_MISSING, message, cco.id, missing=missing, evidence=evidence
            )
        except ProcoreNotFoundError:
            return UnlinkOutcome(
                OutcomeKind.NOT_FOUND, messages.NOT_FOUND, cco.id, evidence=evidence
            )
        except (ProcoreAuthError, ProcoreRequestError) as error:
            # Refused before anything was applied: Procore said so itself.
            return _refused(error, cco.id, evidence)
        except ProcoreItemsRefusedError as error:
            return await self._items_refused(cco, error, evidence)
        except ProcoreError as error:
            # A lost, unreadable, overloaded or rate-limited answer says nothing of whether the
            # change was applied: only reading the CCO back does.
            return await self._resolve_unknown(cco, error.message, evidence)
        return await self._confirm(cco, answer, evidence)

    async def _confirm(self, cco: SyncedCco, answer: LinksCleared, evidence: str) -> UnlinkOutcome:
        """Procore accepted the change: read the CCO back before saying it is unlinked."""
        state = await self._read_back(cco)
        if isinstance(state, ProcoreError):
            if not answer.confirmed:
                return _unknown(cco, messages.outcome_unknown(state.message), evidence)
        elif state.is_linked:
            return _unknown(cco, messages.STILL_LINKED_AFTER_UNLINK, evidence)
        if answer.changed:
            return UnlinkOutcome(OutcomeKind.UNLINKED, messages.UNLINKED, cco.id, evidence=evidence)
        return UnlinkOutcome(
            OutcomeKind.ALREADY_UNLINKED, messages.ALREADY_UNLINKED, cco.id, evidence=evidence
        )

    async def _items_refused(
        self, cco: SyncedCco, error: ProcoreItemsRefusedError, evidence: str
    ) -> UnlinkOutcome:
        """Procore answered 200 but listed items under `errors`: a failure, unless reading the
        CCO back finds no link left on it (the refused items held none)."""
        state = await self._read_back(cco)
        if isinstance(state, ProcoreError) or state.is_linked:
            return UnlinkOutcome(
                OutcomeKind.PROCORE_FAILED, error.message, cco.id, evidence=evidence
            )
        return UnlinkOutcome(OutcomeKind.UNLINKED, messages.UNLINKED, cco.id, evidence=evidence)

    async def _resolve_unknown(self, cco: SyncedCco, detail: str, evidence: str) -> UnlinkOutcome:
        """The change went out and no answer came back: read the CCO to learn what happened."""
        state = await self._read_back(cco)
        if isinstance(state, ProcoreError):
            return _unknown(cco, messages.outcome_unknown(detail), evidence)
        if not state.is_linked:
            return UnlinkOutcome(OutcomeKind.UNLINKED, messages.UNLINKED, cco.id, evidence=evidence)
        return UnlinkOutcome(
            OutcomeKind.PROCORE_FAILED, messages.not_applied(detail), cco.id, evidence=evidence
        )

    async def _read_back(self, cco: SyncedCco) -> CcoState | ProcoreError:
        try:
            return await self.procore.change_order(self.actor.company_id, cco.project_id, cco.id)
        except ProcoreError as error:
            return error


def _level(levels: dict[str, AccessLevel], tool: str) -> AccessLevel:
    friendly = tool.replace("_", " ")
    return max(levels.get(tool, AccessLevel.NONE), levels.get(friendly, AccessLevel.NONE))


def _refused(error: ProcoreError, cco_id: int, evidence: str = "") -> UnlinkOutcome:
    """Procore failed or refused before anything changed. A sign-in that must be renewed is an
    outcome of its own: the screen can open the sign-in instead of leaving a dead end."""
    if isinstance(error, ProcoreSignInRequiredError):
        kind, message = OutcomeKind.SIGN_IN_REQUIRED, messages.sign_in_before_unlink(error.message)
    else:
        kind, message = OutcomeKind.PROCORE_FAILED, messages.procore_failed(error.message)
    return UnlinkOutcome(kind, message, cco_id, evidence=evidence)


def _unknown(cco: SyncedCco, message: str, evidence: str) -> UnlinkOutcome:
    return UnlinkOutcome(OutcomeKind.OUTCOME_UNKNOWN, message, cco.id, evidence=evidence)
