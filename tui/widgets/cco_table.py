"""The table of synced CCOs: one row per CCO, keyed by its id, moved with arrows or j/k."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from services.models import SyncedCco

# (key, label, width): widths fit the whole row in 180 columns; longer text ends in "…", and the
# filter still searches the full text.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("status", "Status", 12),
    ("project", "Project", 28),
    ("commitment", "Commitment", 26),
    ("vendor", "Vendor", 22),
    ("number", "CCO #", 7),
    ("title", "Title", 26),
    ("amount", "Amount", 13),
    ("synced", "Synced", 10),
    ("quickbooks", "QuickBooks", 13),
)
_WIDTHS = {key: width for key, _, width in COLUMNS}


def money(amount: object) -> str:
    return f"{amount:,.2f}"


def _fit(text: str, key: str) -> Text:
    """Plain text cut to the column: a Text, because DataTable reads a str as markup, and a
    vendor named "[Acme]" must show as it is."""
    width = _WIDTHS[key]
    return Text(text if len(text) <= width else text[: width - 1] + "…")


def row_cells(cco: SyncedCco, status: str) -> tuple[Text, ...]:
    synced = cco.synced_at.date().isoformat() if cco.synced_at else ""
    return (
        status_cell(status),
        _fit(cco.project_name, "project"),
        _fit(cco.commitment_label, "commitment"),
        _fit(cco.vendor, "vendor"),
        _fit(cco.number, "number"),
        _fit(cco.title, "title"),
        Text(money(cco.amount).rjust(_WIDTHS["amount"])),
        Text(synced),
        _fit(cco.po_reference, "quickbooks"),
    )


def status_cell(status: str) -> Text:
    return Text(status, style="bold")


class CcoTable(DataTable[object]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="cursor-down"),
        Binding("k", "cursor_up", "Up", show=False, id="cursor-up"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            header = label.rjust(width) if key == "amount" else label
            self.add_column(header, key=key, width=width)

    @property
    def current_key(self) -> str | None:
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value
