"""The line at the top: the app, whose account, and which Procore it is — the last never cut.

One widget drawing its three parts, rather than a row of three: each widget on the first screen
costs its styles, layout and paint before the first frame, and this line never needs more."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

TITLE = "app-header--title"
ACCOUNT = "app-header--account"
ENVIRONMENT = "app-header--environment"


class AppHeader(Widget):
    DEFAULT_CSS = """
    AppHeader {
        height: 1;
        background: $panel;
        color: $foreground;
        & > .app-header--title {
            text-style: bold;
        }
        & > .app-header--account {
            color: $text-muted;
        }
        & > .app-header--environment {
            text-style: bold reverse;
            color: $text-success;
        }
        &.-production > .app-header--environment {
            color: $text-error;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {TITLE, ACCOUNT, ENVIRONMENT}

    account: reactive[str] = reactive("")
    """Company and person, once signed in."""

    def __init__(self, title: str, environment: str, *, production: bool) -> None:
        super().__init__()
        self.title = title
        self.environment = environment
        # Real money: production stands out from every sandbox.
        self.set_class(production, "-production")

    def render(self) -> Text:
        """Title and account on the left, the environment on the right: the account gives way
        (cut with an ellipsis) so that the environment is always whole."""
        title = f" {self.title} "
        environment = f" {self.environment} "
        room = max(0, self.size.width - cell_len(title) - cell_len(environment) - 1)
        account = Text(self.account, no_wrap=True)
        account.truncate(room, overflow="ellipsis", pad=True)
        line = Text(no_wrap=True, end="")
        line.append(title, self.get_component_rich_style(TITLE))
        line.append(" ")
        account.stylize_before(self.get_component_rich_style(ACCOUNT))
        line.append_text(account)
        # The badge is the name alone; the spaces either side stay the line's own colour.
        line.append(" ")
        line.append(self.environment, self.get_component_rich_style(ENVIRONMENT))
        line.append(" ")
        return line
