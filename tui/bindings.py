"""Every key of the app, with the id a person remaps it by in settings.toml's [keys]."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import App
from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding("q", "quit", "Quit", id="quit", tooltip="Leave cco-unlink"),
    Binding("question_mark,f1", "toggle_help", "Keys", id="help", tooltip="Show every key"),
]

LIST_BINDINGS: list[BindingType] = [
    Binding("u", "unlink", "Unlink", id="unlink", tooltip="Unlink the picked CCOs, else this one"),
    Binding("space", "pick", "Pick", id="pick", tooltip="Pick this CCO for one unlink of many"),
    Binding("a", "pick_shown", "Pick all", id="pick-shown", tooltip="Pick every row shown"),
    # A priority binding runs as the key arrives, before later keys are passed on: see
    # FilterInput.open for why that order matters.
    Binding(
        "slash",
        "filter",
        "Filter",
        id="filter",
        tooltip="Show only rows with every word",
        priority=True,
    ),
    Binding("r", "refresh", "Refresh", id="refresh", tooltip="Load the list again from Procore"),
    Binding(
        "e",
        "export",
        "Export",
        id="export",
        show=False,
        tooltip="Save the rows shown, in their order, as CSV",
    ),
    Binding(
        "x",
        "delete_in_quickbooks",
        "QBD delete",
        id="delete-in-quickbooks",
        tooltip="Delete the CCO's lines from its purchase order in QuickBooks (step 1)",
    ),
    Binding(
        "c", "check", "Check", id="check", tooltip="Is it still in QuickBooks? Changes nothing"
    ),
    Binding("enter", "open_detail", "Detail", id="detail", tooltip="This CCO in full, read live"),
    Binding("y", "copy_id", "Copy id", id="copy-id", show=False, tooltip="Copy the CCO id"),
    Binding(
        "o",
        "copy_address",
        "Copy address",
        id="copy-address",
        show=False,
        tooltip="Copy the CCO's Procore address",
    ),
    Binding(
        "d",
        "delete_in_procore",
        "Delete in Procore",
        id="delete-in-procore",
        show=False,
        tooltip="Delete an unlinked CCO in Procore (step 3 of the fix)",
    ),
    Binding(
        "R",
        "batch_summary",
        "Last run",
        id="batch-summary",
        show=False,
        tooltip="Every CCO of the last unlink of many and its outcome",
    ),
    # Escape does the first of these that applies: stop a run, close the pane, clear the filter.
    Binding("escape", "stop_batch", "Stop", id="stop-batch", show=False),
    Binding("escape", "close_detail", "Close", id="close-detail", show=False),
    Binding("escape", "clear_filter", "Clear filter", id="clear-filter", show=False),
]

# Moving in the list (arrows, j/k, g/G, page keys) comes with VirtualTable.
TABLE_BINDINGS: list[BindingType] = [
    Binding("s", "sort_next", "Sort", id="sort", tooltip="Sort by the next column"),
    Binding(
        "S", "sort_reverse", "Reverse", show=False, id="sort-reverse", tooltip="Flip the order"
    ),
]

HELP_SECTIONS: dict[str, tuple[str, ...]] = {
    "Move in the list": (
        "cursor-up",
        "cursor-down",
        "page-up",
        "page-down",
        "first-row",
        "last-row",
    ),
    "Look and check": ("detail", "close-detail", "check", "copy-id", "copy-address"),
    "Pick and unlink": ("pick", "pick-shown", "unlink", "stop-batch", "batch-summary"),
    "The rest of the fix": ("delete-in-quickbooks", "delete-in-procore"),
    "Find and sort": ("filter", "clear-filter", "sort", "sort-reverse"),
    "The app": ("refresh", "export", "help", "quit"),
}
"""How the help screen groups the keys, by binding id; a key in none comes under "More"."""

SUMMARY_BINDINGS: list[BindingType] = [
    Binding("escape,q,R", "close", "Close", id="summary-close"),
    Binding("s", "save_csv", "Save CSV", id="summary-save"),
]
"""The summary of an unlink of many (tui/screens/batch_summary.py)."""

TYPED_CONFIRM_BINDINGS: list[BindingType] = [
    Binding("escape", "cancel", "Cancel", id="typed-cancel"),
]
"""The question answered by typing a name (tui/screens/typed_confirm.py)."""

KeyHint = tuple[tuple[str, str], ...]
"""A line of key hints: (binding id, what its key does) each."""

_DEFAULT_KEYS: dict[str, str] = {}
for _binding in Binding.make_bindings(
    [*APP_BINDINGS, *LIST_BINDINGS, *TABLE_BINDINGS, *SUMMARY_BINDINGS, *TYPED_CONFIRM_BINDINGS]
):
    if _binding.id:
        _DEFAULT_KEYS.setdefault(_binding.id, _binding.key)
_KEY_NAMES = {"enter": "Enter", "escape": "Esc", "space": "Space"}


def key_of(app: App[object], binding_id: str) -> str:
    """The key a person presses for `binding_id`: its first, as remapped in [keys] if it is."""
    keymap: Mapping[str, str] = getattr(app, "keymap", {})
    first = (keymap.get(binding_id) or _DEFAULT_KEYS[binding_id]).split(",")[0]
    return _KEY_NAMES.get(first, first)


def key_hint(app: App[object], hint: KeyHint) -> str:
    """ "o copy address · Esc close", with the keys this person has."""
    return " · ".join(f"{key_of(app, binding_id)} {words}" for binding_id, words in hint)
