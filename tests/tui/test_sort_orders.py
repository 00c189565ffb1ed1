"""Orders merged a slice at a time (every column's worked out ahead, as positions; a long
list's sort in a thread, as ids): the same order as one stable sort, equal keys in their order,
whatever the slices."""

from __future__ import annotations

import random
import threading

import pytest

from tui.widgets import arrangement, sort_orders


@pytest.mark.parametrize("size", [0, 1, 6, 7, 8, 50, 301])
def test_positions_merged_slice_by_slice_are_one_stable_sort(
    size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sort_orders, "SLICE", 7)
    monkeypatch.setattr(arrangement, "SLICE", 5)  # merged a few at a time, windows unaligned
    monkeypatch.setattr(arrangement, "SORT_AT_ONCE", 10)
    monkeypatch.setattr(arrangement, "PAUSE_S", 0)
    randomly = random.Random(size)
    for spread in (3, 1000):  # many equal keys, then few
        keys: list[arrangement.SortKey] = [randomly.randrange(spread) for _ in range(size)]
        found = sort_orders._sorted_positions(keys, threading.Event())
        assert found is not None
        assert list(found) == sorted(range(size), key=keys.__getitem__)
        ids = list(range(1000, 1000 + size))
        by_id = dict(zip(ids, keys, strict=True))
        assert arrangement.stable_sort(ids, by_id.__getitem__, threading.Event()) == sorted(
            ids, key=by_id.__getitem__
        )


def test_a_cancelled_order_gives_up() -> None:
    cancel = threading.Event()
    cancel.set()
    assert sort_orders._sorted_positions([3, 1, 2], cancel) is None
