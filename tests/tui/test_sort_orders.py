"""Orders sorted and merged a slice at a time (every column's worked out ahead, and a long list's
sort in a thread): the same order as one stable sort, equal keys in their order, whatever the
slices; descending, that reversed."""

from __future__ import annotations

import random
import threading

import pytest

from tui.widgets import arrangement, sort_orders


@pytest.mark.parametrize("size", [0, 1, 4, 5, 6, 50, 301])
def test_positions_sorted_slice_by_slice_are_one_stable_sort(
    size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(arrangement, "SLICE", 5)  # runs of five, merged five at a time
    monkeypatch.setattr(arrangement, "TAKE_SLICE", 7)
    monkeypatch.setattr(arrangement, "PAUSE_S", 0)
    randomly = random.Random(size)
    for spread in (3, 1000):  # many equal keys, then few
        keys: list[arrangement.SortKey] = [randomly.randrange(spread) for _ in range(size)]
        found = arrangement._sorted_positions(keys, lambda: False)
        assert found is not None
        assert list(found) == sorted(range(size), key=keys.__getitem__)
        ids = list(range(1000, 1000 + size))
        ascending = [ids[at] for at in sorted(range(size), key=keys.__getitem__)]
        assert arrangement.take(ids, found, False, lambda: False) == ascending
        assert arrangement.take(ids, found, True, lambda: False) == ascending[::-1]


def test_the_orders_work_gives_up_when_told_and_waits_while_a_persons_sort_is_worked_out() -> None:
    assert arrangement._sorted_positions([3, 1, 2], lambda: True) is None
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
