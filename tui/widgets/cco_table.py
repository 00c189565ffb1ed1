"""The table of synced CCOs: one row per CCO, keyed by its id, moved with arrows or j/k."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from services.models import SyncedCco

COLUMNS: tuple[tuple[str, str], ...] = (
    ("status", "Status"),
    ("project", "Project"),
    ("commitment", "Commitment"),
    ("vendor", "Vendor"),
    ("number", "CCO #"),
    ("title", "Title"),
    ("amount", "Amount"),
    ("synced", "Synced"),
    ("quickbooks", "QuickBooks"),
)


def money(amount: object) -> str:
    return f"{amount:,.2f}"


def row_cells(cco: SyncedCco, status: str) -> tuple[object, ...]:
    synced = cco.synced_at.date().isoformat() if cco.synced_at else ""
    return (
        Text(status, style="bold"),
        cco.project_name,
        cco.commitment_label,
        cco.vendor,
        cco.number,
        cco.title,
        Text(money(cco.amount), justify="right"),
        synced,
        cco.po_reference,
    )


class CcoTable(DataTable[object]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="cursor-down"),
        Binding("k", "cursor_up", "Up", show=False, id="cursor-up"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    @property
    def current_key(self) -> str | None:
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value
