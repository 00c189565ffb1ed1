"""The main screen: CCOs synced with QuickBooks Desktop, a filter, and the unlink action."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from services import messages
from services.errors import CcoUnlinkError, ProcoreSignInRequiredError
from services.models import CachedList, Company, OutcomeKind, SyncedCco, UnlinkOutcome, User
from services.settings import UiSettings
from tui.feedback import OUTCOME_SEVERITY, ROW_STATUS, Look, error_look
from tui.screens.confirm import ConfirmScreen
from tui.screens.sign_in import SignInScreen
from tui.widgets.cco_table import CcoTable, money

if TYPE_CHECKING:
    from services.backend import Backend

log = logging.getLogger(__name__)

LIST_TITLE = "Change Orders – Successfully Synced with QuickBooks® Desktop"
UNLINKING = "Unlinking…"
DELETING = "Deleting…"
PICKED = "● Picked"
WAITING = "Waiting…"
BUSY = (UNLINKING, DELETING, WAITING)
"""A row in one of these states is being worked on: not to be picked or started again."""
ROWS_ON_SCREEN_WAIT_S = 0.5


class ChangeOrdersScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "u", "unlink", "Unlink", id="unlink", tooltip="Unlink the picked CCOs, else this one"
        ),
        Binding("space", "pick", "Pick", id="pick", tooltip="Pick this CCO for one unlink of many"),
        Binding("a", "pick_shown", "Pick all", id="pick-shown", tooltip="Pick every row shown"),
        # A priority binding runs as the key arrives, before later keys are passed on: see
        # action_filter for why that order matters.
        Binding(
            "slash",
            "filter",
            "Filter",
            id="filter",
            tooltip="Show only rows with every word",
            priority=True,
        ),
        Binding(
            "r", "refresh", "Refresh", id="refresh", tooltip="Load the list again from Procore"
        ),
        Binding(
            "x",
            "delete_in_quickbooks",
            "Delete in QBD (sandbox)",
            id="delete-in-quickbooks",
            tooltip="Sandbox only: delete the CCO's lines in the simulated QuickBooks",
        ),
        Binding("escape", "clear_filter", "Clear filter", id="clear-filter", show=False),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self.load_note = ""
        self.cache_note = ""
        self._filter_active = False
        # A dict as an ordered set: "pick all" over 100,000 rows must not test a list each time.
        self._picked: dict[int, None] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(LIST_TITLE, id="list-title")
        yield Input(placeholder="Filter: every word must appear in the row", id="filter")
        yield CcoTable(id="ccos")
        yield Static("", id="status-line", markup=False)
        yield Footer()

    @property
    def picked(self) -> list[int]:
        """CCOs picked for one unlink of many, in the order they were picked."""
        return list(self._picked)

    @property
    def table(self) -> CcoTable:
        return self.query_one(CcoTable)

    @property
    def rows(self) -> dict[int, SyncedCco]:
        """Every CCO held, shown or filtered out."""
        return self.table.records

    @property
    def filter_words(self) -> list[str]:
        return self.table.filter_words

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter", Input)

    def on_mount(self) -> None:
        self.table.focus()
        # A restart's rows, when already read (see Backend.prepare_first_screen), go into the
        # screen's very first frame rather than the one after.
        cached = self.backend.cached_list_at_hand()
        if cached is not None:
            self._show_cached(cached)
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "delete_in_quickbooks":
            return self.backend.is_sandbox
        if action == "clear_filter":
            return bool(self.filter_words) or self.filter_input.has_class("-shown")
        return True

    # Loading -------------------------------------------------------------------------------

    @work(exclusive=True, group="load", exit_on_error=False)
    async def load(self, full: bool = False) -> None:
        """Show the cached list at once if there is one, then bring it up to date: only what
        changed since, or everything when `full` (the refresh key) or nothing is cached."""
        try:
            cached = None if full else await self.backend.cached_list()
            if cached is None:
                self._set_status("Connecting to Procore…")
            else:
                # Shown before connecting, marked as cached: a restart does not wait for the
                # network. (on_mount may have shown it already, from the read-ahead.)
                self._show_cached(cached)
                if cached.rows:
                    await self._rows_on_screen()
            if self.backend.company is None:
                user, company = await self.backend.connect()
                self._show_account(user, company)
                if cached is None and not full:
                    # A person's cached list is theirs alone: known only once signed in.
                    cached = await self.backend.cached_list()
                    if cached is not None:
                        self.table.replace_rows(cached.rows)
                if cached is not None and any(c.company_id != company.id for c in cached.rows):
                    cached = None
            if cached is None:
                await self._load_everything()
            else:
                await self._load_changes(cached)
            self.load_note = ""
        except CcoUnlinkError as error:
            self.load_note = "List not loaded: " + error.message
            if isinstance(error, ProcoreSignInRequiredError) and self.backend.sign_in is not None:
                self.app.push_screen(SignInScreen(self.backend, error.message), self._signed_in)
            else:
                self._toast(error_look(error), error.message)
        except Exception:
            log.exception("loading the list stopped unexpectedly")
            self.load_note = "List not loaded: " + messages.UNEXPECTED_LOAD
            self._toast(Look("error", "List not loaded"), messages.UNEXPECTED_LOAD)
        finally:
            self._set_status()

    def _show_cached(self, cached: CachedList) -> None:
        if not self.table.records:
            self.table.replace_rows(cached.rows)
        self._set_status(f"{messages.cached_list(cached.saved_at)} · connecting…")

    async def _rows_on_screen(self) -> None:
        """Wait until the rows in hand are painted: signing in starts with CPU work (loading the
        HTTP stack, TLS) that would otherwise hold them off the screen. Not for long, though:
        a screen covered by another shows no rows."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.table.rows_painted.wait(), ROWS_ON_SCREEN_WAIT_S)

    def _signed_in(self, signed_in: bool | None) -> None:
        """Back from the sign-in screen: load as the person now signed in, or say why not."""
        if signed_in and self.backend.user and self.backend.company:
            self._show_account(self.backend.user, self.backend.company)
            self.load()

    def _show_account(self, user: User, company: Company) -> None:
        mode = " · sandbox" if self.backend.is_sandbox else ""
        self.sub_title = f"{company.name} · {user.login}{mode}"

    async def _load_everything(self) -> None:
        first_batch = True
        async for batch, progress in self.backend.synced_ccos():
            if first_batch:
                self.table.replace_rows([])
                self.cache_note = ""
                first_batch = False
            self.table.add_rows(batch)
            self._set_status(messages.loading(progress))

    async def _load_changes(self, cached: CachedList) -> None:
        self.cache_note = messages.cached_list(cached.saved_at)
        self._set_status(f"{self.cache_note} · {messages.CHECKING_FOR_CHANGES}")
        changed = removed = 0
        async for changes in self.backend.changed_ccos(cached):
            self.table.add_rows(changes.changed)
            for cco_id in changes.removed:
                self.table.remove_row(cco_id)
            changed += len(changes.changed)
            removed += len(changes.removed)
            self._set_status(f"{self.cache_note} · {messages.checking(changes.progress)}")
        self.cache_note = messages.cache_refreshed(cached.saved_at, changed, removed)

    def _set_status(self, text: str | None = None) -> None:
        if text is None:
            shown, total = self.table.row_count, len(self.rows)
            text = f"{total} synced CCO{'s' if total != 1 else ''}"
            if self.filter_words:
                text += f" · filter “{' '.join(self.filter_words)}”: {shown} shown"
            if self._picked:
                text += f" · {len(self._picked)} picked (u unlinks them)"
            if self.cache_note:
                text += f" · {self.cache_note}"
            if self.load_note:
                text = self.load_note
        self.query_one("#status-line", Static).update(text)

    # Filter --------------------------------------------------------------------------------

    def action_filter(self) -> None:
        if self.focused is self.filter_input:
            self.filter_input.insert_text_at_cursor("/")
            return
        self.filter_input.add_class("-shown")
        self.filter_input.focus()
        # Focus moves on a later turn of the event loop, and keys typed ahead of it (a fast
        # typist, SSH latency) are already on their way to the table, where "r", "u" and "x"
        # are actions. While the filter is open, on_key hands such keys to the filter instead.
        self._filter_active = True

    @on(Input.Blurred, "#filter")
    def _filter_left(self) -> None:
        self._filter_active = False

    def on_key(self, event: events.Key) -> None:
        """Keys that reach the screen while the filter is open belong to the filter."""
        if not self._filter_active:
            return
        if event.key == "enter":
            self._filter_submitted()
        elif event.key == "escape":
            self.action_clear_filter()
        elif event.key == "backspace":
            self.filter_input.action_delete_left()
        elif event.is_printable and event.character:
            self.filter_input.insert_text_at_cursor(event.character)
        else:
            return
        event.stop()
        event.prevent_default()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._apply_filter()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self._filter_active = False
        self._apply_filter()
        if not self.filter_words:
            self.filter_input.remove_class("-shown")
        self.table.focus()

    def action_clear_filter(self) -> None:
        self._filter_active = False
        self.filter_input.value = ""
        self.filter_input.remove_class("-shown")
        self._apply_filter()
        self.table.focus()

    def _apply_filter(self) -> None:
        """Filter by what the input holds now (its Changed message may still be on its way)."""
        words = self.filter_input.value.lower().split()
        if words != self.filter_words:
            self.table.set_filter(words)
            self._set_status()

    def action_refresh(self) -> None:
        self.load(full=True)

    # Unlink --------------------------------------------------------------------------------

    def selected(self) -> SyncedCco | None:
        key = self.table.current_key
        return self.rows.get(key) if key is not None else None

    def action_pick(self) -> None:
        cco = self.selected()
        if cco is None or self._busy(cco.id):
            return
        if cco.id in self._picked:
            del self._picked[cco.id]
            self._mark(cco.id, "")
        else:
            self._picked[cco.id] = None
            self._mark(cco.id, PICKED)
        self.table.action_cursor_down()
        self._set_status()

    def action_pick_shown(self) -> None:
        """Pick every row the filter shows; when all are picked already, drop them all."""
        shown = [key for key in self.table.row_keys if not self._busy(key)]
        if shown and all(key in self._picked for key in shown):
            for key in shown:
                del self._picked[key]
            self.table.mark_many(shown, "")
        else:
            newly = [key for key in shown if key not in self._picked]
            self._picked.update(dict.fromkeys(newly))
            self.table.mark_many(newly, PICKED)
        self._set_status()

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
        self._mark(cco.id, "Failed")
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
        self._mark(cco.id, "Not in QBD")
        self._toast(Look("information", "QuickBooks® Desktop (sandbox)"), message)

    # ---------------------------------------------------------------------------------------

    def _toast(self, look: Look, message: str) -> None:
        seconds = getattr(self.app, "toast_seconds", UiSettings.toast_seconds)
        self.app.notify(
            message,
            title=look.title,
            severity=look.severity,
            timeout=seconds * (2 if look.severity == "error" else 1),
            markup=False,
        )
