"""The table of synced CCOs: holds every row, shows those the filter lets through, in the chosen
order. Only the rows on screen are ever painted (see VirtualTable), so a filter keystroke or a sort
costs one pass over plain Python lists. Past BACKGROUND_FROM rows that pass runs in a thread, in
slices that each hold the interpreter only briefly, so keys keep being answered; the result is
shown in one swap, and a newer keystroke or sort makes an older one give up. Such a list's every
column order is worked out once it settles (sort_orders.py): a sort is then a swap at once."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import time
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import ClassVar

from rich.style import Style
from textual.binding import BindingType
from textual.signal import Signal
from textual.timer import Timer

from services.models import SyncedCco
from tui.bindings import TABLE_BINDINGS
from tui.feedback import SIGN_DONE, SIGN_PICKED, SIGN_REFUSED, SIGN_WARNING
from tui.widgets.arrangement import SORT_KEYS, Arrangement, SortKey
from tui.widgets.cco_columns import (
    COLUMN_KEYS,
    COLUMN_NAMES,
    COLUMNS,
    SORT_MARKS,
    STATUS_MARK_WIDTH,
    row_cells,
    text_widths,
)
from tui.widgets.column_layout import Column
from tui.widgets.search_index import SearchIndex
from tui.widgets.sort_orders import SortOrders, pausing, ready_order, work_out
from tui.widgets.virtual_table import VirtualTable

# Rows whose search text is built per turn of the event loop: about 8 ms of work.
INDEX_SLICE = 5_000
INDEX_PAUSE_S = 0.002
# Rows whose texts are measured for the column widths per turn of the event loop: about 6 ms.
MEASURE_SLICE = 10_000
# From this many rows, a settled list is moved out of the garbage collector's periodic walks.
FREEZE_FROM_ROWS = 10_000
# From this many rows, sorting and filtering run in a thread (tui/widgets/arrangement.py), and
# every column's order is worked out ahead (tui/widgets/sort_orders.py) ...
BACKGROUND_FROM = 50_000
# ... once the rows have stopped changing for this long.
ORDERS_PAUSE_S = 0.5
# Up to this many rows, an order at hand (load order, the marks', one worked out ahead) is taken
# on the event loop (about 5 ms for 100,000 rows); more, in a thread, a slice at a time: a
# million at once held keys up for 80-130 ms.
ORDER_AT_ONCE = 300_000
# Up to this many rows, a filter keystroke searches them on the event loop, in C (about 15 ms
# for 100,000 rows); in a thread, the pauses that let keys be answered meanwhile made a
# keystroke's result show 60-90 ms after it.
FILTER_AT_ONCE = 150_000


_SIGN_COMPONENTS = {
    SIGN_DONE: "cco-table--done",
    SIGN_REFUSED: "cco-table--refused",
    SIGN_WARNING: "cco-table--warning",
    SIGN_PICKED: "cco-table--picked",
}


class CcoTable(VirtualTable):
    BINDINGS: ClassVar[list[BindingType]] = TABLE_BINDINGS
    COMPONENT_CLASSES: ClassVar[set[str]] = VirtualTable.COMPONENT_CLASSES | set(
        _SIGN_COMPONENTS.values()
    )
    DEFAULT_CSS = """
    CcoTable {
        & > .cco-table--done { color: $text-success; }
        & > .cco-table--refused { color: $text-error; }
        & > .cco-table--warning { color: $text-warning; }
        & > .cco-table--picked { color: $text-accent; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(COLUMNS, id=id)
        self.records: dict[int, SyncedCco] = {}
        self.status: dict[int, str] = {}
        self.filter_words: list[str] = []
        self.sort_column: str | None = None
        self.sort_reverse = False
        # Search texts are built after the rows are shown, a slice per turn of the event loop,
        # so that 100,000 rows appear at once; a filter typed sooner builds the rest first.
        self._search = SearchIndex()
        self._unindexed: list[int] = []
        self._indexing = False
        # Every id, in the current order (load order until a sort is chosen).
        self._order: list[int] = []
        self._sort_keys: dict[str, dict[int, SortKey]] = {}
        # The widest text of each column, for the layout: grows as rows arrive. A whole list
        # is measured a slice per turn of the event loop (100,000 rows take 60 ms): the rows
        # not measured yet are _unmeasured[_measured_to:].
        self._text_widths: dict[str, int] = {}
        self._unmeasured: list[SyncedCco] = []
        self._measured_to = 0
        self._measure_timer: Timer | None = None
        # The order or filter being worked out in a thread, if any: setting it makes that work
        # give up; `_version` counts changes to the rows, so a result computed from rows that
        # changed meanwhile is worked out again rather than shown.
        self._pending: Arrangement | None = None
        self._version = 0
        # Every column's order, worked out ahead once a long list settles; None while the rows
        # have changed since (a row removed leaves them right).
        self._orders: SortOrders | None = None
        self._orders_cancel = threading.Event()
        self._orders_go = threading.Event()
        """Clear while a sort or filter is worked out in a thread, or keys were pressed in the
        last ORDERS_PAUSE_S: the orders' work waits (see _let_orders_go)."""
        self._orders_go.set()
        self._keys_at = 0.0
        self._keys_timer: Timer | None = None
        self._changed_at = 0.0
        self._orders_timer: Timer | None = None
        self.arranged: Signal[None] = Signal(self, "arranged")
        """Published as the order shown changes, or a sort or filter worked out in the
        background comes into view. A subscriber called at once (immediate) updates what it
        says of the list in the same frame: a message would reach it a frame later."""
        self.paints_when_arranged = 0
        """`paints` when a sort or filter last came into view: lets a benchmark wait for the
        paint that shows it."""

    @property
    def busy(self) -> bool:
        """A sort or filter is being worked out in the background."""
        return self._pending is not None

    @property
    def orders_ready(self) -> bool:
        """Every column's order of the rows held is worked out: a sort shows at once."""
        return self._orders is not None

    # Rows ---------------------------------------------------------------------------------

    def replace_rows(self, rows: Iterable[SyncedCco]) -> None:
        """Hold exactly `rows`; statuses of rows that stay are kept."""
        self.records = {cco.id: cco for cco in rows}
        self._version += 1
        self._search = SearchIndex()
        self._unindexed = list(self.records)
        self._order = list(self.records)
        self._sort_keys = {}
        self._rows_changed()
        self._index_later()
        self.status = {k: v for k, v in self.status.items() if k in self.records}
        self._text_widths = {}
        self._status_width()
        self._unmeasured, self._measured_to = list(self.records.values()), 0
        self._measure_slice()
        if self.sort_column is None and not self.filter_words:
            self._cancel_pending()
            self.show(list(self._order))
        else:
            self._arrange()

    def add_rows(self, batch: Sequence[SyncedCco]) -> None:
        """Add or update rows; while nothing is sorted or filtered, new rows go at the end."""
        if not batch:
            return
        new = self._upsert(batch)
        self._widen(batch)
        if self.sort_column is None and not self.filter_words:
            self.append(new)
            if len(new) < len(batch):
                self.refresh()
        elif self._pending is not None or len(self.records) >= BACKGROUND_FROM:
            # Shown at the end for now, in place once the background pass is done.
            self.append(self._filtered(new))
            self._arrange()
        elif self.sort_column is None:
            self.append(self._filtered(new))
        else:
            self._sort_in(new)
            self.show(self._filtered(self._order))

    def remove_row(self, cco_id: int) -> None:
        cco = self.records.pop(cco_id, None)
        if cco is None:
            return
        self._version += 1
        self._search.drop(cco)
        self.status.pop(cco_id, None)
        for keys in self._sort_keys.values():
            keys.pop(cco_id, None)
        self._order.remove(cco_id)
        self.remove_key(cco_id)

    def mark(self, cco_id: int, status: str) -> None:
        self.mark_many([cco_id], status)

    def mark_many(self, cco_ids: Sequence[int], status: str) -> None:
        """Set the status of many rows with one repaint: finding each row's line to repaint
        it alone cost a second over 100,000 rows."""
        for cco_id in cco_ids:
            self.status[cco_id] = status
        self._status_width()
        self.relayout()
        if len(cco_ids) == 1:
            self.refresh_row(cco_ids[0])
        else:
            self.refresh()

    def _widen(self, ccos: Sequence[SyncedCco]) -> None:
        """Count `ccos` in the widest texts; the columns follow if that changed anything."""
        widths = self._text_widths
        for key, width in text_widths(ccos).items():
            if width > widths.get(key, 0):
                widths[key] = width
        self.relayout()

    def _measure_slice(self) -> None:
        """Measure the next slice of a whole list, and ask for the next turn if more are left."""
        if self._measure_timer is not None:
            self._measure_timer.stop()  # a new list: the old one's slices are moot
            self._measure_timer = None
        start, rows = self._measured_to, self._unmeasured
        self._measured_to = start + MEASURE_SLICE
        self._widen(rows[start : self._measured_to])
        if self._measured_to < len(rows):
            self._measure_timer = self.set_timer(INDEX_PAUSE_S, self._measure_slice)
        else:
            self._unmeasured, self._measured_to = [], 0

    def _status_width(self) -> None:
        """The status column's widest text (a set of a few distinct texts, even over 100,000
        rows picked); room for a mark at least, so that the first one does not shift the row."""
        widest = max(map(len, set(self.status.values())), default=0)
        self._text_widths["status"] = max(STATUS_MARK_WIDTH, widest)

    def get_cell(self, cco_id: int, column: str) -> str:
        return self.cells_for(cco_id)[COLUMN_KEYS.index(column)]

    def _upsert(self, batch: Sequence[SyncedCco]) -> list[int]:
        new: list[int] = []
        records = self.records
        search = self._search
        for cco in batch:
            if cco.id in records:
                search.drop(records[cco.id])  # built again from the row as it is now
            else:
                new.append(cco.id)
            records[cco.id] = cco
        self._version += 1
        self._rows_changed()
        self._unindexed += [cco.id for cco in batch]
        for column, keys in self._sort_keys.items():
            keys.update(self._keys_of(column, batch))
        self._index_later()
        self._order += new
        return new

    def _sort_in(self, new: list[int]) -> None:
        """Put rows just added at the end of the order into their place."""
        if not new or self.sort_column is None:
            return
        if self.sort_column == "status":
            self._order = self._ready_order() or []
            return
        # Ascending, equal keys in load order, reversed for descending (as every order shown):
        # the new rows come last in load order. Sorting a sorted list with a sorted run at its
        # end is a linear merge for Timsort.
        key = self._key_of(self.sort_column).__getitem__
        head = self._order[: len(self._order) - len(new)]
        if self.sort_reverse:
            head.reverse()
        new.sort(key=key)
        self._order = head + new
        self._order.sort(key=key)
        if self.sort_reverse:
            self._order.reverse()

    # Sort and filter, in place or in the background ----------------------------------------

    def _arrange(self, *, narrow: bool = False, resort: bool = True) -> None:
        """Show the rows the filter lets through, in the chosen order: at once for a list of
        modest size; past BACKGROUND_FROM rows, worked out in a thread and swapped in whole.
        `narrow`: the filter only grew, so the rows shown are all it needs to search;
        `resort`: the order changed, else only the filter did."""
        self._cancel_pending()
        self._at_the_keys()
        small = len(self.records) < BACKGROUND_FROM
        if resort:
            # Only the current column's keys are kept, and for a short list alone: each
            # column's cost 50 bytes a row, and a long list sorts from its orders worked out.
            self._sort_keys = {
                column: keys
                for column, keys in self._sort_keys.items()
                if column == self.sort_column and small
            }
            if len(self.records) <= ORDER_AT_ONCE:
                ready = self._ready_order()
                if ready is not None:
                    self._order, resort = ready, False
        if small:
            if resort and self.sort_column is not None:
                self._order = list(self.records)
                self._order.sort(key=self._key_of(self.sort_column).__getitem__)
                if self.sort_reverse:
                    self._order.reverse()
            self.show(self._filtered(self.row_keys if narrow else self._order))
            return
        searched = self.row_keys if narrow else self._order
        if not resort and (
            not self.filter_words or (not self._unindexed and len(searched) <= FILTER_AT_ONCE)
        ):
            # The order is at hand, and the filter searches no more rows than a frame's worth
            # of work: a thread would show the same a few frames later.
            self.show(self._filtered(searched))
            return
        at_hand = resort and self._order_at_hand
        # The thread reads the order and the rows shown without a copy (a million ids take
        # 5-20 ms to copy, a keystroke's wait): both change in place only with `_version`,
        # whose change makes the thread's result be dropped.
        work = self._pending = Arrangement(
            ids=[] if at_hand else list(self.records) if resort else self._order,
            column=self.sort_column if resort else None,
            reverse=self.sort_reverse,
            words=list(self.filter_words),
            narrow_from=self._keys if narrow else None,
            cancel=threading.Event(),
            ordered=self._ready_order if at_hand else None,
            indexed=lambda: not self._unindexed,
            cursor=self.current_key,
        )
        self._let_orders_go()
        self.run_worker(self._arrange_in_thread(work), group="arrange", exit_on_error=False)

    async def _arrange_in_thread(self, work: Arrangement) -> None:
        version = self._version
        # A KeyError: a row went while the thread read it; the version says so below.
        with contextlib.suppress(KeyError):
            await asyncio.to_thread(work.run, self.records, self._search)
        if work.cancel.is_set() or self._pending is not work:
            return
        self._pending = None
        self._let_orders_go()
        if version != self._version or work.shown is None or work.order is None:
            # The rows changed meanwhile: once more, from the rows as they are now.
            self._arrange()
            return
        self._order = work.order
        self.paints_when_arranged = self.paints
        self.show(work.shown, cursor_at=work.cursor_row)  # the cursor stays on its CCO
        self.arranged.publish(None)

    def _ready_order(self, cancel: threading.Event | None = None) -> list[int] | None:
        """Every row in the chosen order, when that takes no sort (see ready_order)."""
        return ready_order(
            self.sort_column, self.sort_reverse, self.records, self.status, self._orders, cancel
        )

    @property
    def _order_at_hand(self) -> bool:
        return self.sort_column in (None, "status") or (
            self._orders is not None and self.sort_column in self._orders.ascending
        )

    def _rows_changed(self) -> None:
        """Rows were added or changed: the orders worked out ahead are stale, and are worked
        out again once the list has settled."""
        self._orders = None
        self._orders_cancel.set()
        self._changed_at = time.monotonic()
        if self._orders_timer is None and len(self.records) >= BACKGROUND_FROM:
            self._orders_timer = self.set_timer(ORDERS_PAUSE_S, self._orders_due)

    def _orders_due(self) -> None:
        self._orders_timer = None
        if self._orders is not None or len(self.records) < BACKGROUND_FROM:
            return
        wait = self._changed_at + ORDERS_PAUSE_S - time.monotonic()
        if wait > 0 or self._unindexed:
            # Still changing, or the search texts still being built: later.
            self._orders_timer = self.set_timer(max(wait, ORDERS_PAUSE_S), self._orders_due)
            return
        self._orders_cancel = threading.Event()
        self.run_worker(
            self._orders_in_thread(self._orders_cancel), group="orders", exit_on_error=False
        )

    def move_cursor(self, *, row: int) -> None:
        self._at_the_keys()
        super().move_cursor(row=row)

    def _at_the_keys(self) -> None:
        """A person moves or sorts or filters: the orders' work of a list past ORDER_AT_ONCE,
        seconds long, waits until the keys rest (a shorter list's is done before it would
        matter, and waiting would leave its sorts without it)."""
        if len(self.records) <= ORDER_AT_ONCE:
            return
        self._keys_at = time.monotonic()
        self._let_orders_go()
        if self._keys_timer is None:
            self._keys_timer = self.set_timer(ORDERS_PAUSE_S, self._keys_rested)

    def _keys_rested(self) -> None:
        self._keys_timer = None
        wait = self._keys_at + ORDERS_PAUSE_S - time.monotonic()
        if wait > 0:
            self._keys_timer = self.set_timer(wait, self._keys_rested)
        self._let_orders_go()

    def _let_orders_go(self) -> None:
        """The orders' work goes on only while no sort or filter is worked out in a thread and
        no key came in the last ORDERS_PAUSE_S: it shares the interpreter with the event loop,
        and two threads at work, or one while keys came, held keys up 100-440 ms at a million
        rows on a busy machine."""
        resting = time.monotonic() - self._keys_at >= ORDERS_PAUSE_S
        if self._pending is None and resting:
            self._orders_go.set()
        else:
            self._orders_go.clear()

    def on_unmount(self) -> None:
        # Threads still at work would hold up the app's exit.
        self._orders_cancel.set()
        self._cancel_pending()

    async def _orders_in_thread(self, cancel: threading.Event) -> None:
        orders = None
        # A KeyError: a row went while the thread read it; worked out again below.
        with contextlib.suppress(KeyError):
            stop = pausing(cancel, self._orders_go)
            orders = await asyncio.to_thread(work_out, list(self.records), self.records, stop)
        if cancel.is_set():
            return
        if orders is None:
            self._rows_changed()
        else:
            self._orders = orders

    def _cancel_pending(self) -> None:
        if self._pending is not None:
            self._pending.cancel.set()
            self._pending = None
            self._let_orders_go()

    # Filter -------------------------------------------------------------------------------

    def set_filter(self, words: list[str]) -> None:
        """Show the rows holding every word. A longer filter only narrows what is shown, so it
        searches the rows shown, not every row."""
        narrowing = (
            self._pending is None
            and bool(self.filter_words)
            and all(any(old in new for new in words) for old in self.filter_words)
        )
        self.filter_words = words
        self._arrange(narrow=narrowing, resort=self._pending is not None)

    def _filtered(self, ids: Sequence[int]) -> list[int]:
        if not self.filter_words:
            return list(ids)
        self._index(len(self._unindexed))
        kept: Sequence[int] = ids
        for word in self.filter_words:
            kept = self._search.having(kept, word, self.records)
        return list(kept)

    def _index(self, count: int) -> None:
        """Build the search text of `count` rows that have none yet."""
        records, search = self.records, self._search
        for cco_id in self._unindexed[:count]:
            cco = records.get(cco_id)
            if cco is not None:
                search.add(cco)
        # Taken off only now: a thread waiting for every row to be indexed reads it.
        self._unindexed = self._unindexed[count:]

    def _index_later(self) -> None:
        if self._unindexed and not self._indexing:
            self._indexing = True
            # A timer, not a message: the screen repaints between slices.
            self.set_timer(INDEX_PAUSE_S, self._index_slice)

    def _index_slice(self) -> None:
        self._indexing = False
        self._index(INDEX_SLICE)
        self._index_later()
        if not self._unindexed:
            self._search.seal()
        if not self._unindexed and len(self.records) >= FREEZE_FROM_ROWS:
            # Python's cycle collector walks every tracked object on a full collection: with
            # 100,000 rows held, that is a pause of 50-100 ms at a random moment, such as in the
            # middle of a scroll. The rows live as long as the list: take them out of its sight.
            gc.freeze()

    # Sort ---------------------------------------------------------------------------------

    def sort_by(self, column: str | None, *, reverse: bool = False) -> None:
        """Order every row by `column` (None: load order), keeping the cursor on its row."""
        if column is not None and column not in COLUMN_KEYS:
            raise ValueError(f"no column {column!r}")
        self.sort_column, self.sort_reverse = column, reverse
        self._arrange()
        self.relayout()  # the header's sort mark may need room
        self.arranged.publish(None)

    def action_sort_next(self) -> None:
        """Sort by the next column; after the last one, back to load order."""
        if self.sort_column is None:
            following: str | None = COLUMN_KEYS[0]
        else:
            at = COLUMN_KEYS.index(self.sort_column) + 1
            following = COLUMN_KEYS[at] if at < len(COLUMN_KEYS) else None
        self.sort_by(following, reverse=False)

    def action_sort_reverse(self) -> None:
        if self.sort_column is not None:
            self.sort_by(self.sort_column, reverse=not self.sort_reverse)

    def _key_of(self, column: str) -> dict[int, SortKey]:
        keys = self._sort_keys.get(column)
        if keys is None:
            keys = self._keys_of(column, list(self.records.values()))
            self._sort_keys[column] = keys
        return keys

    def _keys_of(self, column: str, rows: Sequence[SyncedCco]) -> dict[int, SortKey]:
        ids = map(attrgetter("id"), rows)
        return dict(zip(ids, SORT_KEYS[column](rows), strict=True))

    # Painting -----------------------------------------------------------------------------

    def cells_for(self, key: int) -> Sequence[str]:
        return row_cells(self.records[key], self.status.get(key, ""))

    def header_mark(self, column: Column) -> str:
        if column.key != self.sort_column:
            return ""
        return f" {SORT_MARKS[self.sort_reverse]}"

    def natural_widths(self) -> dict[str, int]:
        return dict(self._text_widths)

    def empty_text(self) -> str:
        if self.records and self.filter_words:
            return f"No CCO matches the filter “{' '.join(self.filter_words)}”. Esc clears it."
        return ""

    @property
    def sort_description(self) -> str:
        """The order shown, as the status line says it; "" for load order."""
        if self.sort_column is None:
            return ""
        if self._pending is not None and self._pending.column is not None:
            return f"sorting by {COLUMN_NAMES[self.sort_column]}…"
        return f"sorted by {COLUMN_NAMES[self.sort_column]} {SORT_MARKS[self.sort_reverse]}"

    def emphasised_columns(self) -> frozenset[str]:
        return _EMPHASISED

    def cell_style(self, column: Column, text: str, style: Style) -> Style:
        if column.key != "status" or not text:
            return style
        component = _SIGN_COMPONENTS.get(text[0])
        if component is None:
            return style
        return style + self.get_component_rich_style(component, partial=True)


_EMPHASISED = frozenset({"status"})
