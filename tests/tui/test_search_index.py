"""The filter's index: a commitment's text kept once for all its rows, and a row whose commitment
text differs searched by its own whole text, so that what it finds is what the row shows."""

from __future__ import annotations

import pytest

from tests.tui.test_cco_table import _cco
from tui.widgets import search_index
from tui.widgets.search_index import SearchIndex


def test_a_word_is_found_in_a_rows_own_text_or_its_commitments() -> None:
    rows = {c.id: c for c in (_cco(1, title="Extra rebar"), _cco(2, title="Roof drains"))}
    index = SearchIndex()
    for cco in rows.values():
        index.add(cco)
    ids = list(rows)
    assert list(index.having(ids, "rebar", rows)) == [1]
    assert list(index.having(ids, "acme", rows)) == [1, 2]  # the commitment's vendor
    assert list(index.having(ids, "1,234.50", rows)) == [1, 2]
    assert list(index.having(ids, "nowhere", rows)) == []


def test_a_row_whose_commitment_text_differs_is_searched_by_its_own_whole_text() -> None:
    rows = {c.id: c for c in (_cco(1), _cco(2, project_name="Harbor Tower West"))}
    index = SearchIndex()
    for cco in rows.values():
        index.add(cco)
    ids = list(rows)
    assert list(index.having(ids, "west", rows)) == [2]
    assert list(index.having(ids, "harbor", rows)) == [1, 2]
    # The row brought back in line with its commitment is searched through it again.
    index.drop(rows[2])
    rows[2] = _cco(2, title="Changed")
    index.add(rows[2])
    assert list(index.having(ids, "west", rows)) == []
    assert list(index.having(ids, "changed", rows)) == [2]


def test_a_rows_purchase_order_and_a_title_beyond_ascii_are_found() -> None:
    rows = {
        c.id: c for c in (_cco(1, title="Câble Électrique"), _cco(2), _cco(3, po_reference="PO-9"))
    }
    index = SearchIndex()
    for cco in rows.values():
        index.add(cco)
    ids = list(rows)
    assert list(index.having(ids, "électrique", rows)) == [1]
    assert list(index.having(ids, "âble", rows)) == [1]
    assert list(index.having(ids, "po-7", rows)) == [1, 2]  # the commitment's purchase order
    assert list(index.having(ids, "po-9", rows)) == [3]  # its own: it differs from the others'


def test_rows_added_changed_and_dropped_are_found_as_they_are_now_before_and_after_sealing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search_index, "SEAL_AT", 3)  # sealed every few rows, and not
    rows = {c.id: c for c in (_cco(i, title=f"Pier {i}") for i in range(1, 11))}
    index = SearchIndex()
    for cco in rows.values():
        index.add(cco)
    ids = list(rows)
    assert index.having(ids, "pier", rows) == ids
    # Row 4 renamed, row 7 moved to another commitment, row 9 gone, a title on two lines.
    for old, new in (
        (rows[4], _cco(4, title="Dock 4")),
        (rows[7], _cco(7, title="Pier 7", commitment_id=40, vendor="Zenith")),
        (rows[2], _cco(2, title="Pier\nEast")),
    ):
        index.drop(old)
        rows[new.id] = new
        index.add(new)
    index.drop(rows.pop(9))
    ids = list(rows)
    for sealed in (False, True):
        if sealed:
            index.seal()
        assert index.having(ids, "pier", rows) == [1, 2, 3, 5, 6, 7, 8, 10]
        assert index.having(ids, "dock", rows) == [4]
        assert index.having(ids, "zenith", rows) == [7]
        assert index.having(ids, "acme", rows) == [1, 2, 3, 4, 5, 6, 8, 10]
        assert index.having(ids, "east", rows) == [2]
        assert index.having(ids, "pier\neast", rows) == []


def test_a_few_rows_are_searched_in_their_commitments_alone_and_found_alike() -> None:
    rows = {
        c.id: c
        for c in (
            _cco(i, commitment_id=i % 4, vendor=("Bluewater", "Apex")[i % 2], title=f"Pier {i}")
            for i in range(1, 41)
        )
    }
    index = SearchIndex()
    for cco in rows.values():
        index.add(cco)
    few = [7, 3, 12, 39]  # fewer than half: only their commitments are looked into
    for word in ("pier", "bluewater", "apex", "pier 3", "39", "12"):
        everywhere = index.having(list(rows), word, rows)
        assert index.having(few, word, rows) == [i for i in few if i in everywhere]
    assert index.having(few, "bluewater", rows) == [12]
