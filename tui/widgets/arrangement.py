"""Sorting and filtering a long list away from the event loop: in a thread, from a snapshot of the
row ids, in slices of SLICE rows. A slice holds the interpreter a few milliseconds (sorting it, or
testing its rows, in C); between slices the event loop gets it back and answers keys. The table
(tui/widgets/cco_table.py) shows the result in one swap, or drops it when a newer keystroke or
sort came (`cancel`) or the rows changed meanwhile.

A sort keeps no map of its keys: a list of them beside the ids, and the order as 4-byte
positions merged a slice at a time (a dict of a million keys held the interpreter 50-100 ms each
time it grew, and the keys waiting for it). Also each column's sort keys, made for many rows at
once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from itertools import chain
from operator import attrgetter, methodcaller
from typing import TypeVar

from services.models import CcoPlace, SyncedCco
from tui.widgets.cco_columns import FIELDS
from tui.widgets.search_index import SearchIndex

_COMMITMENT_OF = attrgetter("place.commitment_id")
SortKey = str | int
R = TypeVar("R", list[int], "array[int]")
SLICE = 10_000
# After each slice the thread sleeps this long: a slice holds the interpreter a few milliseconds,
# and without a pause the event loop, which wants it back for each frame, waited for slice after
# slice (keys answered in 150-270 ms at a million rows).
PAUSE_S = 0.001
# Ids taken from an order per slice: about 5 ms each.
TAKE_SLICE = 100_000
# Ids scanned for the cursor's row per slice, in C: a few milliseconds.
SCAN_SLICE = 200_000


def _text(
    field: str, key: Callable[[str], str] = str.lower
) -> Callable[[Iterable[SyncedCco]], Iterable[SortKey]]:
    """Keys of a text column, each distinct text's made once: a column repeats a few hundred
    texts over thousands of rows, and a key each row would be a string each row. A field of
    the row's place ("place.vendor") is read once a place, which its rows share: a row is
    told its place's key by the place's identity, in C."""
    if field.startswith(_PLACE):
        return _place_text(attrgetter(field.removeprefix(_PLACE)), key)
    get = attrgetter(field)

    def keys(rows: Iterable[SyncedCco]) -> Iterable[SortKey]:
        texts = list(map(get, rows))
        made = {text: key(text) for text in set(texts)}
        return map(made.__getitem__, texts)

    return keys


_PLACE = "place."
_PLACE_OF = attrgetter("place")


def _place_text(
    get: Callable[[CcoPlace], str], key: Callable[[str], str]
) -> Callable[[Iterable[SyncedCco]], Iterable[SortKey]]:
    def keys(rows: Iterable[SyncedCco]) -> Iterable[SortKey]:
        places = list(map(_PLACE_OF, rows))  # held: no identity is reused meanwhile
        distinct = dict(zip(map(id, places), places, strict=True))
        made = {at: key(get(place)) for at, place in distinct.items()}
        return map(made.__getitem__, map(id, places))

    return keys


def _synced_keys(rows: Iterable[SyncedCco]) -> Iterable[SortKey]:
    return (-1 if epoch is None else epoch for epoch in map(attrgetter(FIELDS["synced"]), rows))


SORT_KEYS: dict[str, Callable[[Iterable[SyncedCco]], Iterable[SortKey]]] = {
    **{column: _text(FIELDS[column]) for column in ("project", "commitment", "vendor", "title")},
    "number": _text(FIELDS["number"], methodcaller("zfill", 12)),
    "amount": lambda rows: map(attrgetter(FIELDS["amount"]), rows),
    "synced": _synced_keys,
    "quickbooks": _text(FIELDS["quickbooks"]),
}
"""Each column's sort keys of many rows at once, made in C where they can be (map, attrgetter):
amounts as integer cents, dates as integer seconds, text lower-cased, CCO numbers padded so
that 9 comes before 10. The status column's are the table's marks (sort_orders.status_order)."""


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
    words: list[str]
    narrow_from: list[int] | None
    """Filter these (the rows shown: the filter only grew) instead of every row."""
    cancel: threading.Event
    ordered: Callable[[threading.Event], list[int] | None] | None = None
    """Gives every id in the chosen order without a sort (an order worked out ahead), a slice
    at a time; given, `ids` and `column` are not looked at."""
    indexed: Callable[[], bool] = lambda: True
    """Whether every row is in the search index: a filter waits for it (the event loop builds
    the index, a slice at a time)."""
    cursor: int | None = None
    """The row under the cursor: where it lands is found here too, not on the event loop."""
    order: list[int] | None = None
    shown: list[int] | None = None
    cursor_row: int | None = None

    def run(self, records: dict[int, SyncedCco], search: SearchIndex) -> None:
        order: list[int] | None = self.ids
        if self.ordered is not None:
            order = self.ordered(self.cancel)
        elif self.column is not None:
            stop = partial(stopped, self.cancel)
            positions = sorted_positions(self.column, self.ids, records, stop)
            order = None if positions is None else take(self.ids, positions, self.reverse, stop)
        if order is None:
            return
        shown: list[int] | None = order if self.narrow_from is None else self.narrow_from
        if self.words and not _indexed(self.indexed, self.cancel):
            return
        for word in self.words:
            if shown is not None:
                shown = _having(shown, word, records, search, self.cancel)
        if shown is not None and self.cursor is not None:
            self.cursor_row = _position(shown, self.cursor, self.cancel)
        if not self.cancel.is_set():
            self.order, self.shown = order, shown


def sorted_positions(
    column: str, ids: list[int], records: dict[int, SyncedCco], stop: Callable[[], bool]
) -> array[int] | None:
    """The positions of `ids` in `column`'s ascending order, equal keys in their order, `stop`
    called between slices (True gives up: None). Raises KeyError when a row went meanwhile."""
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


def take(
    ids: list[int], positions: array[int], reverse: bool, stop: Callable[[], bool]
) -> list[int] | None:
    """The ids at `positions`, reversed for descending, TAKE_SLICE at a time."""
    order: list[int] = []
    for start in range(0, len(positions), TAKE_SLICE):
        if stop():
            return None
        order += map(ids.__getitem__, positions[start : start + TAKE_SLICE])
    if reverse:
        order.reverse()
    return order


def merge(first: R, second: R, key: Callable[[int], SortKey], stop: Callable[[], bool]) -> R | None:
    """Two sorted runs as one, the first's before the second's among equal keys, up to SLICE
    of each at a time. Each step takes what comes before the smaller of the two windows' last
    keys: the window holding that key whole; of the other, what sorts before it (the first's
    equal keys too, the second's not). `stop` is called between steps: True gives up (None)."""
    merged = first[:0]  # of the runs' kind: a list, or an array of positions
    i = j = 0
    while i < len(first) and j < len(second):
        if stop():
            return None
        a_end, b_end = min(i + SLICE, len(first)), min(j + SLICE, len(second))
        a_last, b_last = key(first[a_end - 1]), key(second[b_end - 1])
        if a_last <= b_last:  # type: ignore[operator]
            b_end = bisect_left(second, a_last, j, b_end, key=key)
        else:
            a_end = bisect_right(first, b_last, i, a_end, key=key)
        merged.extend(sorted(chain(first[i:a_end], second[j:b_end]), key=key))
        i, j = a_end, b_end
    merged.extend(first[i:])
    merged.extend(second[j:])
    return merged


def _indexed(indexed: Callable[[], bool], cancel: threading.Event) -> bool:
    """Wait, pausing, until the event loop has indexed every row; False when cancelled."""
    while not indexed():
        if stopped(cancel):
            return False
    return True


def _having(
    ids: list[int],
    word: str,
    records: dict[int, SyncedCco],
    search: SearchIndex,
    cancel: threading.Event,
) -> list[int] | None:
    """The ids whose row holds `word`, a slice at a time; None when cancelled."""
    within: set[int] | None = None
    if len(ids) < search.size // 2:  # a narrower filter: the commitments of the rows shown
        within = set()
        for start in range(0, len(ids), SLICE):
            if stopped(cancel):
                return None
            within.update(map(_COMMITMENT_OF, map(records.__getitem__, ids[start : start + SLICE])))
    match = search.matching(word, lambda: stopped(cancel), within)
    if match is None:
        return None
    kept: list[int] = []
    for start in range(0, len(ids), SLICE):
        if stopped(cancel):
            return None
        kept += match.among(ids[start : start + SLICE], records)
    return kept


def _position(ids: list[int], key: int, cancel: threading.Event) -> int | None:
    """Where `key` is in `ids`, SCAN_SLICE ids at a time; None when absent or cancelled."""
    for start in range(0, len(ids), SCAN_SLICE):
        if stopped(cancel):
            return None
        with contextlib.suppress(ValueError):
            return ids.index(key, start, start + SCAN_SLICE)
    return None


def stopped(cancel: threading.Event) -> bool:
    """Let the event loop run a moment; whether a newer sort or filter made this one give up."""
    time.sleep(PAUSE_S)
    return cancel.is_set()
