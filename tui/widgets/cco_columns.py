"""The table's columns, and what a CCO shows in each: one place for the cells of a row, their
names and widths, shared by the table, the sort command and the screens that quote an amount."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter

from services.models import SyncedCco, cents_text
from tui.widgets.column_layout import Column
from tui.widgets.search_index import synced_date

STATUS_MARK_WIDTH = 2
COLUMNS: tuple[Column, ...] = (
    # The status mark's sign says enough in two cells; wider, its words follow.
    Column("status", "", STATUS_MARK_WIDTH, fixed=True, clip=True),
    Column("number", "CCO #", 5, fixed=True),
    Column("title", "Title", 14, comfortable=30, fixed=True),
    # Amounts are never cut: a cut number reads as another number.
    Column("amount", "Amount", 16, align="right"),
    Column("project", "Project", 10, comfortable=22),
    Column("vendor", "Vendor", 10, comfortable=14, priority=1),
    Column("commitment", "Commitment", 10, comfortable=14, priority=2),
    Column("synced", "Synced", 10, priority=3),
    Column("quickbooks", "QBD PO", 8, comfortable=12),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)
COLUMN_NAMES = {
    "status": "Status",
    "number": "CCO #",
    "title": "Title",
    "amount": "Amount",
    "project": "Project",
    "vendor": "Vendor",
    "commitment": "Commitment",
    "synced": "Synced",
    "quickbooks": "QuickBooks PO",
}
"""How a person names each column (in the sort command, the status line)."""
SORT_MARKS = {False: "▲", True: "▼"}


def money(amount: object) -> str:
    return f"{amount:,.2f}"


FIELDS: dict[str, str] = {
    "number": "number",
    "title": "title",
    "amount": "cents",
    "project": "place.project_name",
    "vendor": "place.vendor",
    "commitment": "place.commitment_label",
    "synced": "synced_epoch",
    "quickbooks": "place.po_reference",
}
"""The field of a row each column but the status shows and sorts by, as attrgetter reads it (in
C, the dotted ones too); the status column's are the table's marks."""
_AS_IS = ("number", "title", "project", "vendor", "commitment", "quickbooks")
"""Columns that show their field as it is (the others: amount and synced)."""

_TEXT: dict[str, Callable[[SyncedCco], str]] = {
    **{key: attrgetter(FIELDS[key]) for key in _AS_IS},
    "amount": lambda c: cents_text(c.cents),
    "synced": synced_date,
}
"""What each column but the status shows of a CCO, uncut: the table fits each text to its
column."""
_TEXT_COLUMNS = COLUMN_KEYS[1:]
_PLACE = attrgetter("place")


def row_cells(cco: SyncedCco, status: str) -> tuple[str, ...]:
    return (status, *(_TEXT[key](cco) for key in _TEXT_COLUMNS))


def text_widths(ccos: Iterable[SyncedCco]) -> dict[str, int]:
    """The widest text of each column but the status over `ccos` (in characters: the texts
    are Latin script), measured in C (map, attrgetter) but for what is made of two fields."""
    rows = list(ccos)
    if not rows:
        return {}
    widths = {
        key: max(map(len, map(attrgetter(FIELDS[key]), rows)))
        for key in _AS_IS
        if key != "commitment"
    }
    # One row of each commitment says what its label is.
    places = dict(zip(map(attrgetter("place.commitment_id"), rows), map(_PLACE, rows), strict=True))
    widths["commitment"] = max(len(place.commitment_label) for place in places.values())
    # The widest amount is the largest or the most negative: two to format, not every row;
    # every date is as wide as any other.
    amounts = list(map(attrgetter("cents"), rows))
    widths["amount"] = max(len(cents_text(max(amounts))), len(cents_text(min(amounts))))
    synced = next((c for c in rows if c.synced_epoch is not None), None)
    widths["synced"] = len(synced_date(synced)) if synced else 0
    return widths
