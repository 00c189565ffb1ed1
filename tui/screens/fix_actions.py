"""The rest of the fix around an unlink: see one CCO in full (the detail pane), check CCOs in
QuickBooks without changing anything, copy what a person takes to Procore, and delete an unlinked
CCO in Procore (step 3)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from textual import work
from textual.notifications import SeverityLevel

from services import messages
from services.check import CheckResult
from services.errors import CcoUnlinkError
from services.models import CheckKind, DeleteKind, OutcomeKind, SyncedCco, UnlinkOutcome
from tui import clipboard
from tui.bindings import key_of
from tui.feedback import (
    SIGN_BUSY,
    SIGN_DONE,
    SIGN_REFUSED,
    SIGN_WARNING,
    Look,
    error_look,
    row_mark,
)
from tui.screens.typed_confirm import TypedConfirmScreen
from tui.screens.unlink_actions import UnlinkActions
from tui.widgets.detail_pane import KEYS_HINT_DELETED, KEYS_HINT_UNLINKED, DetailPane, Failed

if TYPE_CHECKING:
    from services.backend import Backend

log = logging.getLogger(__name__)

CHECKING = row_mark(SIGN_BUSY, "Checking")
GONE_FROM_QUICKBOOKS = row_mark(SIGN_DONE, "Gone from QBD")
CHECK_UNKNOWN = row_mark(SIGN_WARNING, "QBD unknown")


def in_quickbooks_mark(result: CheckResult) -> str:
    lines = len(result.evidence.remaining) if result.evidence else 0
    return row_mark(SIGN_REFUSED, f"In QBD ({lines} line{'s' if lines != 1 else ''})")


def check_mark(result: CheckResult) -> str:
    if result.kind is CheckKind.IN_QUICKBOOKS:
        return in_quickbooks_mark(result)
    if result.kind in (CheckKind.GONE, CheckKind.NOT_LINKED):
        return GONE_FROM_QUICKBOOKS
    return CHECK_UNKNOWN


_COUNTED_AS = {
    CheckKind.GONE: "gone",
    CheckKind.NOT_LINKED: "gone",
    CheckKind.IN_QUICKBOOKS: "there",
}


class FixActions(UnlinkActions):
    """ChangeOrdersScreen's detail pane and the actions on one CCO beyond the unlink."""

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        # CCOs unlinked in this session: gone from the list, still open to `d` and `o`.
        self._unlinked: dict[int, SyncedCco] = {}
        self._deleted: set[int] = set()
        self._check_stop: asyncio.Event | None = None
        """Set by Esc to end a check of many after the CCO in progress; None when none runs."""

    @property
    def checks_running(self) -> bool:
        return self._check_stop is not None and not self._check_stop.is_set()

    def action_stop_batch(self) -> None:
        """Esc: end the unlink of many, or the check of many, after the CCO in progress."""
        if self.checks_running:
            assert self._check_stop is not None
            self._check_stop.set()
            self._set_status(messages.CHECK_STOPPING)
        super().action_stop_batch()

    @property
    def pane(self) -> DetailPane:
        return self.query_one(DetailPane)

    def subject(self) -> SyncedCco | None:
        """The CCO the pane shows when open, else the selected row."""
        if self.pane.is_open and self.pane.cco is not None:
            return self.pane.cco
        return self.selected()

    # The detail pane -----------------------------------------------------------------------------

    def action_open_detail(self) -> None:
        cco = self.selected()
        if cco is None:
            self._toast(Look("warning", "Nothing selected"), messages.NOTHING_SELECTED_TO_OPEN)
            return
        self.open_detail(cco)

    def open_detail(self, cco: SyncedCco) -> None:
        """Open the pane on `cco` and read it live: Procore's record and QuickBooks' order."""
        self.pane.show(cco, self.backend.web_address(cco))
        self._layout_changed()
        self.read_detail(cco)

    def _quickbooks_changed(self, cco: SyncedCco) -> None:
        """A pane showing `cco` reads it again: what it said of QuickBooks is no longer so."""
        if self.pane.is_open and self.pane.cco is not None and self.pane.cco.id == cco.id:
            self.read_detail(cco)

    def action_close_detail(self) -> None:
        self.pane.close()
        self._layout_changed()
        self.table.focus()

    def _layout_changed(self) -> None:
        """Provided by the screen: place the pane beside the list or over it."""
        raise NotImplementedError

    @work(group="detail", exclusive=True, exit_on_error=False)
    async def read_detail(self, cco: SyncedCco) -> None:
        """Procore's record and QuickBooks' order, asked at once; each part of the pane fills
        in as its answer comes. An unlinked CCO has no order to ask about."""
        if cco.id in self._unlinked:
            await self._read_record(cco)
        else:
            await asyncio.gather(self._read_record(cco), self._check_one(cco))

    async def _read_record(self, cco: SyncedCco) -> None:
        try:
            self.pane.set_detail(cco.id, await self.backend.detail(cco))
        except CcoUnlinkError as error:
            self.pane.set_detail(cco.id, Failed(error.message))
        except Exception:
            log.exception("reading CCO %s stopped unexpectedly", cco.id)
            self.pane.set_detail(cco.id, Failed(messages.UNEXPECTED_READ))

    async def _check_one(self, cco: SyncedCco) -> CheckResult | None:
        self.pane.set_check(cco.id, None)
        try:
            result = await self.backend.check(cco)
        except CcoUnlinkError as error:
            self.pane.set_check(cco.id, Failed(error.message))
            return None
        except Exception:
            log.exception("checking CCO %s stopped unexpectedly", cco.id)
            self.pane.set_check(cco.id, Failed(messages.UNEXPECTED_READ))
            return None
        self.pane.set_check(cco.id, result)
        return result

    # Check in QuickBooks -------------------------------------------------------------------------

    def action_check(self) -> None:
        if self._check_stop is not None:  # one check at a time: Esc stops the one that runs
            self._toast(
                Look("warning", "Checking"),
                messages.check_under_way(key_of(self.app, "stop-batch")),
            )
            return
        picked = [self.rows[key] for key in self._picked if key in self.rows]
        ccos = picked or [cco for cco in (self.subject(),) if cco is not None]
        ccos = [cco for cco in ccos if not self._busy(cco.id)]
        if not ccos:
            self._toast(Look("warning", "Nothing to check"), messages.NOTHING_TO_CHECK)
            return
        self.check_many(ccos)

    @work(group="check", exit_on_error=False)
    async def check_many(self, ccos: list[SyncedCco]) -> None:
        """Ask QuickBooks about each CCO, one at a time, and mark its row with the answer."""
        before = {cco.id: self.table.status.get(cco.id, "") for cco in ccos}
        self.table.mark_many([cco.id for cco in ccos], CHECKING)
        counts = {"gone": 0, "there": 0, "unknown": 0}
        stop = self._check_stop = asyncio.Event()
        try:
            await self._check_each(ccos, counts, stop)
        finally:
            self._check_stop = None
            # Not asked: each row as it was, a call per mark (a call per row laid the table out
            # again for each).
            as_it_was: dict[str, list[int]] = {}
            for cco in ccos:
                if self.table.status.get(cco.id) == CHECKING:
                    as_it_was.setdefault(before[cco.id], []).append(cco.id)
            for mark, keys in as_it_was.items():
                self.table.mark_many(keys, mark)
        checked = sum(counts.values())
        all_gone = counts["gone"] == len(ccos)
        self._toast(
            Look("information" if all_gone else "warning", f"Checked {checked} in QuickBooks"),
            messages.checked_many(counts["gone"], counts["there"], counts["unknown"])
            + (f" {messages.checks_not_asked(len(ccos) - checked)}" if checked < len(ccos) else ""),
        )
        self._set_status()

    async def _check_each(
        self, ccos: list[SyncedCco], counts: dict[str, int], stop: asyncio.Event
    ) -> None:
        for done, cco in enumerate(ccos, start=1):
            if stop.is_set():
                return
            self._set_status(messages.checking_many(done, len(ccos)))
            result = await self._check_one(cco)
            key = "unknown" if result is None else _COUNTED_AS.get(result.kind, "unknown")
            counts[key] += 1
            if cco.id not in self.rows or self._busy(cco.id):
                continue  # unlinked, gone from the list, or being unlinked meanwhile
            self.table.mark(cco.id, CHECK_UNKNOWN if result is None else check_mark(result))

    # Copy ----------------------------------------------------------------------------------------

    def action_copy_id(self) -> None:
        cco = self.subject()
        if cco is not None:
            self._copy(str(cco.id), f"CCO id {cco.id}")

    def action_copy_address(self) -> None:
        cco = self.subject()
        if cco is not None:
            self._copy(self.backend.web_address(cco), "Procore address of the CCO")

    def _copy(self, text: str, what: str) -> None:
        # OSC 52: the terminal (even at the far end of SSH) puts it on the clipboard.
        self.app.copy_to_clipboard(text)
        self._toast(Look("information", "Copied"), clipboard.copied(what, text))

    # Step 3: delete in Procore -------------------------------------------------------------------

    def action_delete_in_procore(self) -> None:
        cco = self.subject()
        if cco is None:
            return
        if cco.id in self._deleted:
            self._toast(Look("warning", f"CCO #{cco.number}"), messages.DELETE_NOT_FOUND)
            return
        if cco.id not in self._unlinked:
            # Every row of the list is synced: Procore would refuse, and so do we, asking nothing.
            self._toast(Look("error", f"CCO #{cco.number}"), messages.DELETE_STILL_LINKED)
            return
        self.confirm_and_delete_in_procore(cco)

    @work(group="procore-delete", exit_on_error=False)
    async def confirm_and_delete_in_procore(self, cco: SyncedCco) -> None:
        number = cco.number or str(cco.id)
        typed = await self.app.push_screen_wait(
            TypedConfirmScreen(
                "Delete in Procore",
                messages.procore_delete_question(cco.label, number),
                number,
                confirm_label="Delete in Procore",
            )
        )
        if not typed:
            return
        try:
            with self.change_out():
                outcome = await self.backend.delete_in_procore(cco)
        except CcoUnlinkError as error:
            self._toast(error_look(error), error.message)
            return
        except Exception:
            log.exception("deleting CCO %s stopped unexpectedly", cco.id)
            self._toast(Look("warning", f"CCO #{cco.number}"), messages.delete_unknown(""))
            return
        severity: SeverityLevel = "information" if outcome.kind.gone else "error"
        if outcome.kind is DeleteKind.OUTCOME_UNKNOWN:
            severity = "warning"
        self._toast(Look(severity, f"CCO #{cco.number} {cco.title}"), outcome.message)
        if outcome.audit_error:
            self._toast(Look("warning", "Audit log"), outcome.audit_error)
        if outcome.kind.gone:
            self._unlinked.pop(cco.id, None)
            self._deleted.add(cco.id)
            self.pane.set_next_step(cco.id, f"{SIGN_DONE} {outcome.message}", KEYS_HINT_DELETED)
        else:
            self.pane.set_next_step(cco.id, f"{SIGN_REFUSED} {outcome.message}")

    # After an unlink -----------------------------------------------------------------------------

    def _unlinked_one(self, cco: SyncedCco, outcome: UnlinkOutcome) -> None:
        """A single CCO unlinked: the pane shows it with what the fix asks next."""
        self._unlinked[cco.id] = cco
        if not (self.pane.is_open and self.pane.cco and self.pane.cco.id == cco.id):
            self.open_detail(cco)
        word = "Unlinked" if outcome.kind is OutcomeKind.UNLINKED else "Already unlinked"
        self._show_unlinked(cco, word, outcome)

    def _remember_unlinked(self, cco: SyncedCco) -> None:
        """An unlink of many unlinked it: `d` and `o` can still reach it from the summary."""
        self._unlinked[cco.id] = cco

    def _open_from_summary(self, cco: SyncedCco | None) -> None:
        if cco is None:
            return
        self.open_detail(cco)
        if cco.id in self._unlinked:
            self._show_unlinked(cco, "Unlinked", None)

    def _next_keys(self) -> str:
        address, delete = key_of(self.app, "copy-address"), key_of(self.app, "delete-in-procore")
        return f"Press {address} to copy its Procore address, {delete} to delete it in Procore."

    def _show_unlinked(self, cco: SyncedCco, word: str, outcome: UnlinkOutcome | None) -> None:
        """The pane on an unlinked CCO: what QuickBooks said before the unlink when known (it
        is not asked again: the link is gone), and step 3 of the fix."""
        evidence = outcome.quickbooks if outcome else None
        check = (
            CheckResult(
                cco.id,
                CheckKind.GONE,
                messages.gone_from_quickbooks(evidence, ready=False),
                evidence,
            )
            if evidence is not None
            else CheckResult(cco.id, CheckKind.NOT_LINKED, messages.UNLINKED_NOW)
        )
        self.pane.set_check(cco.id, check)
        self.pane.set_next_step(
            cco.id,
            f"{SIGN_DONE} {word}. {messages.NEXT_STEP} {self._next_keys()}",
            KEYS_HINT_UNLINKED,
        )
