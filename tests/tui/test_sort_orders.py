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
        found = sort_orders._sorted_positions(keys, lambda: False)
        assert found is not None
        assert list(found) == sorted(range(size), key=keys.__getitem__)
        ids = list(range(1000, 1000 + size))
        by_id = dict(zip(ids, keys, strict=True))
        assert arrangement.stable_sort(ids, by_id.__getitem__, threading.Event()) == sorted(
            ids, key=by_id.__getitem__
        )


def test_the_orders_work_gives_up_when_told_and_waits_while_a_persons_sort_is_worked_out() -> None:
    assert sort_orders._sorted_positions([3, 1, 2], lambda: True) is None
    cancel, go = threading.Event(), threading.Event()
    stop = sort_orders.pausing(cancel, go)
    waiting = threading.Thread(target=stop)
    waiting.start()
    waiting.join(0.05)
    assert waiting.is_alive(), "it waits while `go` is clear"
    cancel.set()
    waiting.join(1)
    assert not waiting.is_alive() and stop() is True
    go.set()
    assert sort_orders.pausing(threading.Event(), go)() is False
