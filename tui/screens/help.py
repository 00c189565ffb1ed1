"""Every key of the screen beneath, the app's own first and grouped, with the id that remaps it
in settings.toml's [keys]; then Textual's keys, and what the row marks mean."""

from __future__ import annotations

from typing import ClassVar

import msgspec
from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.bindings import HELP_SECTIONS
from tui.feedback import SIGN_BUSY, SIGN_DONE, SIGN_PICKED, SIGN_REFUSED, SIGN_WARNING

MORE = "More"
TEXTUAL = "Textual's keys"
MARKS = (
    (SIGN_DONE, "done, or gone from QuickBooks"),
    (SIGN_REFUSED, "refused or failed: the toast and the log say why"),
    (SIGN_WARNING, "to look at: the result is not known or needs you"),
    (SIGN_PICKED, "picked for one unlink of many"),
    (SIGN_BUSY, "being worked on"),
)


class KeyRow(msgspec.Struct, frozen=True):
    keys: str
    description: str
    binding_id: str


def key_sections(screen: Screen[object]) -> list[tuple[str, list[KeyRow]]]:
    """Every key of `screen` (remapped ones as remapped), in HELP_SECTIONS' order: also those
    not usable this moment (copying needs the detail pane open, say)."""
    rows_by: dict[tuple[str, str], KeyRow] = {}
    section_of = {bid: name for name, ids in HELP_SECTIONS.items() for bid in ids}
    grouped: dict[str, list[tuple[str, str]]] = {name: [] for name in [*HELP_SECTIONS, MORE]}
    grouped[TEXTUAL] = []
    app = screen.app
    # The chain from the focused widget up to the app, with the keymap applied: what
    # active_bindings reads, before it leaves out the actions not available this moment.
    chain = screen._modal_binding_chain
    every = [(node, b) for node, keys in chain for bs in keys.key_to_bindings.values() for b in bs]
    for node, binding in every:
        # One row per binding id (its keys together); Textual's own, per node and action.
        row_key = (binding.id, "") if binding.id else (str(id(node)), binding.action)
        row = rows_by.get(row_key)
        key = app.get_key_display(binding)
        if row is not None:
            rows_by[row_key] = KeyRow(f"{row.keys}, {key}", row.description, row.binding_id)
            continue
        description = binding.tooltip or binding.description or binding.action
        rows_by[row_key] = KeyRow(key, description, binding.id or "")
        section = section_of.get(binding.id or "", MORE if binding.id else TEXTUAL)
        grouped[section].append(row_key)
    order = {bid: at for ids in HELP_SECTIONS.values() for at, bid in enumerate(ids)}
    sections = []
    for name, row_keys in grouped.items():
        rows = sorted((rows_by[k] for k in row_keys), key=lambda r: order.get(r.binding_id, 99))
        if rows:
            sections.append((name, rows))
    return sections


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    #help-scroll {
        width: 90;
        max-width: 100%;
        height: 100%;
        max-height: 100%;
        padding: 0 1;
        border: thick $primary;
        background: $surface;
    }
    #help-scroll:focus {
        border: thick $accent;
    }
    .help-section {
        margin-top: 1;
        text-style: bold;
        color: $text-accent;
    }
    .help-row {
        height: auto;
    }
    .help-keys {
        text-style: bold;
    }
    .help-description {
        width: 1fr;
    }
    #help-title {
        text-style: bold;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1", "app.pop_screen", "Close", id="help-close"),
        Binding("j", "scroll('down')", show=False),
        Binding("k", "scroll('up')", show=False),
        Binding("g", "scroll('home')", show=False),
        Binding("G", "scroll('end')", show=False),
    ]

    def __init__(self, sections: list[tuple[str, list[KeyRow]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-scroll"):
            yield Static(
                "Keys · ↑ ↓ PgUp PgDn scroll · Esc closes · remap a key by its \\[id] in "
                "settings.toml's \\[keys]",
                id="help-title",
            )
            key_width = max((len(row.keys) for _, rows in self.sections for row in rows), default=4)
            for name, rows in self.sections:
                yield Static(name, classes="help-section", markup=False)
                for row in rows:
                    ident = f"  [dim]\\[{escape(row.binding_id)}][/]" if row.binding_id else ""
                    yield self._row(row.keys, f"{escape(row.description)}{ident}", key_width)
            yield Static("Row marks", classes="help-section")
            for sign, meaning in MARKS:
                yield self._row(sign, escape(meaning), key_width)

    @staticmethod
    def _row(keys: str, description: str, key_width: int) -> Horizontal:
        key = Static(keys, classes="help-keys", markup=False)
        key.styles.width = key_width + 2
        return Horizontal(key, Static(description, classes="help-description"), classes="help-row")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_scroll(self, where: str) -> None:
        scroll = self.query_one("#help-scroll", VerticalScroll)
        {
            "down": scroll.scroll_down,
            "up": scroll.scroll_up,
            "home": scroll.scroll_home,
            "end": scroll.scroll_end,
        }[where](animate=False)
