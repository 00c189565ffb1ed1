"""Cells show the data as it is: no markup read from names, long text cut with an ellipsis."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from services.models import QuickBooksLink, SyncedCco
from tui.widgets.cco_table import COLUMNS, row_cells


def _cco(**changes: object) -> SyncedCco:
    values: dict[str, object] = {
        "id": 1,
        "company_id": 2,
        "project_id": 3,
        "project_name": "Harbor Tower",
        "project_number": "2026-01",
        "commitment_id": 4,
        "commitment_number": "SC-001",
        "commitment_title": "Steel",
        "vendor": "Acme",
        "number": "001",
        "title": "Extra rebar",
        "amount": Decimal("-1234.50"),
        "synced_at": datetime(2026, 3, 1, tzinfo=UTC),
        "origin_id": "L-1",
        "link": QuickBooksLink("T-1", ("L-1",)),
        "po_reference": "PO-7",
    }
    values.update(changes)
    return SyncedCco(**values)  # type: ignore[arg-type]


def test_names_that_look_like_markup_are_shown_literally() -> None:
    cells = row_cells(_cco(vendor="[b]Acme[/b]", title="[red]x"), "")
    assert cells[3].plain == "[b]Acme[/b]"
    assert cells[5].plain == "[red]x"


def test_long_text_is_cut_to_the_column_with_an_ellipsis() -> None:
    width = dict((key, w) for key, _, w in COLUMNS)["title"]
    cell = row_cells(_cco(title="x" * (width + 10)), "")[5]
    assert len(cell.plain) == width and cell.plain.endswith("…")


def test_money_is_right_aligned_with_two_places_and_separators() -> None:
    cell = row_cells(_cco(), "")[6]
    assert cell.plain.endswith("-1,234.50") and cell.plain.startswith(" ")
