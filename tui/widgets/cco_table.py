"""The table of synced CCOs: holds every row, shows those the filter lets through, in the chosen
order. Only the rows on screen are ever painted (see VirtualTable), so a filter keystroke or a sort
costs one pass over plain Python lists, even at 100,000 rows."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from itertools import compress, repeat
from operator import contains
from typing import ClassVar

from rich.style import Style
from textual.binding import BindingType
from textual.message import Message

from services.models import SyncedCco
from tui.bindings import TABLE_BINDINGS
from tui.feedback import SIGN_DONE, SIGN_PICKED, SIGN_REFUSED, SIGN_WARNING
from tui.widgets.column_layout import Column
from tui.widgets.virtual_table import VirtualTable

STATUS_MARK_WIDTH = 2
COLUMNS: tuple[Column, ...] = (
    # The status mark's sign says enough in two cells; wider, its words follow.
    Column("status", "", STATUS_MARK_WIDTH, fixed=True, clip=True),
    Column("number", "CCO #", 5, fixed=True),
    Column("title", "Title", 14, fixed=True),
    # Amounts are never cut: a cut number reads as another number.
    Column("amount", "Amount", 16, align="right"),
    Column("project", "Project", 10),
    Column("vendor", "Vendor", 10, priority=1),
    Column("commitment", "Commitment", 10, priority=2),
    Column("synced", "Synced", 10, priority=3),
    Column("quickbooks", "QBD PO", 8),
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

SortKey = str | Decimal
# Rows whose search text is built per turn of the event loop: about 8 ms of work.
INDEX_SLICE = 5_000
INDEX_PAUSE_S = 0.002
# From this many rows, a settled list is moved out of the garbage collector's periodic walks.
FREEZE_FROM_ROWS = 10_000


def money(amount: object) -> str:
    return f"{amount:,.2f}"


def synced_date(cco: SyncedCco) -> str:
    return cco.synced_at.date().isoformat() if cco.synced_at else ""


_TEXT: dict[str, Callable[[SyncedCco], str]] = {
    "number": lambda c: c.number,
    "title": lambda c: c.title,
    "amount": lambda c: money(c.amount),
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
    are Latin script)."""
    rows = list(ccos)
    if not rows:
        return {}
    widths = {key: max(map(len, map(_TEXT[key], rows))) for key in _TEXT_COLUMNS if key != "amount"}
    # The widest amount is the largest or the most negative: two to format, not every row.
    amounts = [c.amount for c in rows]
    widths["amount"] = max(len(money(max(amounts))), len(money(min(amounts))))
    return widths


def searchable(cco: SyncedCco) -> str:
    """Everything a person might type to find the row, lower-cased once."""
    parts = (
        cco.project_number,
        cco.project_name,
        cco.commitment_number,
        cco.commitment_title,
        cco.vendor,
        cco.number,
        cco.title,
        money(cco.amount),
        str(cco.amount),
        synced_date(cco),
        cco.po_reference,
    )
    return " ".join(parts).lower()


_SORT_KEYS: dict[str, Callable[[SyncedCco], SortKey]] = {
    "project": lambda c: c.project_name.lower(),
    "commitment": lambda c: c.commitment_label.lower(),
    "vendor": lambda c: c.vendor.lower(),
    "number": lambda c: c.number.zfill(12),
    "title": lambda c: c.title.lower(),
    "amount": lambda c: c.amount,
    "synced": lambda c: c.synced_at.isoformat() if c.synced_at else "",
    "quickbooks": lambda c: c.po_reference.lower(),
}


_SIGN_COMPONENTS = {
    SIGN_DONE: "cco-table--done",
    SIGN_REFUSED: "cco-table--refused",
    SIGN_WARNING: "cco-table--warning",
    SIGN_PICKED: "cco-table--picked",
}


