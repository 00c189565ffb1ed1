"""Every column's order of a long list, worked out once in a thread after the list settles, so
that a sort is a swap: taking the column's order costs a pass over the ids in C (about 4 ms at
100,000 rows), where sorting them costs ten times that on the event loop.

Each order is kept as positions in a snapshot of the ids (4 bytes a row a column, 36 in all with
the snapshot's 8), sorted ascending with equal keys in load order; descending is that reversed.
A row removed since leaves the orders right (it is skipped); a row added or changed makes them
stale, and they are worked out again once the list settles. The status column is not kept: it
changes with every mark, and sorts cheaply as it is (arrangement.status_order).
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from services.models import SyncedCco
from tui.widgets.arrangement import SLICE, SORT_KEYS, SortKey, stable_sort, stopped


@dataclass
class SortOrders:
    ids: list[int]
    """The ids in load order when the orders were worked out."""
    ascending: dict[str, array[int]]
    """Each column's order, as positions in `ids`."""

    def sorted_ids(
        self, column: str, reverse: bool, records: dict[int, SyncedCco]
    ) -> list[int] | None:
        """Every id held, in `column`'s order; None for a column not kept."""
        positions = self.ascending.get(column)
        if positions is None:
            return None
        found: Iterable[int] = map(
            self.ids.__getitem__, reversed(positions) if reverse else positions
        )
        if len(records) < len(self.ids):
            found = filter(records.__contains__, found)  # rows removed since
        return list(found)


def work_out(
    ids: list[int], records: dict[int, SyncedCco], cancel: threading.Event
) -> SortOrders | None:
    """Every column's order of `ids` (the table's, snapshot), in slices that each hold the
    interpreter a few milliseconds; None when cancelled. Raises KeyError when a row went
    meanwhile."""
    ascending: dict[str, array[int]] = {}
    for column in SORT_KEYS:
        positions = _positions(column, ids, records, cancel)
        if positions is None:
            return None
        ascending[column] = positions
    return SortOrders(ids, ascending)


def _positions(
    column: str, ids: list[int], records: dict[int, SyncedCco], cancel: threading.Event
) -> array[int] | None:
    keys_of = SORT_KEYS[column]
    keys: list[SortKey] = []
    for start in range(0, len(ids), SLICE):
        if stopped(cancel):
            return None
        keys += keys_of(map(records.__getitem__, ids[start : start + SLICE]))
    order = stable_sort(list(range(len(ids))), keys.__getitem__, cancel)
    return None if order is None else array("i", order)
