"""Deleting a CCO in Procore cannot be undone here: the person types the CCO's number first."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from services.models import SyncedCco


class TypedConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    TypedConfirmScreen {
        align: center middle;
    }
    #typed-dialog {
        width: 72;
        max-width: 95%;
        height: auto;
        padding: 1 2;
        border: thick $error;
        background: $surface;
    }
    #typed-title {
        text-style: bold;
        margin-bottom: 1;
    }
    #typed-problem {
        color: $text-error;
        height: auto;
    }
    #typed-buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    #typed-buttons Button {
        margin-left: 2;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="typed-cancel"),
    ]

    def __init__(self, cco: SyncedCco) -> None:
        super().__init__()
        self.cco = cco

    @property
    def expected(self) -> str:
        return self.cco.number or str(self.cco.id)

    def compose(self) -> ComposeResult:
        cco = self.cco
        with Vertical(id="typed-dialog"):
            yield Static("Delete in Procore", id="typed-title")
            yield Static(
                f"Delete {cco.label} in Procore? It is unlinked from QuickBooks® Desktop; "
                "deleting it cannot be undone from here.\n\n"
                f"Type the CCO number, {self.expected}, to delete it.",
                id="typed-question",
                markup=False,
            )
            yield Input(placeholder=self.expected, id="typed-input")
            yield Static("", id="typed-problem", markup=False)
            with Horizontal(id="typed-buttons"):
                yield Button("Delete in Procore", id="typed-delete", variant="error")
                yield Button("Cancel (Esc)", id="typed-cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#typed-delete")
    def _submitted(self) -> None:
        typed = self.query_one(Input).value.strip().lstrip("#")
        if typed == self.expected:
            self.dismiss(True)
        else:
            self.query_one("#typed-problem", Static).update(
                f"That is not {self.expected}: nothing was deleted."
            )

    @on(Button.Pressed, "#typed-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
