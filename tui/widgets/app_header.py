"""The line at the top: the app, whose account, and which Procore it is — the last never cut."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static


class AppHeader(Horizontal):
    DEFAULT_CSS = """
    AppHeader {
        height: 1;
        background: $panel;
        color: $foreground;
        & > #header-title {
            width: auto;
            padding: 0 1;
            text-style: bold;
        }
        & > #header-account {
            width: 1fr;
            padding-left: 1;
            text-wrap: nowrap;
            text-overflow: ellipsis;
            color: $text-muted;
        }
        & > #header-environment {
            width: auto;
            padding: 0 1;
            text-style: bold reverse;
            color: $text-success;
        }
        &.-production > #header-environment {
            color: $text-error;
        }
    }
    """

    account: reactive[str] = reactive("")
    """Company and person, once signed in."""

    def __init__(self, title: str, environment: str, *, production: bool) -> None:
        super().__init__()
        self.title = title
        self.environment = environment
        # Real money: production stands out from every sandbox.
        self.set_class(production, "-production")

    def compose(self) -> ComposeResult:
        yield Static(self.title, id="header-title", markup=False)
        yield Static(self.account, id="header-account", markup=False)
        yield Static(self.environment, id="header-environment", markup=False)

    def watch_account(self, account: str) -> None:
        if self.is_mounted:
            self.query_one("#header-account", Static).update(account)
