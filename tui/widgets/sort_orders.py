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
from tui.widgets.arrangement import SLICE, SORT_KEYS, SortKey, merge, stopped

# Rows taken from an order worked out ahead per slice, in a thread: about 5 ms each.
TAKE_SLICE = 100_000
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
        positions = _positions(column, ids, records, stop)
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


def _positions(
    column: str, ids: list[int], records: dict[int, SyncedCco], stop: Callable[[], bool]
) -> array[int] | None:
    keys_of = SORT_KEYS[column]
    keys: list[SortKey] = []
    for start in range(0, len(ids), SLICE):
        if stop():
            return None
        keys += keys_of(map(records.__getitem__, ids[start : start + SLICE]))
    return _sorted_positions(keys, stop)


def _sorted_positions(keys: list[SortKey], stop: Callable[[], bool]) -> array[int] | None:
    """The positions of `keys` in ascending order, equal keys in their order: slices sorted,
    then merged two runs at a time. Each step holds the interpreter a few milliseconds (the
    person may already be typing), and makes a position a Python int only for the slices at
    hand: sorting a list of a million positions made 28 MB of ints, 110 MB at its peak."""
    key = keys.__getitem__
    runs = []
    for start in range(0, len(keys), SLICE):
        if stop():
            return None
        runs.append(array("i", sorted(range(start, min(start + SLICE, len(keys))), key=key)))
    while len(runs) > 1:
        merged = []
        for at in range(0, len(runs) - 1, 2):
            pair = merge(runs[at], runs[at + 1], key, stop)
            if pair is None:
                return None
            merged.append(pair)
        runs = merged + runs[len(merged) * 2 :]
    return runs[0] if runs else array("i")
