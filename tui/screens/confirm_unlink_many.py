"""The question before an unlink of many: every picked CCO listed (it scrolls), how many of them
the filter hides, and Cancel focused first, so Enter alone changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from services import messages
from services.models import SyncedCco
from tui.bindings import key_of
from tui.widgets.cco_columns import money

UNLINK_LABEL = "Unlink in Procore"


class ConfirmUnlinkManyScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmUnlinkManyScreen {
        align: center middle;
    }
    #many-dialog {
        width: 90;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        padding: 1 2;
        border: thick $error;
        background: $surface;
    }
    #many-title {
        text-style: bold;
        margin-bottom: 1;
    }
    #many-hidden {
        color: $text-warning;
        text-style: bold;
    }
    #many-list {
        height: auto;
        /* The buttons must stay in view at 80x24: the list gives up rows first. */
        max-height: 30vh;
        margin: 1 0;
        border: round $panel-lighten-2;
    }
    #many-list:focus {
        border: round $primary;
    }
    #many-buttons {
        height: auto;
        align-horizontal: right;
    }
    #many-buttons Button {
        margin-left: 2;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm-no"),
        Binding("left,h", "app.focus_previous", show=False),
        Binding("right,l", "app.focus_next", show=False),
    ]

    def __init__(self, ccos: list[SyncedCco], hidden: int) -> None:
        super().__init__()
        self.ccos = ccos
        self.hidden = hidden

    def compose(self) -> ComposeResult:
        ccos = self.ccos
        total = sum((cco.amount for cco in ccos), Decimal(0))
        projects = len({cco.project_id for cco in ccos})
        with Vertical(id="many-dialog"):
            yield Static(f"Unlink {len(ccos)} CCOs", id="many-title", markup=False)
            yield Static(
                messages.unlink_many_question(
                    len(ccos), projects, money(total), key_of(self.app, "stop-batch")
                ),
                id="many-question",
                markup=False,
            )
            yield Static(messages.hidden_by_filter(self.hidden), id="many-hidden", markup=False)
            with VerticalScroll(id="many-list"):
                yield Static(
                    "\n".join(
                        f"#{cco.number} {cco.title} · {cco.project_name} · {money(cco.amount)}"
                        for cco in ccos
                    ),
                    markup=False,
                )
            with Horizontal(id="many-buttons"):
                yield Button(f"{UNLINK_LABEL} (y)", id="confirm-yes", variant="error")
                yield Button("Cancel (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#many-hidden", Static).display = bool(self.hidden)
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
