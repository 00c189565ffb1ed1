"""What the filter searches: each row's own text, and the text its commitment shares with every
other row of it (project, commitment, vendor, purchase order), kept once per commitment.

A row holds every word typed when each word is in its own text or its commitment's. Words never
hold whitespace, so this finds what one text of the whole row would, at half the memory: a
commitment's text is most of a row's, and a company has fifty or more CCOs a commitment. A row
whose commitment text differs from the one its commitment was first indexed with (a project
renamed since, say) keeps its whole text as its own instead, and is searched by that alone.

The rows' own texts are kept per commitment, lower-cased, as one UTF-8 string of bytes, a line a
row, beside the list of their ids: about 70 bytes a row, where a string and a dict entry a row
took 150. A word is looked for in a commitment's bytes at once, in C, and only a commitment that
holds it is split into its rows. A row added or changed waits among its commitment's `fresh`
rows, a row dropped among its `dead` ones, until the commitment's bytes are made again (`seal`).

A thread may search while the event loop adds rows: a commitment's sealed rows are replaced in
one assignment, and the rest are copied before they are read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from itertools import accumulate, chain, compress, filterfalse
from operator import attrgetter, methodcaller, or_

from services.models import CcoPlace, SyncedCco, cents_text


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
    """What a person might type to find the row, but for what its commitment shares,
    lower-cased."""
    cents = cco.cents
    return (
        f"{cco.number} {cco.title} {cents_text(cents)} {cents_text(cents, separators=False)} "
        f"{synced_date(cco)}"
    ).lower()


def commitment_text(place: CcoPlace) -> str:
    """What a row shares with its commitment's others: its purchase order's too."""
    return (
        f"{place.project_number} {place.project_name} {place.commitment_number} "
        f"{place.commitment_title} {place.vendor} {place.po_reference}"
    ).lower()


_COMMITMENT_OF = attrgetter("place.commitment_id")
_LINE_BREAKS = methodcaller("count", b"\n")


# Rows added to a commitment before its texts are joined again.
SEAL_AT = 64


_State = tuple[list[int], bytes, dict[int, bytes] | None, set[int] | None]


class _Rows:
    """The rows of one commitment."""

    __slots__ = ("place", "state", "text", "wholes")

    def __init__(self, place: CcoPlace) -> None:
        self.place = place
        """Where its first row indexed belongs: a row of the same place holds the same text."""
        self.text = commitment_text(place)
        """The commitment's text, lower-cased."""
        self.state: _State = ([], b"", None, None)
        """Ids and their own texts joined a line each, as sealed; the rows added since, by id;
        the rows dropped since, whose sealed text no longer counts (None: none, as a sealed
        commitment holds no empty dict and set, 300 bytes a commitment). One value, replaced
        whole when sealed or first added to: a thread searching reads the four of one moment."""
        self.wholes = False
        """Some row of it was indexed by its whole text (see SearchIndex)."""

    def put(self, cco_id: int, text: bytes) -> int:
        """Hold `text` as `cco_id`'s until the next seal; how many rows wait for it."""
        ids, joined, fresh, dead = self.state
        if fresh is None:
            fresh = {}
            self.state = (ids, joined, fresh, dead)
        fresh[cco_id] = text
        return len(fresh)

    def forget(self, cco_id: int) -> None:
        """`cco_id`'s text no longer counts."""
        ids, joined, fresh, dead = self.state
        if fresh is not None:
            fresh.pop(cco_id, None)
        if dead is None:
            dead = set()
            self.state = (ids, joined, fresh, dead)
        dead.add(cco_id)

    @property
    def changed(self) -> bool:
        """Rows were added or dropped since the last seal."""
        _, _, fresh, dead = self.state
        return bool(fresh or dead)

    def seal(self) -> None:
        ids, joined, fresh, dead = self.state
        gone: AbstractSet[int] = dead or frozenset()
        texts = [
            (cco_id, text)
            for cco_id, text in zip(ids, joined.split(b"\n") if ids else [], strict=True)
            if cco_id not in gone
        ]
        if fresh:
            texts += fresh.items()
        self.state = ([cco_id for cco_id, _ in texts], b"\n".join(t for _, t in texts), None, None)

    def holding(self, encoded: bytes) -> Iterable[int]:
        """The ids of the rows whose own text holds `encoded`."""
        ids, joined, fresh_now, dead_now = self.state
        fresh = list(fresh_now.items()) if fresh_now else []
        found: Iterable[int] = ()
        if encoded in joined:
            # The line of each place it is at: the line breaks before it, counted in C.
            before = joined.split(encoded)[:-1]
            found = map(ids.__getitem__, accumulate(map(_LINE_BREAKS, before)))
            if dead_now:
                found = filterfalse(set(dead_now).__contains__, found)
        if fresh:
            found = chain(found, (cco_id for cco_id, text in fresh if encoded in text))
        return found


