"""A change with no undo (deleting in Procore, or in QuickBooks) asks for a word typed out, the
CCO's or the purchase order's number, rather than a reflexive `y`. Enter or the button with the
word confirms; Escape cancels."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from services import messages
from tui.bindings import TYPED_CONFIRM_BINDINGS, key_of


class TypedConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    TypedConfirmScreen {
        align: center middle;
    }
    #typed-dialog {
        width: 76;
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
    #typed-question {
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
    BINDINGS: ClassVar[list[BindingType]] = TYPED_CONFIRM_BINDINGS

    def __init__(self, title: str, question: str, expected: str, *, confirm_label: str) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.expected = expected
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(id="typed-dialog"):
            yield Static(self.title_text, id="typed-title", markup=False)
            yield Static(self.question, id="typed-question", markup=False)
            yield Input(placeholder=self.expected, id="typed-input")
            yield Static("", id="typed-problem", markup=False)
            with Horizontal(id="typed-buttons"):
                yield Button(self.confirm_label, id="typed-delete", variant="error")
                yield Button(f"Cancel ({key_of(self.app, 'typed-cancel')})", id="typed-cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#typed-delete")
    def _submitted(self) -> None:
        typed = self.query_one(Input).value.strip()
        if self.expected in (typed, typed.lstrip("#")):
            self.dismiss(True)
        else:
            self.query_one("#typed-problem", Static).update(
                messages.not_what_was_asked(self.expected)
            )

    @on(Button.Pressed, "#typed-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