class CcoTable(VirtualTable):
    BINDINGS: ClassVar[list[BindingType]] = TABLE_BINDINGS
    COMPONENT_CLASSES: ClassVar[set[str]] = VirtualTable.COMPONENT_CLASSES | set(
        _SIGN_COMPONENTS.values()
    )
    DEFAULT_CSS = """
    CcoTable {
        & > .cco-table--done { color: $text-success; }
        & > .cco-table--refused { color: $text-error; }
        & > .cco-table--warning { color: $text-warning; }
        & > .cco-table--picked { color: $text-accent; }
    }
    """

    class Sorted(Message):
        """The order shown has changed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(COLUMNS, id=id)
        self.records: dict[int, SyncedCco] = {}
        self.status: dict[int, str] = {}
        self.filter_words: list[str] = []
        self.sort_column: str | None = None
        self.sort_reverse = False
        # Search texts are built after the rows are shown, a slice per turn of the event loop,
        # so that 100,000 rows appear at once; a filter typed sooner builds the rest first.
        self._search: dict[int, str] = {}
        self._unindexed: list[int] = []
        self._indexing = False
        # Every id, in the current order (load order until a sort is chosen).
        self._order: list[int] = []
        self._sort_keys: dict[str, dict[int, SortKey]] = {}
        # The widest text of each column, for the layout: grows as rows arrive.
        self._text_widths: dict[str, int] = {}

    # Rows ---------------------------------------------------------------------------------

    def replace_rows(self, rows: Iterable[SyncedCco]) -> None:
        """Hold exactly `rows`; statuses of rows that stay are kept."""
        self.records = {cco.id: cco for cco in rows}
        self._search = {}
        self._unindexed = list(self.records)
        self._order = list(self.records)
        self._sort_keys = {}
        if self.sort_column is not None:
            self._order.sort(
                key=self._key_of(self.sort_column).__getitem__, reverse=self.sort_reverse
            )
        self._index_later()
        self.status = {k: v for k, v in self.status.items() if k in self.records}
        self._text_widths = text_widths(self.records.values())
        self._status_width()
        self.show(self._filtered(self._order))
        self.relayout()

    def add_rows(self, batch: Sequence[SyncedCco]) -> None:
        """Add or update rows; while nothing is sorted or filtered, new rows go at the end."""
        new = self._upsert(batch)
        widths = self._text_widths
        for key, width in text_widths(batch).items():
            if width > widths.get(key, 0):
                widths[key] = width
        self.relayout()
        if self.sort_column is None and not self.filter_words:
            self.append(new)
            if len(new) < len(batch):
                self.refresh()
        elif self.sort_column is None:
            self.append(self._filtered(new))
        else:
            self.show(self._filtered(self._order))

    def remove_row(self, cco_id: int) -> None:
        if self.records.pop(cco_id, None) is None:
            return
        self._search.pop(cco_id, None)
        self.status.pop(cco_id, None)
        for keys in self._sort_keys.values():
            keys.pop(cco_id, None)
        self._order.remove(cco_id)
        self.remove_key(cco_id)

    def mark(self, cco_id: int, status: str) -> None:
        self.mark_many([cco_id], status)

    def mark_many(self, cco_ids: Sequence[int], status: str) -> None:
        """Set the status of many rows with one repaint: finding each row's line to repaint
        it alone cost a second over 100,000 rows."""
        sort_keys = self._sort_keys.get("status")
        for cco_id in cco_ids:
            self.status[cco_id] = status
            if sort_keys is not None:
                sort_keys[cco_id] = status
        self._status_width()
        self.relayout()
        if len(cco_ids) == 1:
            self.refresh_row(cco_ids[0])
        else:
            self.refresh()

    def _status_width(self) -> None:
        """The status column's widest text (a set of a few distinct texts, even over 100,000
        rows picked); room for a mark at least, so that the first one does not shift the row."""
        widest = max(map(len, set(self.status.values())), default=0)
        self._text_widths["status"] = max(STATUS_MARK_WIDTH, widest)

    def get_cell(self, cco_id: int, column: str) -> str:
        return self.cells_for(cco_id)[COLUMN_KEYS.index(column)]

    def _upsert(self, batch: Sequence[SyncedCco]) -> list[int]:
        new: list[int] = []
        for cco in batch:
            if cco.id not in self.records:
                new.append(cco.id)
            self.records[cco.id] = cco
            self._unindexed.append(cco.id)
            for column, keys in self._sort_keys.items():
                keys[cco.id] = self._sort_key(column, cco)
        self._index_later()
        if self.sort_column is None:
            self._order.extend(new)
        elif new:
            # Sorting a sorted list with a sorted run at its end is a linear merge for Timsort.
            new.sort(key=self._key_of(self.sort_column).__getitem__, reverse=self.sort_reverse)
            self._order.extend(new)
            self._order.sort(
                key=self._key_of(self.sort_column).__getitem__, reverse=self.sort_reverse
            )
        return new

    # Filter -------------------------------------------------------------------------------

    def set_filter(self, words: list[str]) -> None:
        """Show the rows holding every word. A longer filter only narrows what is shown, so it
        searches the rows shown, not every row."""
        narrowing = bool(self.filter_words) and all(
            any(old in new for new in words) for old in self.filter_words
        )
        source = self.row_keys if narrowing else self._order
        self.filter_words = words
        self.show(self._filtered(source))

    def _filtered(self, ids: Sequence[int]) -> list[int]:
        if not self.filter_words:
            return list(ids)
        self._index(len(self._unindexed))
        text_of = self._search.__getitem__
        kept: Iterable[int] = ids
        for word in self.filter_words:
            # Every step runs in C (no Python bytecode per row): ~4x a list comprehension.
            kept = list(compress(kept, map(contains, map(text_of, kept), repeat(word))))
        return list(kept)

    def _index(self, count: int) -> None:
        """Build the search text of `count` rows that have none yet."""
        batch, self._unindexed = self._unindexed[:count], self._unindexed[count:]
        records, search = self.records, self._search
        for cco_id in batch:
            cco = records.get(cco_id)
            if cco is not None:
                search[cco_id] = searchable(cco)

    def _index_later(self) -> None:
        if self._unindexed and not self._indexing:
            self._indexing = True
            # A timer, not a message: the screen repaints between slices.
            self.set_timer(INDEX_PAUSE_S, self._index_slice)

    def _index_slice(self) -> None:
        self._indexing = False
        self._index(INDEX_SLICE)
        self._index_later()
        if not self._unindexed and len(self.records) >= FREEZE_FROM_ROWS:
            # Python's cycle collector walks every tracked object on a full collection: with
            # 100,000 rows held, that is a pause of 50-100 ms at a random moment, such as in the
            # middle of a scroll. The rows live as long as the list: take them out of its sight.
            gc.freeze()

    # Sort ---------------------------------------------------------------------------------

    def sort_by(self, column: str | None, *, reverse: bool = False) -> None:
        """Order every row by `column` (None: load order), keeping the cursor on its row."""
        if column is not None and column not in COLUMN_KEYS:
            raise ValueError(f"no column {column!r}")
        self.sort_column, self.sort_reverse = column, reverse
        if column is None:
            loaded = self.records  # dicts keep insertion order: the load order
            self._order = list(loaded)
        else:
            self._order.sort(key=self._key_of(column).__getitem__, reverse=reverse)
        self.show(self._filtered(self._order))
        self.relayout()  # the header's sort mark may need room
        self.post_message(self.Sorted())

    def action_sort_next(self) -> None:
        """Sort by the next column; after the last one, back to load order."""
        if self.sort_column is None:
            following: str | None = COLUMN_KEYS[0]
        else:
            at = COLUMN_KEYS.index(self.sort_column) + 1
            following = COLUMN_KEYS[at] if at < len(COLUMN_KEYS) else None
        self.sort_by(following, reverse=False)

    def action_sort_reverse(self) -> None:
        if self.sort_column is not None:
            self.sort_by(self.sort_column, reverse=not self.sort_reverse)

    def _key_of(self, column: str) -> dict[int, SortKey]:
        keys = self._sort_keys.get(column)
        if keys is None:
            keys = {i: self._sort_key(column, cco) for i, cco in self.records.items()}
            self._sort_keys[column] = keys
        return keys

    def _sort_key(self, column: str, cco: SyncedCco) -> SortKey:
        if column == "status":
            return self.status.get(cco.id, "")
        return _SORT_KEYS[column](cco)

    # Painting -----------------------------------------------------------------------------

    def cells_for(self, key: int) -> Sequence[str]:
        return row_cells(self.records[key], self.status.get(key, ""))

    def header_mark(self, column: Column) -> str:
        if column.key != self.sort_column:
            return ""
        return f" {SORT_MARKS[self.sort_reverse]}"

    def natural_widths(self) -> dict[str, int]:
        return dict(self._text_widths)

    def empty_text(self) -> str:
        if self.records and self.filter_words:
            return f"No CCO matches the filter “{' '.join(self.filter_words)}”. Esc clears it."
        return ""

    @property
    def sort_description(self) -> str:
        """The order shown, as the status line says it; "" for load order."""
        if self.sort_column is None:
            return ""
        return f"sorted by {COLUMN_NAMES[self.sort_column]} {SORT_MARKS[self.sort_reverse]}"

    def emphasised_columns(self) -> frozenset[str]:
        return _EMPHASISED

    def cell_style(self, column: Column, text: str, style: Style) -> Style:
        if column.key != "status" or not text:
            return style
        component = _SIGN_COMPONENTS.get(text[0])
        return style + self.get_component_rich_style(component) if component else style


_EMPHASISED = frozenset({"status"})
