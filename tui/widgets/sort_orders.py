"""Every column's order of a long list, worked out once in a thread after the list settles, so
that a sort is a swap: taking the column's order costs a pass over the ids in C (about 4 ms at
100,000 rows), where sorting them costs ten times that on the event loop.

Each order is kept as positions in a snapshot of the ids (4 bytes a row a column, 36 in all with
the snapshot's 8), sorted ascending with equal keys in load order; descending is that reversed.
A row removed since leaves the orders right (it is skipped); a row added or changed makes them
stale, and they are worked out again once the list settles. The status column is not kept: it
changes with every mark, and sorts cheaply as it is (status_order).
"""

from __future__ import annotations

import threading
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import filterfalse

from services.models import SyncedCco
from tui.widgets.arrangement import SORT_KEYS, TAKE_SLICE, sorted_positions, stopped

# The orders' work sleeps this long after each slice of a few milliseconds: it gives the event
# loop most of the interpreter while a person may already be pressing keys.
BACKGROUND_PAUSE_S = 0.004


@dataclass
class SortOrders:
    ids: list[int]
    """The ids in load order when the orders were worked out."""
    ascending: dict[str, array[int]]
    """Each column's order, as positions in `ids`."""

    def sorted_ids(
        self, column: str, records: dict[int, SyncedCco], cancel: threading.Event | None
    ) -> list[int] | None:
        """Every id held, in `column`'s ascending order; None for a column not kept, or when
        cancelled. Given `cancel`, a slice at a time (see ready_order)."""
        positions = self.ascending.get(column)
        if positions is None:
            return None
        order: list[int] = []
        step = max(1, len(positions)) if cancel is None else TAKE_SLICE
        for start in range(0, len(positions), step):
            if cancel is not None and stopped(cancel):
                return None
            found: Iterable[int] = map(self.ids.__getitem__, positions[start : start + step])
            if len(records) < len(self.ids):
                found = filter(records.__contains__, found)  # rows removed since
            order += found
        return order


def ready_order(
    column: str | None,
    reverse: bool,
    records: dict[int, SyncedCco],
    status: dict[int, str],
    orders: SortOrders | None,
    cancel: threading.Event | None = None,
) -> list[int] | None:
    """Every id held in `column`'s order, when that takes no sort: load order (None), the
    marks' order, or a column's order worked out ahead; else None, and None when cancelled.
    On the event loop (no `cancel`) at once: about 5 ms at 100,000 rows. In a thread, given
    `cancel`, TAKE_SLICE rows at a time: at a million rows, at once held the interpreter, and
    the keys waiting for it, 80-130 ms."""
    if column is None:
        return list(records)
    if column == "status":
        order: list[int] | None = status_order(records, status, cancel)
    elif orders is None:
        return None
    else:
        order = orders.sorted_ids(column, records, cancel)
    if order is not None and reverse:
        order.reverse()
    return order


def status_order(
    ids: Iterable[int], status: dict[int, str], cancel: threading.Event | None = None
) -> list[int] | None:
    """`ids` by their marks, ascending: the rows without one first, in their order, then the
    marked ones by mark. In C, with no key a row (most rows carry no mark); given `cancel`, a
    slice at a time."""
    ids = list(ids)
    unmarked: list[int] = []
    marked: list[int] = []
    step = max(1, len(ids)) if cancel is None else TAKE_SLICE
    for start in range(0, len(ids), step):
        if cancel is not None and stopped(cancel):
            return None
        part = ids[start : start + step]
        unmarked += filterfalse(status.get, part)
        marked += filter(status.get, part)
    marked.sort(key=status.__getitem__)
    return unmarked + marked


def work_out(
    ids: list[int], records: dict[int, SyncedCco], stop: Callable[[], bool]
) -> SortOrders | None:
    """Every column's order of `ids` (the table's, snapshot), in slices that each hold the
    interpreter a few milliseconds, `stop` called between them (see pausing); None when it
    said to stop. Raises KeyError when a row went meanwhile."""
    ascending: dict[str, array[int]] = {}
    for column in SORT_KEYS:
        positions = sorted_positions(column, ids, records, stop)
        if positions is None:
            return None
        ascending[column] = positions
    return SortOrders(ids, ascending)


def pausing(cancel: threading.Event, go: threading.Event) -> Callable[[], bool]:
    """Between two slices of the orders' work: a pause of BACKGROUND_PAUSE_S, and a wait
    while `go` is clear (a person's own sort or filter is being worked out: two threads at work
    held keys up 100-300 ms at a million rows); whether `cancel` is set."""

    def stop() -> bool:
        time.sleep(BACKGROUND_PAUSE_S)
        while not go.wait(BACKGROUND_PAUSE_S):
            if cancel.is_set():
                break
        return cancel.is_set()

    return stop
