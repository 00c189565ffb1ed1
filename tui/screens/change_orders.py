"""The main screen: CCOs synced with QuickBooks Desktop, a filter, and the unlink action."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widget import AwaitMount
from textual.widgets import Input, Static

from services import messages
from services.errors import CacheUnreadableError, CcoUnlinkError, ProcoreSignInRequiredError
from services.export import report_file, write_list_csv
from services.models import CachedList, Company, LoadProgress, SyncedCco, User
from tui.bindings import LIST_BINDINGS, key_of
from tui.feedback import Look, error_look
from tui.screens.fix_actions import FixActions
from tui.screens.sign_in import SignInScreen
from tui.screens.unlink_actions import BUSY, PICKED
from tui.widgets.app_header import AppHeader
from tui.widgets.cco_table import CcoTable
from tui.widgets.detail_pane import DetailPane
from tui.widgets.filter_input import FilterInput
from tui.widgets.key_footer import KeyFooter
from tui.widgets.load_progress import LoadProgressBar
from tui.widgets.status_line import ListSummary, StatusLine

if TYPE_CHECKING:
    from textual.timer import Timer

    from services.backend import Backend

log = logging.getLogger(__name__)

ROWS_ON_SCREEN_WAIT_S = 0.5
CACHED_ROWS_WAIT_S = 0.25
"""How long the first frame waits for a restart's cached rows being read: a slow disk's list
comes a frame later instead."""
LOAD_SHOWN_EVERY_S = 0.1
DETAIL_BESIDE_FROM = 120
"""From this many columns the detail pane sits beside the list; narrower, it covers it."""


class ChangeOrdersScreen(FixActions):
    BINDINGS: ClassVar[list[BindingType]] = LIST_BINDINGS
    # The list has the focus from the start. Textual's default gives it to the first widget that
    # takes focus, the hidden filter box, and on_mount's move to the list then restyled both and
    # repainted the whole screen twice, just after the first frame.
    AUTO_FOCUS = "#ccos"

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.load_note = ""
        self.cache_note = ""
        self._filter_box: FilterInput | None = None
        self._filter_mounting: AwaitMount | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader(
            self.app.title,
            self.backend.environment_label,
            production=self.backend.is_production,
        )
        yield Static(messages.LIST_TITLE, id="list-title")
        # The filter box is made at the first `/` (see filter_input).
        with Horizontal(id="body"):
            yield CcoTable(id="ccos")
            yield DetailPane(id="detail")
        yield LoadProgressBar(id="load-progress")
        yield StatusLine(id="status-line")
        yield KeyFooter()

    def on_resize(self) -> None:
        self._layout_changed()

    def _layout_changed(self) -> None:
        """From 120 columns the pane sits beside the list; below, it covers the list."""
        wide = self.size.width >= DETAIL_BESIDE_FROM
        open_ = self.pane.is_open
        self.set_class(open_ and not wide, "-detail-over")
        self.set_class(open_ and wide, "-detail-beside")
        if open_ and not wide:
            self.pane.focus()
        elif self.focused is self.pane:
            self.table.focus()

    @property
    def picked(self) -> list[int]:
        """CCOs picked for one unlink of many, in the order they were picked."""
        return list(self._picked)

    @property
    def filter_words(self) -> list[str]:
        return self.table.filter_words

    @property
    def filter_input(self) -> FilterInput:
        """The filter box, made and mounted at its first use: hidden until then, it held every
        start's first frame back by 5-6 ms of CPU (Textual's Input, its styles and its
        mounting), and many sessions never filter."""
        if self._filter_box is None:
            self._filter_box = FilterInput(id="filter")
            self._filter_mounting = self.mount(self._filter_box, after="#list-title")
            self._filter_box.edited.subscribe(
                self, _logged(self._apply_filter, "filtering"), immediate=True
            )
        return self._filter_box

    def on_mount(self) -> None:
        self.table.focus()
        self.table.arranged.subscribe(
            self, _logged(self._set_status, "saying the list's state"), immediate=True
        )
        # A restart's rows go into the screen's very first frame rather than the one after:
        # when their read (see Backend.prepare_first_screen) has not ended yet, it is waited
        # for. That read needs a millisecond or two of the interpreter, but had to share it
        # with the app's start: one restart in five painted an empty list first, and its rows
        # 20-30 ms later.
        cached = self.backend.cached_list_at_hand(wait_s=CACHED_ROWS_WAIT_S)
        if cached is not None:
            self._show_cached(cached)
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "delete_in_quickbooks":
            return self.backend.can_delete_in_quickbooks
        if action == "stop_batch":
            unlinking = self.running is not None and not self.running.stop_requested
            return unlinking or self.checks_running
        if action == "close_detail":
            return self.pane.is_open
        if action == "clear_filter":
            box = self._filter_box
            return bool(self.filter_words) or (box is not None and box.is_open)
        return True

    # Loading -------------------------------------------------------------------------------

    @work(exclusive=True, group="load", exit_on_error=False)
    async def load(self, full: bool = False) -> None:
        """Show the cached list at once if there is one, then bring it up to date: only what
        changed since, or everything when `full` (the refresh key) or nothing is cached."""
        reading: asyncio.Task[bool] | None = None
        try:
            cached = None if full else await self.backend.cached_list()
            if cached is None:
                self._set_status(messages.CONNECTING)
                await self._on_screen(self.table.painted)
            else:
                # Shown before connecting, marked as cached: a restart does not wait for the
                # network. (on_mount may have shown it already, from the read-ahead.)
                self._show_cached(cached)
                if cached.rows:
                    await self._on_screen(self.table.rows_painted)
                reading = asyncio.ensure_future(self._read_rest(cached))
            if self.backend.company is None:
                user, company = await self.backend.connect()
                self._tell_settled()
                self._show_account(user, company)
                if cached is None and not full:
                    # A person's cached list is theirs alone: known only once signed in.
                    cached = await self.backend.cached_list()
                    if cached is not None:
                        self.table.replace_rows(cached.rows)
                        reading = asyncio.ensure_future(self._read_rest(cached))
                if cached is not None and any(c.company_id != company.id for c in cached.rows):
                    cached = None
            # The changes go on top of the whole cached list: it is read to the end first.
            if reading is not None and not await reading:
                cached = None
            if cached is None or not cached.load_finished:
                await self._load_everything(resume=cached)
            else:
                await self._load_changes(cached)
            self.load_note = ""
        except CcoUnlinkError as error:
            self.load_note = messages.list_not_loaded(error.message)
            if isinstance(error, ProcoreSignInRequiredError) and self.backend.sign_in is not None:
                self.app.push_screen(SignInScreen(self.backend, error.message), self._signed_in)
            else:
                self._toast(error_look(error), error.message)
        except Exception:
            log.exception("loading the list stopped unexpectedly")
            said = messages.unexpected_load(key_of(self.app, "refresh"))
            self.load_note = messages.list_not_loaded(said)
            self._toast(Look("error", "List not loaded"), said)
        finally:
            if reading is not None:
                reading.cancel()
            self.query_one(LoadProgressBar).hide()
            self._set_status()

    def _show_cached(self, cached: CachedList) -> None:
        if not self.table.records:
            self.table.replace_rows(cached.rows)
        if cached.loaded_projects is not None:
            note = messages.unfinished_list(cached.saved_at, len(cached.loaded_projects))
        else:
            note = messages.cached_list(cached.saved_at)
        self._set_status(f"{note} · {messages.CONNECTING_AFTER_CACHED}")

    async def _read_rest(self, cached: CachedList) -> bool:
        """Add the cached rows after the first screen's, a chunk at a time, while the screen
        already answers keys. False when the cache failed part-way (the list is then loaded
        afresh)."""
        read = len(cached.rows)
        try:
            async for chunk in self.backend.cached_rest(cached):
                self.table.add_rows(chunk)
                read += len(chunk)
                note = messages.cached_list(cached.saved_at)
                self._set_status(f"{note} · {messages.reading_cache(read)}")
        except CacheUnreadableError as error:
            self._toast(Look("warning", "Cached list"), error.message)
            return False
        return True

    async def _on_screen(self, painted: asyncio.Event) -> None:
        """Wait until the table is `painted` (with the rows in hand, or at all): signing in
        starts with CPU work (loading the HTTP stack, TLS) that would otherwise hold the first
        frame back. Not for long, though: a screen covered by another shows no rows."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(painted.wait(), ROWS_ON_SCREEN_WAIT_S)

    def _signed_in(self, signed_in: bool | None) -> None:
        """Back from the sign-in screen: load as the person now signed in, or say why not."""
        if signed_in and self.backend.user and self.backend.company:
            self._show_account(self.backend.user, self.backend.company)
            self.load()

    def _tell_settled(self) -> None:
        """Say what connecting read back of changes an earlier run left unaccounted for."""
        report = self.backend.settlement
        if report is not None and (report.settled or report.left):
            self._toast(
                Look("warning", "Audit log"),
                messages.settled_on_start(len(report.settled), len(report.left), report.problem),
            )

    def _show_account(self, user: User, company: Company) -> None:
        self.query_one(AppHeader).account = f"{company.name} · {user.login}"

    async def _load_everything(self, resume: CachedList | None = None) -> None:
        """Load every project; after a load stopped part-way (`resume`), only the projects it
        had not reached, the rows it saved staying on screen."""
        first_batch = resume is None
        # Marks (In QBD, refused, failed, picked) are what a person learned of each row: a
        # reload keeps them on the rows that come back.
        marks = dict(self.table.status)
        self.backend.prefer_projects(self.filter_words)
        progress_bar = self.query_one(LoadProgressBar)
        # Projects come in faster than a person reads (a hundred a second from a quick server):
        # shown together, a tenth of a second's at a time, rather than a frame each (about a
        # tenth of the load's CPU); the first rows at once.
        arrived: list[SyncedCco] = []
        # From now: the projects' list, when the first project's rows follow within the tenth,
        # is shown with them, in one frame. What is not shown at once is shown within the
        # tenth all the same (`pending`): a slow project, or one waiting out a rate-limit
        # window, must not leave the load looking as if it had not begun.
        shown_at = time.monotonic()
        latest: LoadProgress | None = None
        pending: Timer | None = None

        def show(progress: LoadProgress | None) -> None:
            nonlocal arrived, shown_at, pending
            if pending is not None:
                pending.stop()
                pending = None
            if arrived:
                self.table.add_rows(arrived)
                self._restore_marks(arrived, marks)
            arrived, shown_at = [], time.monotonic()
            if progress is not None:
                progress_bar.show(progress)
                self._set_status(messages.loading(progress))

        def show_latest() -> None:
            show(latest)

        try:
            async for batch, progress in self.backend.synced_ccos(resume=resume):
                latest = progress
                if first_batch:
                    self.table.replace_rows([])
                    self.cache_note = ""
                    first_batch = False
                arrived += batch
                first_rows = bool(batch) and not self.table.records  # at once, as ever
                due = time.monotonic() - shown_at >= LOAD_SHOWN_EVERY_S
                if first_rows or due or progress.fraction >= 1:
                    show(progress)
                elif pending is None:
                    pending = self.set_timer(LOAD_SHOWN_EVERY_S, show_latest)
                if first_rows:
                    # On screen before the other projects' requests go out: otherwise their
                    # answers, read before the next frame, held the first rows back.
                    await self._on_screen(self.table.rows_painted)
        except Exception:
            show(None)  # what came in before the failure is shown, as it is saved
            raise
        finally:
            if pending is not None:  # cancelled: nothing more is shown
                pending.stop()
        show(None)

    def _restore_marks(self, rows: list[SyncedCco], marks: dict[int, str]) -> None:
        by_mark: dict[str, list[int]] = {}
        for cco in rows:
            mark = marks.get(cco.id)
            if mark and mark not in BUSY:  # what is busy now is in self.working
                by_mark.setdefault(mark, []).append(cco.id)
        for mark, ids in by_mark.items():
            self.table.mark_many(ids, mark)
        self._remark_working(cco.id for cco in rows)

    async def _load_changes(self, cached: CachedList) -> None:
        self.cache_note = messages.cached_list(cached.saved_at)
        self._set_status(f"{self.cache_note} · {messages.CHECKING_FOR_CHANGES}")
        changed = removed = 0
        async for changes in self.backend.changed_ccos(cached):
            self.table.add_rows(changes.changed)
            self._remark_working(cco.id for cco in changes.changed)
            for cco_id in changes.removed:
                self.table.remove_row(cco_id)
            changed += len(changes.changed)
            removed += len(changes.removed)
            self._set_status(f"{self.cache_note} · {messages.checking(changes.progress)}")
        self.cache_note = messages.cache_refreshed(cached.saved_at, changed, removed)

    def _set_status(self, text: str | None = None) -> None:
        status_line = self.query_one(StatusLine)
        if text is not None:
            status_line.say(text)
        elif self.load_note:
            status_line.say(self.load_note)
        else:
            status_line.summarize(
                ListSummary(
                    total=len(self.rows),
                    shown=self.table.row_count,
                    filter_words=tuple(self.filter_words),
                    picked=len(self._picked),
                    sort=self.table.sort_description,
                    cache_note=self.cache_note,
                    searching=self.table.busy,
                )
            )

    def action_refresh(self) -> None:
        if self.work_under_way:
            # A reload mid-way would show rows whose unlink is still out as if nothing were.
            self._toast(Look("warning", "Not refreshed"), messages.REFRESH_WAITS)
            return
        self.load(full=True)

    @work(group="export", exclusive=True, exit_on_error=False)
    async def action_export(self) -> None:
        """The rows shown, in their order, as CSV: written in a thread (100,000 rows take a
        moment), from a copy of the rows, so the list can change meanwhile."""
        ccos = [self.rows[key] for key in self.table.row_keys]
        if not ccos:
            self._toast(Look("warning", "Nothing to export"), messages.NO_ROW_SHOWN)
            return
        marks = dict(self.table.status)
        try:
            path = report_file("list", datetime.now())
            written = await asyncio.to_thread(write_list_csv, path, ccos, marks)
        except OSError as error:
            self._toast(Look("error", "Not exported"), messages.file_not_written(error))
            return
        self._toast(Look("information", "Exported"), messages.rows_exported(written, path))

    # Filter --------------------------------------------------------------------------------

    async def action_filter(self) -> None:
        box = self.filter_input
        if self._filter_mounting is not None:
            # Keys typed meanwhile wait their turn, and then go to the box (FilterInput.open).
            await self._filter_mounting
            self._filter_mounting = None
        if self.focused is box:
            box.insert_text_at_cursor("/")
        else:
            box.open()

    def on_key(self, event: events.Key) -> None:
        """Keys that reach the screen while the filter is opening belong to the filter."""
        if self._filter_box is None:
            return
        taken = self._filter_box.take_key(event)
        if taken == "enter":
            self._filter_submitted()
        elif taken == "escape":
            self.action_clear_filter()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.filter_input.typing_ahead = False
        self._apply_filter()
        if not self.filter_words:
            self.filter_input.close(clear=False)
        self.table.focus()

    def action_clear_filter(self) -> None:
        self.filter_input.close(clear=True)
        self._apply_filter()
        self.table.focus()

    def _apply_filter(self) -> None:
        """Filter by what the input holds now (its Changed message may still be on its way)."""
        words = self.filter_input.words
        if words != self.filter_words:
            self.table.set_filter(words)
            # A project the person looks for is loaded before the others.
            self.backend.prefer_projects(words)
            self._set_status()

    # Picking -------------------------------------------------------------------------------

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


def _logged(action: Callable[[], object], what: str) -> Callable[[object], None]:
    """A signal's subscriber: Textual keeps a subscriber's error out of the log file (its own
    devtools only), so it is logged here."""

    def subscriber(_: object) -> None:
        try:
            action()
        except Exception:
            log.exception("%s stopped unexpectedly", what)

    return subscriber
