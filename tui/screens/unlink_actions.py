"""What the list screen does to Procore and QuickBooks: unlink one CCO or the picked ones, and
delete a CCO's lines in QuickBooks (step 1 of the fix; a real company needs allow_delete)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from textual import work
from textual.screen import Screen
from textual.worker import Worker, get_current_worker

from services import messages
from services.batch import UnlinkBatch
from services.errors import CcoUnlinkError
from services.models import OutcomeKind, SyncedCco, UnlinkOutcome
from tui.bindings import key_of
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
from tui.screens.confirm_unlink_many import UNLINK_LABEL, ConfirmUnlinkManyScreen
from tui.screens.sign_in import SignInScreen
from tui.screens.typed_confirm import TypedConfirmScreen
from tui.widgets.cco_columns import money
from tui.widgets.cco_table import CcoTable

if TYPE_CHECKING:
    from services.backend import Backend

log = logging.getLogger(__name__)

UNLINKING = row_mark(SIGN_BUSY, "Unlinking")
DELETING = row_mark(SIGN_BUSY, "Deleting")
PICKED = row_mark(SIGN_PICKED, "Picked")
WAITING = row_mark(SIGN_BUSY, "Waiting")
BUSY = (UNLINKING, DELETING, WAITING)
"""A row in one of these states is being worked on: not to be picked or started again."""
QUICKBOOKS_LOOK = Look("information", "QuickBooks® Desktop")


class UnlinkActions(Screen[None]):
    """The actions; ChangeOrdersScreen adds the list, its loading and its filter."""

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        # A dict as an ordered set: "pick all" over 100,000 rows must not test a list each time.
        self._picked: dict[int, None] = {}
        self.working: dict[int, str] = {}
        """CCOs being unlinked, deleted or waiting in a batch, with their mark: the screen's own
        record, which no reload of the table can drop (a reload puts the marks back)."""
        self._changes_out: set[Worker[Any]] = set()
        """The workers whose confirmed change is out: a quit waits for them (change_out)."""
        self.running: UnlinkBatch | None = None
        """The unlink of many under way: the one place its order, stop and outcomes live."""
        self.last_batch: UnlinkBatch | None = None

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

    def subject(self) -> SyncedCco | None:
        """The CCO a key acts on: the selected row. FixActions makes it the detail pane's CCO
        while the pane is open: what the person reads is what they act on."""
        return self.selected()

    def _set_status(self, text: str | None = None) -> None:
        """The status line: `text`, or the list's summary. Provided by the screen."""
        raise NotImplementedError

    def _signed_in(self, signed_in: bool | None) -> None:
        """Back from the sign-in screen. Provided by the screen."""
        raise NotImplementedError

    def _unlinked_one(self, cco: SyncedCco, outcome: UnlinkOutcome) -> None:
        """One CCO unlinked: show what the fix asks next. Provided by FixActions."""
        raise NotImplementedError

    def _remember_unlinked(self, cco: SyncedCco) -> None:
        """A CCO an unlink of many unlinked. Provided by FixActions."""
        raise NotImplementedError

    def _open_from_summary(self, cco: SyncedCco | None) -> None:
        """A CCO chosen in a run's summary. Provided by FixActions."""
        raise NotImplementedError

    def _quickbooks_changed(self, cco: SyncedCco) -> None:
        """QuickBooks no longer holds what was read of `cco`. Provided by FixActions."""
        raise NotImplementedError

    # Unlink --------------------------------------------------------------------------------

    def action_unlink(self) -> None:
        picked = [self.rows[key] for key in self._picked if key in self.rows]
        if picked:
            self.confirm_and_unlink_many(picked)
            return
        cco = self.subject()
        if cco is None:
            self._toast(Look("warning", "Nothing selected"), messages.NOTHING_SELECTED_TO_UNLINK)
            return
        if self._said_busy(cco):
            return
        self.confirm_and_unlink(cco)

    @work(group="unlink", exit_on_error=False)
    async def confirm_and_unlink(self, cco: SyncedCco) -> None:
        question = (
            f"Unlink {cco.label} from QuickBooks® Desktop?\n\n"
            f"Vendor {cco.vendor or '—'} · amount {money(cco.amount)} · PO {cco.po_reference}\n"
            f"{messages.CHECKED_FIRST}"
        )
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen("Unlink CCO", question, confirm_label=UNLINK_LABEL, danger=True)
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
        shown = set(self.table.row_keys)
        hidden = sum(1 for cco in ccos if cco.id not in shown)
        confirmed = await self.app.push_screen_wait(ConfirmUnlinkManyScreen(ccos, hidden))
        if not confirmed:
            return
        for cco in ccos:
            self._picked.pop(cco.id, None)
            self.working[cco.id] = WAITING
        self.table.mark_many([cco.id for cco in ccos], WAITING)
        # One after another: QuickBooks Desktop answers one request at a time anyway, and a
        # person can watch the rows go. The batch keeps every result; Esc stops it.
        batch = self.running = UnlinkBatch(ccos, self.backend.unlink)

        def starting(cco: SyncedCco, place: int) -> None:
            self._mark(cco.id, UNLINKING)
            self._set_status(messages.unlinking_many(place, len(ccos)))

        def heard(cco: SyncedCco, outcome: UnlinkOutcome) -> None:
            if outcome.kind.succeeded:
                self._remember_unlinked(cco)
            self._apply_outcome(cco, outcome)

        try:
            await batch.run(starting, heard)
        finally:
            self.running = None
            self.last_batch = batch
            for result in batch.results:
                if result.outcome is None and self.working.get(result.cco.id) == WAITING:
                    self._mark(result.cco.id, "")
        self._toast(
            Look("information" if batch.all_succeeded else "error", f"{len(ccos)} CCOs"),
            f"{batch.summary()} {messages.SUMMARY_AGAIN}",
        )
        for outcome in batch.outcomes:
            if outcome.audit_error:
                self._toast(Look("warning", "Audit log"), outcome.audit_error)
                break
        self._set_status()
        self._open_summary(batch)

    def action_stop_batch(self) -> None:
        if self.running is not None:
            self.running.stop()
            self._set_status(messages.BATCH_STOPPING)

    def action_batch_summary(self) -> None:
        if self.last_batch is None:
            self._toast(
                Look("warning", "No summary yet"),
                messages.no_batch_yet(key_of(self.app, "pick"), key_of(self.app, "unlink")),
            )
            return
        self._open_summary(self.last_batch)

    def _open_summary(self, batch: UnlinkBatch) -> None:
        # Imported when first opened: its table (Textual's DataTable) is not needed to start.
        from tui.screens.batch_summary import BatchSummaryScreen

        self.app.push_screen(BatchSummaryScreen(batch), self._open_from_summary)

    def _show_outcome(self, cco: SyncedCco, outcome: UnlinkOutcome) -> None:
        look = Look(OUTCOME_SEVERITY[outcome.kind], f"CCO #{cco.number} {cco.title}")
        self._toast(look, messages.outcome_text(outcome))
        if outcome.audit_error:
            self._toast(Look("warning", "Audit log"), outcome.audit_error)
        self._apply_outcome(cco, outcome)
        if outcome.kind.succeeded:
            self._unlinked_one(cco, outcome)

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
        return cco_id in self.working

    @property
    def work_under_way(self) -> bool:
        """True while a change is out or waiting to go: quitting must ask first."""
        return bool(self.working or self._changes_out)

    @contextlib.contextmanager
    def change_out(self) -> Iterator[None]:
        """Around sending a confirmed delete, in its worker: quitting asks first, and "quit
        anyway" waits for it to end and be recorded. A worker still waiting for its typed
        confirmation has sent nothing, and simply ends with the app."""
        worker = get_current_worker()
        self._changes_out.add(worker)
        try:
            yield
        finally:
            self._changes_out.discard(worker)

    async def let_work_finish(self) -> None:
        """Start nothing more, and wait for the changes in flight to end and be recorded."""
        if self.running is not None:
            self.running.stop()
        mine = [
            worker
            for worker in self.app.workers
            if worker.node is self and (worker.group == "unlink" or worker in self._changes_out)
        ]
        if mine:  # none given, Textual waits for every worker: the quit's own among them
            await self.app.workers.wait_for_complete(mine)

    def _said_busy(self, cco: SyncedCco) -> bool:
        """True, with a word to the person, when `cco` is already being worked on."""
        if self._busy(cco.id):
            self._toast(Look("warning", "Busy"), messages.already_worked_on(cco.label))
            return True
        return False

    def _mark(self, cco_id: int, status: str) -> None:
        if status in BUSY:
            self.working[cco_id] = status
        else:
            self.working.pop(cco_id, None)
        self.table.mark(cco_id, status)

    def _remark_working(self, ids: Iterable[int]) -> None:
        """Put back the marks of rows being worked on, after a reload put their rows back."""
        for cco_id in ids:
            mark = self.working.get(cco_id)
            if mark is not None:
                self.table.mark(cco_id, mark)

    def _remove(self, cco_id: int) -> None:
        self.working.pop(cco_id, None)
        self.table.remove_row(cco_id)
        self._set_status()

    # Step 1 of the fix: delete the CCO's lines in QuickBooks -------------------------------

    def action_delete_in_quickbooks(self) -> None:
        cco = self.subject()
        if cco is None or not self.backend.can_delete_in_quickbooks:
            return
        if self._said_busy(cco):
            return
        self.confirm_and_delete(cco)

    @work(group="quickbooks-delete", exit_on_error=False)
    async def confirm_and_delete(self, cco: SyncedCco) -> None:
        """Read the order, ask for its number typed out, then delete just what was shown."""
        previous = self.table.status.get(cco.id, "")
        self._mark(cco.id, DELETING)
        message = ""
        try:
            plan = await self.backend.plan_quickbooks_delete(cco)
        except CcoUnlinkError as error:
            self._toast(error_look(error), error.message)
            return
        except Exception:
            log.exception("reading CCO %s's purchase order stopped unexpectedly", cco.id)
            self._toast(
                Look("error", f"CCO #{cco.number} {cco.title}"), messages.UNEXPECTED_QUICKBOOKS_READ
            )
            return
        finally:
            self._mark(cco.id, previous)
        if plan is None:
            self._mark(cco.id, NOT_IN_QUICKBOOKS)
            self._toast(QUICKBOOKS_LOOK, messages.QUICKBOOKS_LINES_ALREADY_GONE)
            return
        question = messages.quickbooks_delete_question(
            cco.label,
            plan.po_name,
            plan.vendor,
            len(plan.line_ids),
            money(plan.amount),
            plan.whole_order,
        )
        title = "Delete in QuickBooks® Desktop" + (" (sandbox)" if self.backend.is_sandbox else "")
        confirmed = await self.app.push_screen_wait(
            TypedConfirmScreen(title, question, plan.po_name, confirm_label="Delete in QuickBooks")
        )
        if not confirmed:
            return
        self._mark(cco.id, DELETING)
        try:
            with self.change_out():
                message = await self.backend.delete_in_quickbooks(cco, plan)
        except CcoUnlinkError as error:
            self._toast(error_look(error), error.message)
        except Exception:
            log.exception("delete in QuickBooks of CCO %s stopped unexpectedly", cco.id)
            self._toast(Look("error", f"CCO #{cco.number} {cco.title}"), messages.UNEXPECTED_DELETE)
        finally:
            # Whatever stopped it (a refusal, a bug, a cancel), the row never stays "Deleting…".
            self._mark(cco.id, NOT_IN_QUICKBOOKS if message else previous)
        if message:
            self._toast(QUICKBOOKS_LOOK, message)
            self._quickbooks_changed(cco)

    def _toast(self, look: Look, message: str) -> None:
        toast(self.app, look, message)
