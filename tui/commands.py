"""The command palette's commands (ctrl+p): every action of the screen beneath, by name, and a
sort by each column. New keys join by themselves: the commands are read from the bindings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.widgets.cco_columns import COLUMN_KEYS, COLUMN_NAMES
from tui.widgets.cco_table import CcoTable


class ListCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        screen = self.screen
        seen: set[str] = set()
        for node, binding, enabled, tooltip in screen.active_bindings.values():
            if not binding.id or binding.id in seen or not enabled:
                continue
            seen.add(binding.id)
            key = self.app.get_key_display(binding)
            help_text = f"{tooltip or binding.tooltip or binding.description} · key {key}"
            title = binding.description or binding.action
            yield title, partial(self.app.run_action, binding.action, node), help_text
        tables = screen.query(CcoTable)
        if tables:
            table = tables.first()
            for column in COLUMN_KEYS:
                name = COLUMN_NAMES[column]
                yield (
                    f"Sort by {name}",
                    partial(table.sort_by, column),
                    f"Every row in order of {name}",
                )
            yield "Sort in load order", partial(table.sort_by, None), "The order Procore gave"

    async def discover(self) -> Hits:
        for title, command, help_text in self._commands():
            yield DiscoveryHit(title, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, command, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, help=help_text)
