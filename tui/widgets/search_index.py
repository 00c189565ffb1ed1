"""What the filter searches: each row's own text, and the text its commitment shares with every
other row of it (project, commitment, vendor, purchase order), kept once per commitment.

A row holds every word typed when each word is in its own text or its commitment's. Words never
hold a space, so this finds what one text of the whole row would, at half the memory: a
commitment's text is most of a row's, and a company has fifty or more CCOs a commitment. Both
texts are lower-cased once, and a row's own text is kept as UTF-8 bytes (16 bytes a row fewer
than a string; a lower-cased word is found in them exactly where it is in the text). A row whose
commitment text differs from the one its commitment
was first indexed with (a project renamed since, say) keeps its whole text as its own instead,
and is searched by that alone.

Reads are plain dict lookups, each atomic: a thread may search while the event loop adds rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import compress, repeat
from operator import attrgetter, contains, or_

from services.models import SyncedCco


def cents_text(cents: int, separators: bool = True) -> str:
    """An amount in cents as the table shows it (1,234.50), without making a Decimal of it."""
    units, rest = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    return f"{sign}{units:,}.{rest:02d}" if separators else f"{sign}{units}.{rest:02d}"


def synced_date(cco: SyncedCco) -> str:
    if cco.synced_epoch is None:
        return ""
    day = cco.synced_epoch // 86_400
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = datetime.fromtimestamp(day * 86_400, UTC).date().isoformat()
    return text


_DAYS: dict[int, str] = {}
"""Each day's text, made once: a list of a million rows spans a few hundred days."""


def own_text(cco: SyncedCco) -> str:
    """What a person might type to find the row, but for what its commitment shares."""
    cents = cco.cents
    return (
        f"{cco.number} {cco.title} {cents_text(cents)} {cents_text(cents, separators=False)} "
        f"{synced_date(cco)}"
    ).lower()


def commitment_text(cco: SyncedCco) -> str:
    """What a row shares with its commitment's others: its purchase order's too."""
    return (
        f"{cco.project_number} {cco.project_name} {cco.commitment_number} "
        f"{cco.commitment_title} {cco.vendor} {cco.po_reference}"
    ).lower()


_COMMITMENT_OF = attrgetter("commitment_id")


class SearchIndex:
    def __init__(self) -> None:
        self._own: dict[int, bytes] = {}
        self._commitments: dict[int, str] = {}
        self._whole: set[int] = set()
        """Rows whose own text is their whole text (their commitment's differs)."""

    def __contains__(self, cco_id: int) -> bool:
        return cco_id in self._own

    def add(self, cco: SyncedCco) -> None:
        shared = commitment_text(cco)
        known = self._commitments.setdefault(cco.commitment_id, shared)
        if known == shared:
            self._own[cco.id] = own_text(cco).encode()
            self._whole.discard(cco.id)
        else:
            self._own[cco.id] = f"{shared} {own_text(cco)}".encode()
            self._whole.add(cco.id)

    def drop(self, cco_id: int) -> None:
        self._own.pop(cco_id, None)
        self._whole.discard(cco_id)

    def missing(self, ids: Iterable[int]) -> Iterable[int]:
        own = self._own
        return (cco_id for cco_id in ids if cco_id not in own)

    def having(self, ids: Sequence[int], word: str, records: dict[int, SyncedCco]) -> Iterable[int]:
        """The ids whose row holds `word`, each step in C (no Python code per row). Every id
        must be indexed."""
        commitments = {key for key, text in list(self._commitments.items()) if word in text}
        own, encoded = self._own, word.encode()
        found = map(contains, map(own.__getitem__, ids), repeat(encoded))
        if not commitments:
            return compress(ids, found)
        theirs = map(commitments.__contains__, map(_COMMITMENT_OF, map(records.__getitem__, ids)))
        kept = compress(ids, map(or_, found, theirs))
        whole = set(self._whole)
        if not whole:
            return kept
        # A row searched by its whole text alone: its commitment's match does not count.
        return (cco_id for cco_id in kept if cco_id not in whole or encoded in own[cco_id])
