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


_TEXT: dict[str, Callable[[SyncedCco], str]] = {
    "number": lambda c: c.number,
    "title": lambda c: c.title,
    "amount": lambda c: cents_text(c.cents),
    "project": lambda c: c.project_name,
    "vendor": lambda c: c.vendor,
    "commitment": lambda c: c.commitment_label,
    "synced": synced_date,
    "quickbooks": lambda c: c.po_reference,
}
"""What each column but the status shows of a CCO, uncut: the table fits each text to its
column."""
_TEXT_COLUMNS = COLUMN_KEYS[1:]


def row_cells(cco: SyncedCco, status: str) -> tuple[str, ...]:
    return (status, *(_TEXT[key](cco) for key in _TEXT_COLUMNS))


def text_widths(ccos: Iterable[SyncedCco]) -> dict[str, int]:
    """The widest text of each column but the status over `ccos` (in characters: the texts
    are Latin script), measured in C (map, attrgetter) but for what is made of two fields."""
    rows = list(ccos)
    if not rows:
        return {}
    widths = {
        key: max(map(len, map(attrgetter(field), rows))) for key, field in _TEXT_FIELDS.items()
    }
    # One row of each commitment says what its label is.
    commitments = dict(zip(map(attrgetter("commitment_id"), rows), rows, strict=True))
    widths["commitment"] = max(len(c.commitment_label) for c in commitments.values())
    # The widest amount is the largest or the most negative: two to format, not every row;
    # every date is as wide as any other.
    amounts = list(map(attrgetter("cents"), rows))
    widths["amount"] = max(len(cents_text(max(amounts))), len(cents_text(min(amounts))))
    synced = next((c for c in rows if c.synced_epoch is not None), None)
    widths["synced"] = len(synced_date(synced)) if synced else 0
    return widths


_TEXT_FIELDS = {
    "number": "number",
    "title": "title",
    "project": "project_name",
    "vendor": "vendor",
    "quickbooks": "po_reference",
}
"""Columns that show one field of the row as it is."""
