"""Sorting and filtering a long list away from the event loop: in a thread, from a snapshot of the
row ids, in slices of SLICE rows. A slice holds the interpreter a few milliseconds (sorting it, or
testing its rows, in C); between slices the event loop gets it back and answers keys. The table
(tui/widgets/cco_table.py) shows the result in one swap, or drops it when a newer keystroke or
sort came (`cancel`) or the rows changed meanwhile.

Also each column's sort keys, made for many rows at once.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter, methodcaller

from services.models import SyncedCco
from tui.widgets.search_index import SearchIndex

SortKey = str | int
SLICE = 10_000
# After each slice the thread sleeps this long: a slice holds the interpreter a few milliseconds,
# and without a pause the event loop, which wants it back for each frame, waited for slice after
# slice (keys answered in 150-270 ms at a million rows).
PAUSE_S = 0.001
# Up to this many rows sort in one C call (about 50 ms at 100,000); more, slice by slice.
SORT_AT_ONCE = 150_000


def _lowered(field: str) -> Callable[[Iterable[SyncedCco]], Iterable[SortKey]]:
    get = attrgetter(field)
    return lambda rows: map(str.lower, map(get, rows))


def _synced_keys(rows: Iterable[SyncedCco]) -> Iterable[SortKey]:
    return (-1 if epoch is None else epoch for epoch in map(attrgetter("synced_epoch"), rows))


SORT_KEYS: dict[str, Callable[[Iterable[SyncedCco]], Iterable[SortKey]]] = {
    "project": _lowered("project_name"),
    "commitment": _lowered("commitment_label"),
    "vendor": _lowered("vendor"),
    "number": lambda rows: map(methodcaller("zfill", 12), map(attrgetter("number"), rows)),
    "title": _lowered("title"),
    "amount": lambda rows: map(attrgetter("cents"), rows),
    "synced": _synced_keys,
    "quickbooks": _lowered("po_reference"),
}
"""Each column's sort keys of many rows at once, made in C where they can be (map, attrgetter):
amounts as integer cents, dates as integer seconds, text lower-cased, CCO numbers padded so
that 9 comes before 10."""


@dataclass
class Arrangement:
    """One sort or filter of a long list, worked out in a thread from a snapshot of its ids.

    It only reads the table's dicts (each read is atomic) and builds its own lists; it looks at
    `cancel` between slices, and leaves `order` and `shown` None when it gave up.
    """

    ids: list[int]
    column: str | None
    """Sort by this column; None leaves `ids` in their order."""
    reverse: bool
    keys: dict[int, SortKey] | None
    """The column's sort keys if built already; else built here, for the table to keep."""
    words: list[str]
    narrow_from: list[int] | None
    """Filter these (the rows shown: the filter only grew) instead of every row."""
    cancel: threading.Event
    order: list[int] | None = None
    shown: list[int] | None = None

    def run(
        self, records: dict[int, SyncedCco], status: dict[int, str], search: SearchIndex
    ) -> None:
        order: list[int] | None = self.ids
        if self.column is not None:
            if self.keys is None:
                self.keys = sort_keys(self.column, self.ids, records, status, self.cancel)
            order = _sorted(self.ids, self.keys, self.reverse, self.cancel)
        if order is None:
            return
        shown: list[int] | None = order if self.narrow_from is None else self.narrow_from
        if self.words and shown is not None:
            _index_missing(shown, records, search, self.cancel)
        for word in self.words:
            if shown is not None:
                shown = _having(shown, word, records, search, self.cancel)
        if not self.cancel.is_set():
            self.order, self.shown = order, shown


def sort_keys(
    column: str,
    ids: list[int],
    records: dict[int, SyncedCco],
    status: dict[int, str],
    cancel: threading.Event,
) -> dict[int, SortKey] | None:
    if column == "status":
        return {cco_id: status.get(cco_id, "") for cco_id in ids}
    keys_of = SORT_KEYS[column]
    keys: dict[int, SortKey] = {}
    for start in range(0, len(ids), SLICE):
        if _stopped(cancel):
            return None
        part = ids[start : start + SLICE]
        keys.update(zip(part, keys_of(map(records.__getitem__, part)), strict=True))
    return keys


def _sorted(
    ids: list[int], keys: dict[int, SortKey] | None, reverse: bool, cancel: threading.Event
) -> list[int] | None:
    """`ids` sorted by `keys`. Up to SORT_AT_ONCE rows in one sort, in C (it holds the
    interpreter: about 50 ms for 100,000 rows); more slice by slice, then the sorted slices
    merged in Python code, which lets the event loop in every few milliseconds."""
    if keys is None:
        return None
    key = keys.__getitem__
    if len(ids) <= SORT_AT_ONCE:
        return sorted(ids, key=key, reverse=reverse)
    runs = []
    for start in range(0, len(ids), SLICE):
        if _stopped(cancel):
            return None
        runs.append(sorted(ids[start : start + SLICE], key=key, reverse=reverse))
    merged: list[int] = []
    for count, cco_id in enumerate(heapq.merge(*runs, key=key, reverse=reverse)):
        if not count % SLICE and _stopped(cancel):
            return None
        merged.append(cco_id)
    return merged


def _index_missing(
    ids: list[int], records: dict[int, SyncedCco], search: SearchIndex, cancel: threading.Event
) -> None:
    for start in range(0, len(ids), SLICE):
        if _stopped(cancel):
            return
        for cco_id in list(search.missing(ids[start : start + SLICE])):
            search.add(records[cco_id])


def _having(
    ids: list[int],
    word: str,
    records: dict[int, SyncedCco],
    search: SearchIndex,
    cancel: threading.Event,
) -> list[int] | None:
    """The ids whose row holds `word`, a slice at a time; None when cancelled."""
    kept: list[int] = []
    for start in range(0, len(ids), SLICE):
        if _stopped(cancel):
            return None
        kept += search.having(ids[start : start + SLICE], word, records)
    return kept


def _stopped(cancel: threading.Event) -> bool:
    """Let the event loop run a moment; whether a newer sort or filter made this one give up."""
    time.sleep(PAUSE_S)
    return cancel.is_set()