class Match:
    """The rows holding one word: those whose own text holds it, and the commitments whose
    text does."""

    def __init__(self, found: set[int], commitments: set[int], whole: set[int]) -> None:
        self._found, self._commitments, self._whole = found, commitments, whole

    def among(self, ids: Sequence[int], records: dict[int, SyncedCco]) -> Iterable[int]:
        """Those of `ids` the word is in, in their order, each step in C."""
        found = self._found
        if not self._commitments:
            return compress(ids, map(found.__contains__, ids))
        theirs = map(
            self._commitments.__contains__, map(_COMMITMENT_OF, map(records.__getitem__, ids))
        )
        if found:
            kept = compress(ids, map(or_, map(found.__contains__, ids), theirs))
        else:  # the word is in commitments' text alone (a vendor's name, say): one test a row
            kept = compress(ids, theirs)
        whole = self._whole
        if not whole:
            return kept
        # A row searched by its whole text alone: its commitment's match does not count.
        return (cco_id for cco_id in kept if cco_id not in whole or cco_id in found)


class SearchIndex:
    def __init__(self) -> None:
        self._commitments: dict[int, _Rows] = {}
        self._whole: set[int] = set()
        """Rows whose own text is their whole text (their commitment's differs)."""
        self.size = 0
        """About how many rows are held (a row added twice counts twice)."""

    def add(self, cco: SyncedCco) -> None:
        place = cco.place
        rows = self._commitments.get(place.commitment_id)
        if rows is None:
            rows = self._commitments[place.commitment_id] = _Rows(place)
        if place is rows.place or commitment_text(place) == rows.text:
            text = own_text(cco)
            self._whole.discard(cco.id)
        else:
            text = f"{commitment_text(place)} {own_text(cco)}"
            self._whole.add(cco.id)
            rows.wholes = True
        # A line a row: a line break of a title is a space here (no word holds either).
        waiting = rows.put(cco.id, text.replace("\n", " ").encode())
        self.size += 1
        if waiting >= SEAL_AT:
            rows.seal()

    def drop(self, cco: SyncedCco) -> None:
        """Forget `cco`'s text, as it was indexed (its commitment then)."""
        rows = self._commitments.get(cco.commitment_id)
        if rows is not None:
            rows.forget(cco.id)
            self.size -= 1
        self._whole.discard(cco.id)

    def seal(self) -> None:
        """Join every commitment's rows added or dropped since: the list has settled."""
        for rows in self._commitments.values():
            if rows.changed:
                rows.seal()

    def matching(
        self,
        word: str,
        pause: Callable[[], bool] | None = None,
        within: set[int] | None = None,
    ) -> Match | None:
        """The rows holding `word`, of the commitments `within` (None: all); given `pause`, it
        is called every PAUSE_EVERY commitments and its True gives up (None)."""
        encoded = word.encode()
        found: set[int] = set()
        commitments: set[int] = set()
        searched = list(self._commitments.items())
        if within is not None:
            searched = [(key, rows) for key, rows in searched if key in within]
        for count, (commitment, rows) in enumerate(searched):
            if pause is not None and not count % PAUSE_EVERY and pause():
                return None
            if word in rows.text:
                commitments.add(commitment)
                if not rows.wholes:
                    continue  # its every row holds the word
            found.update(rows.holding(encoded))
        return Match(found, commitments, set(self._whole))

    def having(self, ids: Sequence[int], word: str, records: dict[int, SyncedCco]) -> list[int]:
        """Those of `ids` whose row holds `word`, in their order. Every row must be indexed."""
        within = None
        if len(ids) < self.size // 2:  # a narrower filter: the commitments of the rows shown
            within = set(map(_COMMITMENT_OF, map(records.__getitem__, ids)))
        match = self.matching(word, within=within)
        assert match is not None
        return list(match.among(ids, records))


# Commitments searched between pauses, in a thread: about 10,000 rows.
PAUSE_EVERY = 50
