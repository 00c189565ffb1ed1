"""The line under the list: how many CCOs, what the filter shows, what is picked, how fresh."""

from __future__ import annotations

import msgspec
from textual.widgets import Static


class ListSummary(msgspec.Struct, frozen=True):
    total: int
    shown: int
    filter_words: tuple[str, ...] = ()
    picked: int = 0
    sort: str = ""
    cache_note: str = ""
    searching: bool = False
    """The filter is still being worked out (a long list, in the background)."""


def summary_text(summary: ListSummary) -> str:
    total = summary.total
    text = f"{total:,} synced CCO{'s' if total != 1 else ''}"
    if summary.filter_words:
        if summary.searching:
            shown = "searching…"
        else:
            shown = f"{summary.shown:,} shown" if summary.shown else "none matches"
        text += f" · filter “{' '.join(summary.filter_words)}”: {shown}"
    if summary.sort:
        text += f" · {summary.sort}"
    if summary.picked:
        text += f" · {summary.picked:,} picked (u unlinks them)"
    if summary.cache_note:
        text += f" · {summary.cache_note}"
    return text


class StatusLine(Static):
    """Shows either a passing state ("Connecting…") or the list's summary."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    def say(self, text: str) -> None:
        # One line high and as wide as the screen: a new text never changes its size, so it
        # needs no layout of the screen (about 10 ms each, once per project while loading).
        self.update(text, layout=False)

    def summarize(self, summary: ListSummary) -> None:
        self.update(summary_text(summary), layout=False)
