"""How wide each column of a table is, from the width at hand and the text the columns hold.

Columns that must be seen come first and get up to a comfortable width, in even shares when there
is not enough; optional ones then join, in the order of their priority, while they fit at a
comfortable width; what is left is shared evenly up to what each text needs. No column is wider
than its widest text: space nobody needs stays empty. When even the columns that must be seen do
not fit, the table scrolls sideways.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

GAP = 1
"""Blank cells after each column, so texts never touch."""
MARGIN = 1
"""Blank cells before the first column."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    min_width: int
    """Narrowest useful width; the header label may be cut to fit it."""
    align: Literal["left", "right"] = "left"
    priority: int = 0
    """0: always shown; 1, 2, …: shown, in that order, as the width allows."""
    fixed: bool = False
    """Stays in view when the table scrolls sideways (only a leading run of columns)."""
    comfortable: int = 0
    """Width it gets, if its text needs it, before optional columns join (0: min_width)."""
    clip: bool = False
    """Cut without an ellipsis, for a text whose first cells say enough (a status mark); such
    a column is widened last, and only to its whole text."""


def layout(columns: Sequence[Column], available: int, natural: Mapping[str, int]) -> dict[str, int]:
    """Each shown column's width, in column order; columns left out are absent.

    `natural` is the width of each column's widest text (its header label included).
    """
    wanted = {c.key: natural.get(c.key, c.min_width) for c in columns}
    narrowest = {c.key: min(c.min_width, wanted[c.key]) for c in columns}
    comfortable = {c.key: min(max(c.comfortable, narrowest[c.key]), wanted[c.key]) for c in columns}
    widths = {c.key: narrowest[c.key] for c in columns if c.priority == 0}
    spare = available - total_width(widths)
    if spare < 0:
        # The table scrolls sideways anyway: what scrolls might as well be whole.
        for column in columns:
            if column.key in widths and not column.fixed:
                widths[column.key] = wanted[column.key]
        return widths
    # The columns that must be seen are made comfortable before an optional one joins; an
    # optional one joins only if it can be comfortable too.
    spare = _share(spare, widths, comfortable)
    for column in sorted((c for c in columns if c.priority > 0), key=lambda c: c.priority):
        if comfortable[column.key] + GAP <= spare:
            widths[column.key] = comfortable[column.key]
            spare -= comfortable[column.key] + GAP
    # Clipped columns (a status mark) widen last, and only to their whole text.
    clipped = {c.key for c in columns if c.clip}
    spare = _share(spare, widths, {k: widths[k] if k in clipped else wanted[k] for k in widths})
    for key in clipped & widths.keys():
        if wanted[key] - widths[key] <= spare:
            spare -= wanted[key] - widths[key]
            widths[key] = wanted[key]
    return {c.key: widths[c.key] for c in columns if c.key in widths}


def _share(spare: int, widths: dict[str, int], wanted: Mapping[str, int]) -> int:
    """Widen `widths` by even shares of `spare`, none past what it wants; returns what is left.
    The columns that need little free their share for the others."""
    growing = [key for key in widths if wanted[key] > widths[key]]
    while spare > 0 and growing:
        share = max(1, spare // len(growing))
        for key in list(growing):
            extra = min(share, wanted[key] - widths[key], spare)
            widths[key] += extra
            spare -= extra
            if widths[key] >= wanted[key]:
                growing.remove(key)
            if spare == 0:
                break
    return spare


def total_width(widths: Mapping[str, int]) -> int:
    return MARGIN + sum(width + GAP for width in widths.values())
