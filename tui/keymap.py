"""A person's [keys] checked against the app's bindings before the app starts: an id that names
no binding, or a key that another action of the same screen already has, is a settings error.
Either would otherwise leave a key that silently does nothing, or does the wrong thing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import REPLACED_KEYS, Keys, key_to_character

from tui.app import CcoUnlinkApp
from tui.screens.batch_summary import BatchSummaryScreen
from tui.screens.change_orders import ChangeOrdersScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.confirm_unlink_many import ConfirmUnlinkManyScreen
from tui.screens.help import HelpScreen
from tui.screens.sign_in import SignInScreen
from tui.screens.typed_confirm import TypedConfirmScreen
from tui.widgets.cco_table import CcoTable

SCOPES: tuple[tuple[type[DOMNode], ...], ...] = (
    (CcoUnlinkApp, ChangeOrdersScreen, CcoTable),
    (CcoUnlinkApp, ConfirmScreen),
    (CcoUnlinkApp, ConfirmUnlinkManyScreen),
    (CcoUnlinkApp, TypedConfirmScreen),
    (CcoUnlinkApp, BatchSummaryScreen),
    (CcoUnlinkApp, SignInScreen),
    (CcoUnlinkApp, HelpScreen),
)
"""Nodes whose keys are live at the same time: one key must not serve two of their actions."""


MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
KEY_NAMES = frozenset(key.value.rpartition("+")[2] for key in Keys if not key.value.startswith("<"))
"""Names of keys that are not characters: enter, pagedown, f5…"""


def is_key(key: str) -> bool:
    """A key Textual can deliver, as it reads [keys] ("?" already made "question_mark")."""
    *modifiers, name = key.split("+")
    if not name or not MODIFIERS.issuperset(modifiers):
        return False
    return (
        len(name) == 1
        or name in KEY_NAMES
        or key_to_character(REPLACED_KEYS.get(name, name)) is not None
    )


def bindings_of(node_type: type[DOMNode]) -> Iterator[Binding]:
    for klass in node_type.__mro__:
        yield from Binding.make_bindings(vars(klass).get("BINDINGS", ()))
    if issubclass(node_type, App):
        yield Binding(App.COMMAND_PALETTE_BINDING, "command_palette", "Command palette")


def keymap_problems(keymap: Mapping[str, str]) -> list[tuple[str, str]]:
    """(binding id, what is wrong) for each entry of `keymap` that cannot work."""
    known = {b.id for scope in SCOPES for node in scope for b in bindings_of(node) if b.id}
    problems = [
        (binding_id, f"'{binding_id}' is not a binding id (known: {', '.join(sorted(known))})")
        for binding_id in keymap
        if binding_id not in known
    ]
    # Compared as Textual reads them: "?" is "question_mark".
    normalized = App._normalize_keymap(dict(keymap))
    for binding_id, keys in keymap.items():
        for written in keys.split(","):
            if not is_key(App._normalize_keymap({"": written})[""]):
                problems.append(
                    (
                        binding_id,
                        f'{binding_id} = "{keys}": "{written}" is not a key (keys look like '
                        '"u", "ctrl+u", "shift+tab", "f5", "pagedown")',
                    )
                )
    for scope in SCOPES:
        # Which binding ids (or, for Textual's own keys, actions) each key would serve.
        owners: dict[str, set[tuple[str, str]]] = defaultdict(set)
        defaults: dict[str, set[str]] = defaultdict(set)
        for node in scope:
            for binding in bindings_of(node):
                if binding.id:
                    defaults[binding.id].add(binding.key)
                keys = normalized.get(binding.id or "", binding.key)
                for key in keys.split(","):
                    owners[key].add((binding.id or binding.action, binding.action))
        for binding_id, keys in normalized.items():
            # A key a binding has by default it shares as designed (Escape, say).
            for key in set(keys.split(",")) - defaults[binding_id]:
                served = owners[key]
                mine = {action for name, action in served if name == binding_id}
                others = sorted(
                    {name for name, action in served if name != binding_id and action not in mine}
                )
                problem = (
                    binding_id,
                    f'{binding_id} = "{keymap[binding_id]}": {key} is already the key of '
                    f"{', '.join(others)}",
                )
                if mine and others and problem not in problems:
                    problems.append(problem)
    return problems
