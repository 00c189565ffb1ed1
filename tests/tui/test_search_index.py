"""The filter's index: a commitment's text kept once for all its rows, and a row whose commitment
text differs searched by its own whole text, so that what it finds is what the row shows."""

from __future__ import annotations

from tests.tui.test_cco_table import _cco
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
    rows[2] = _cco(2, title="Changed")
    index.drop(2)
    index.add(rows[2])
    assert list(index.having(ids, "west", rows)) == []
    assert list(index.having(ids, "changed", rows)) == [2]
    assert 2 in index and 3 not in index


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
