"""What the list screen does to Procore and QuickBooks: unlink one CCO or the picked ones, and
in the sandbox, delete a CCO's lines in the simulated QuickBooks (step 1 of the fix)."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from textual import work
from textual.screen import Screen

from services import messages
from services.errors import CcoUnlinkError
from services.models import OutcomeKind, SyncedCco, UnlinkOutcome
from tui.feedback import (
    FAILED,
    NOT_IN_QUICKBOOKS,
    OUTCOME_SEVERITY,
    ROW_STATUS,
    SIGN_BUSY,
    SIGN_PICKED,
    Look,
    error_look,
    row_mark,
    toast,
)
from tui.screens.confirm import ConfirmScreen
from tui.screens.sign_in import SignInScreen
from tui.widgets.cco_table import CcoTable, money

if TYPE_CHECKING:
    from services.backend import Backend

log = logging.getLogger(__name__)

UNLINKING = row_mark(SIGN_BUSY, "Unlinking")
DELETING = row_mark(SIGN_BUSY, "Deleting")
PICKED = row_mark(SIGN_PICKED, "Picked")
WAITING = row_mark(SIGN_BUSY, "Waiting")
BUSY = (UNLINKING, DELETING, WAITING)
"""A row in one of these states is being worked on: not to be picked or started again."""


class UnlinkActions(Screen[None]):
    """The actions; ChangeOrdersScreen adds the list, its loading and its filter."""

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        # A dict as an ordered set: "pick all" over 100,000 rows must not test a list each time.
        self._picked: dict[int, None] = {}

    @property
    def table(self) -> CcoTable:
        return self.query_one(CcoTable)

    @property
    def rows(self) -> dict[int, SyncedCco]:
        """Every CCO held, shown or filtered out."""
        return self.table.records

    def selected(self) -> SyncedCco | None:
        key = self.table.current_key
        return self.rows.get(key) if key is not None else None

    def _set_status(self, text: str | None = None) -> None:
        """The status line: `text`, or the list's summary. Provided by the screen."""
        raise NotImplementedError

    def _signed_in(self, signed_in: bool | None) -> None:
        """Back from the sign-in screen. Provided by the screen."""
        raise NotImplementedError

    # Unlink --------------------------------------------------------------------------------

    def action_unlink(self) -> None:
        picked = [self.rows[key] for key in self._picked if key in self.rows]
        if picked:
            self.confirm_and_unlink_many(picked)
            return
        cco = self.selected()
        if cco is None:
            self._toast(Look("warning", "Nothing selected"), "Select a CCO to unlink.")
            return
        if self._said_busy(cco):
            return
        self.confirm_and_unlink(cco)

    @work(group="unlink", exit_on_error=False)
    async def confirm_and_unlink(self, cco: SyncedCco) -> None:
        question = (
            f"Unlink {cco.label} from QuickBooks® Desktop?\n\n"
            f"Vendor {cco.vendor or '—'} · amount {money(cco.amount)} · PO {cco.po_reference}\n"
            "Procore will first check that it is gone from QuickBooks."
        )
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen("Unlink CCO", question, confirm_label="Unlink", danger=True)
        )
        if not confirmed:
            return
        outcome = await self._unlink_one(cco)
        if outcome is not None:
            self._show_outcome(cco, outcome)

    async def _unlink_one(self, cco: SyncedCco) -> UnlinkOutcome | None:
        """Run one unlink with its row marked; None when it ended in an error (toasted)."""
        self._mark(cco.id, UNLINKING)
        try:
            return await self.backend.unlink(cco)
        except CcoUnlinkError as error:
            self._toast(error_look(error), error.message)
        except Exception:
            # Money is at stake: say plainly that the result is not known, never guess.
            log.exception("unlink of CCO %s stopped unexpectedly", cco.id)
            self._toast(Look("error", f"CCO #{cco.number} {cco.title}"), messages.UNEXPECTED)
        self._mark(cco.id, FAILED)
        return None

    @work(group="unlink", exit_on_error=False)
    async def confirm_and_unlink_many(self, ccos: list[SyncedCco]) -> None:
        total = sum((cco.amount for cco in ccos), Decimal(0))
        projects = len({cco.project_id for cco in ccos})
        question = (
            f"Unlink {len(ccos)} picked CCOs, in {projects} project"
            f"{'s' if projects != 1 else ''}, from QuickBooks® Desktop?\n\n"
            f"Amount in all {money(total)}.\n"
            "Each is checked in QuickBooks first; those still there are refused and stay."
        )
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen("Unlink CCOs", question, confirm_label="Unlink all", danger=True)
        )
        if not confirmed:
            return
        for cco in ccos:
            self._picked.pop(cco.id, None)
        self.table.mark_many([cco.id for cco in ccos], WAITING)
        outcomes: list[UnlinkOutcome] = []
        # One after another: QuickBooks Desktop answers one request at a time anyway, and a
        # person can watch the rows go.
        for done, cco in enumerate(ccos, start=1):
            self._set_status(messages.unlinking_many(done, len(ccos)))
            outcome = await self._unlink_one(cco)
            if outcome is None:
                break
            outcomes.append(outcome)
            self._apply_outcome(cco, outcome)
            if outcome.kind is OutcomeKind.SIGN_IN_REQUIRED:
                break
        for cco in ccos[len(outcomes) :]:
            if self.table.status.get(cco.id) == WAITING:
                self._mark(cco.id, "")
        kinds = [outcome.kind for outcome in outcomes]
        all_done = len(outcomes) == len(ccos) and all(kind.succeeded for kind in kinds)
        self._toast(
            Look("information" if all_done else "error", f"{len(ccos)} CCOs"),
            messages.unlinked_many(kinds, len(ccos)),
        )
        for outcome in outcomes:
            if outcome.audit_error:
                self._toast(Look("warning", "Audit log"), outcome.audit_error)
                break
        self._set_status()

    def _show_outcome(self, cco: SyncedCco, outcome: UnlinkOutcome) -> None:
        look = Look(OUTCOME_SEVERITY[outcome.kind], f"CCO #{cco.number} {cco.title}")
        self._toast(look, outcome.message)
        if outcome.audit_error:
            self._toast(Look("warning", "Audit log"), outcome.audit_error)
        self._apply_outcome(cco, outcome)

    def _apply_outcome(self, cco: SyncedCco, outcome: UnlinkOutcome) -> None:
        """The row leaves the list once the CCO is unlinked; else it says why it stays."""
        self._picked.pop(cco.id, None)
        if outcome.kind.succeeded or outcome.kind is OutcomeKind.NOT_FOUND:
            self._remove(cco.id)
        else:
            self._mark(cco.id, ROW_STATUS.get(outcome.kind, ""))
        if outcome.kind is OutcomeKind.SIGN_IN_REQUIRED and self.backend.sign_in is not None:
            self.app.push_screen(SignInScreen(self.backend, outcome.message), self._signed_in)

    # Rows being worked on ------------------------------------------------------------------

    def _busy(self, cco_id: int) -> bool:
        return self.table.status.get(cco_id) in BUSY

    def _said_busy(self, cco: SyncedCco) -> bool:
        """True, with a word to the person, when `cco` is already being worked on."""
        if self._busy(cco.id):
            self._toast(Look("warning", "Busy"), f"{cco.label} is already being worked on.")
            return True
        return False

    def _mark(self, cco_id: int, status: str) -> None:
        self.table.mark(cco_id, status)

    def _remove(self, cco_id: int) -> None:
        self.table.remove_row(cco_id)
        self._set_status()

    # Sandbox: step 1 of the fix ------------------------------------------------------------

    def action_delete_in_quickbooks(self) -> None:
        cco = self.selected()
        if cco is None or not self.backend.is_sandbox:
            return
        if self._said_busy(cco):
            return
        self.confirm_and_delete(cco)

    @work(group="sandbox-delete", exit_on_error=False)
    async def confirm_and_delete(self, cco: SyncedCco) -> None:
        question = (
            f"Delete the lines of {cco.label} from purchase order {cco.po_reference} in the "
            "sandbox's simulated QuickBooks® Desktop company?\n\n"
            "This is step 1 of the fix, done for you because the sandbox has no real QuickBooks."
        )
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                "Delete in QuickBooks® Desktop (sandbox)", question, confirm_label="Delete"
            )
        )
        if not confirmed:
            return
        previous = self.table.status.get(cco.id, "")
        self._mark(cco.id, DELETING)
        try:
            message = await self.backend.delete_in_quickbooks(cco)
        except CcoUnlinkError as error:
            self._mark(cco.id, previous)
            self._toast(error_look(error), error.message)
            return
        self._mark(cco.id, NOT_IN_QUICKBOOKS)
        self._toast(Look("information", "QuickBooks® Desktop (sandbox)"), message)

    def _toast(self, look: Look, message: str) -> None:
        toast(self.app, look, message)
