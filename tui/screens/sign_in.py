"""Sign in to Procore as a person: show the authorize address, take the code pasted back.

Opened when Procore says there is no sign-in or it expired or was revoked, instead of a toast that
leads nowhere. Over SSH there is no local browser: the person opens the address on any device,
approves, and pastes the code Procore shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from services import messages
from services.errors import CcoUnlinkError
from tui.links import linked

if TYPE_CHECKING:
    from services.backend import Backend

SIGN_IN_TITLE = "Sign in to Procore"
SIGNING_IN = "Signing in…"


class SignInScreen(ModalScreen[bool]):
    """Dismissed with True once signed in, False when the person gives up (Esc)."""

    DEFAULT_CSS = """
    SignInScreen {
        align: center middle;
    }
    #sign-in-dialog {
        width: 100;
        max-width: 95%;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    #sign-in-title {
        text-style: bold;
        margin-bottom: 1;
    }
    #sign-in-url {
        margin: 1 0;
        color: $text-accent;
    }
    #sign-in-problem {
        color: $text-error;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="sign-in-cancel"),
    ]

    def __init__(self, backend: Backend, reason: str) -> None:
        super().__init__()
        self.backend = backend
        self.reason = reason
        assert backend.sign_in is not None
        self.authorize_url = backend.sign_in.authorize_url()

    def compose(self) -> ComposeResult:
        with Vertical(id="sign-in-dialog"):
            yield Static(SIGN_IN_TITLE, id="sign-in-title", markup=False)
            yield Static(self.reason, id="sign-in-reason", markup=False)
            yield Static(messages.SIGN_IN_OPEN_ADDRESS, markup=False)
            yield Static(linked(self.authorize_url), id="sign-in-url")
            yield Static(messages.SIGN_IN_PASTE_CODE, markup=False)
            yield Input(placeholder="code", id="sign-in-code", password=False)
            yield Static("", id="sign-in-problem", markup=False)

    def on_mount(self) -> None:
        self.query_one("#sign-in-code", Input).focus()

    @on(Input.Submitted, "#sign-in-code")
    def _submitted(self, event: Input.Submitted) -> None:
        field = self.query_one("#sign-in-code", Input)
        if field.disabled:
            return
        # A code is good once: no second Enter may start (or cancel) another exchange.
        field.disabled = True
        self.exchange(event.value)

    @work(group="sign-in", exit_on_error=False)
    async def exchange(self, code: str) -> None:
        problem = self.query_one("#sign-in-problem", Static)
        field = self.query_one("#sign-in-code", Input)
        problem.update(SIGNING_IN)
        signed_in = False
        try:
            await self.backend.complete_sign_in(code)
            signed_in = True
        except CcoUnlinkError as error:
            problem.update(error.message)
            field.value = ""
        finally:
            if not signed_in:  # whatever stopped it, the person can paste a new code
                field.disabled = False
                field.focus()
        if signed_in:
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
