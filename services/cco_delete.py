"""Step 3 of the fix: delete a CCO in Procore, once it is unlinked. The delete is an audited
attempt (services/audit.py): its started line is on disk before the request goes out, and a run
cut short is settled later by reading the CCO back (services/settle.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from services import messages
from services.audit import Action, AuditLog, Subject, Who
from services.errors import (
    AuditUnwritableError,
    ProcoreError,
    ProcoreNotFoundError,
    ProcorePermissionError,
    ProcoreRequestError,
)
from services.models import Actor, DeleteKind, SyncedCco

if TYPE_CHECKING:
    from services.procore.client import ProcoreClient


@dataclass(frozen=True)
class DeleteOutcome:
    kind: DeleteKind
    message: str
    cco_id: int
    audit_error: str = ""


class CcoDeleter:
    def __init__(self, procore: ProcoreClient, audit: AuditLog, actor: Actor) -> None:
        self.procore = procore
        self.audit = audit
        self.actor = actor

    async def delete(self, cco: SyncedCco) -> DeleteOutcome:
        company_id = self.actor.company_id
        who = Who(self.actor.user.login, self.actor.user.id)
        subject = Subject(company_id, cco.project_id, cco.id, cco.number)

        def refused(kind: DeleteKind, message: str) -> DeleteOutcome:
            """Nothing was sent: one audit line says so."""
            problem = self.audit.record(Action.PROCORE_DELETE, who, subject, kind.value, message)
            return DeleteOutcome(kind, message, cco.id, audit_error=problem)

        if not who.login or not who.id:
            return DeleteOutcome(
                DeleteKind.NOT_STARTED, messages.refused(messages.ACTOR_UNKNOWN), cco.id
            )
        try:
            self.audit.check_writable()
        except AuditUnwritableError as error:
            return DeleteOutcome(DeleteKind.NOT_STARTED, error.message, cco.id)
        # Only an unlinked CCO: read fresh, the list may be old.
        try:
            state = await self.procore.change_order(company_id, cco.project_id, cco.id)
        except ProcoreNotFoundError:
            return refused(DeleteKind.NOT_FOUND, messages.DELETE_NOT_FOUND)
        except ProcoreError as error:
            return refused(DeleteKind.REFUSED, messages.delete_refused(error.message))
        if state.is_linked:
            return refused(DeleteKind.STILL_LINKED, messages.DELETE_STILL_LINKED)
        try:
            with self.audit.attempt(Action.PROCORE_DELETE, who, subject, uuid.uuid4().hex) as sent:
                outcome = await self._send(cco)
                problem = sent.settle(
                    outcome.kind.value,
                    outcome.message,
                    confirmed=outcome.kind is not DeleteKind.OUTCOME_UNKNOWN,
                )
                outcome = replace(outcome, audit_error=problem)
        except AuditUnwritableError as error:
            return DeleteOutcome(DeleteKind.NOT_STARTED, error.message, cco.id)
        return outcome

    async def _send(self, cco: SyncedCco) -> DeleteOutcome:
        company_id = self.actor.company_id
        try:
            await self.procore.delete_change_order(company_id, cco.project_id, cco.id)
        except ProcorePermissionError as error:
            return DeleteOutcome(
                DeleteKind.PERMISSION_MISSING, messages.delete_refused(error.message), cco.id
            )
        except ProcoreNotFoundError:
            return DeleteOutcome(DeleteKind.NOT_FOUND, messages.DELETE_NOT_FOUND, cco.id)
        except ProcoreRequestError as error:
            return DeleteOutcome(DeleteKind.REFUSED, messages.delete_refused(error.message), cco.id)
        except ProcoreError as error:
            # No answer, or one that cannot be read: only reading the CCO back says what happened.
            try:
                await self.procore.change_order(company_id, cco.project_id, cco.id)
            except ProcoreNotFoundError:
                return DeleteOutcome(DeleteKind.DELETED, messages.DELETED_IN_PROCORE, cco.id)
            except ProcoreError:
                return DeleteOutcome(
                    DeleteKind.OUTCOME_UNKNOWN, messages.delete_unknown(error.message), cco.id
                )
            return DeleteOutcome(DeleteKind.REFUSED, messages.delete_refused(error.message), cco.id)
        return DeleteOutcome(DeleteKind.DELETED, messages.DELETED_IN_PROCORE, cco.id)
