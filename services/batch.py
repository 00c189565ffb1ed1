"""One unlink of many: the CCOs in the order given, one at a time, stoppable between two CCOs,
and a result kept for every CCO, tried or not. The screen and `cco-unlink unlink` both run their
unlinks through it, so a result is never lost to the way it was asked for."""

from __future__ import annotations

import csv
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import msgspec

from services import messages
from services.errors import (
    CcoUnlinkError,
    ProcoreSignInRequiredError,
    QuickBooksError,
)
from services.export import CCO_CSV_COLUMNS, cco_cells, private_file
from services.models import OutcomeKind, SyncedCco, UnlinkOutcome

log = logging.getLogger(__name__)

Unlink = Callable[[SyncedCco], Awaitable[UnlinkOutcome]]
Heard = Callable[[SyncedCco, UnlinkOutcome], None]
Starting = Callable[[SyncedCco, int], None]

# An outcome after which the CCOs left would only fail the same way: the batch stops there.
STOPS_THE_BATCH = frozenset({OutcomeKind.SIGN_IN_REQUIRED})


class BatchResult(msgspec.Struct, frozen=True):
    """One CCO of a batch and how it ended; outcome None when the batch stopped before it."""

    cco: SyncedCco
    outcome: UnlinkOutcome | None

    @property
    def words(self) -> str:
        """The outcome in a few words, for a list of many."""
        if self.outcome is None:
            return messages.NOT_TRIED
        return messages.outcome_words(self.outcome.kind)


class UnlinkBatch:
    def __init__(self, ccos: Sequence[SyncedCco], unlink: Unlink) -> None:
        self.ccos = tuple(ccos)
        self._unlink = unlink
        self._outcomes: dict[int, UnlinkOutcome] = {}
        self.current: SyncedCco | None = None
        self.stop_requested = False
        self.finished = False

    @property
    def ids(self) -> frozenset[int]:
        return frozenset(cco.id for cco in self.ccos)

    def stop(self) -> None:
        """End after the CCO in progress: an unlink under way is never cut off halfway."""
        self.stop_requested = True

    async def run(self, on_start: Starting | None = None, on_outcome: Heard | None = None) -> None:
        """Unlink each CCO in turn. `on_start` hears each CCO as it begins (with its place,
        from 1), `on_outcome` each outcome as it comes, so a run cut short has said all it did."""
        try:
            for place, cco in enumerate(self.ccos, start=1):
                if self.stop_requested:
                    break
                self.current = cco
                if on_start is not None:
                    on_start(cco, place)
                outcome = await self._attempt(cco)
                self._outcomes[cco.id] = outcome
                self.current = None
                if on_outcome is not None:
                    on_outcome(cco, outcome)
                if outcome.kind in STOPS_THE_BATCH:
                    self.stop_requested = True
        finally:
            self.current = None
            self.finished = True

    async def _attempt(self, cco: SyncedCco) -> UnlinkOutcome:
        """The service's outcome; a failure before it could answer becomes one too, and stops
        the batch: the next CCO would meet the same failure."""
        try:
            return await self._unlink(cco)
        except CcoUnlinkError as error:
            self.stop_requested = True
            return UnlinkOutcome(_kind_of(error), error.message, cco.id)
        except Exception:
            # Money is at stake: say plainly that the result is not known, never guess.
            log.exception("unlink of CCO %s stopped unexpectedly", cco.id)
            self.stop_requested = True
            return UnlinkOutcome(OutcomeKind.OUTCOME_UNKNOWN, messages.UNEXPECTED, cco.id)

    @property
    def results(self) -> list[BatchResult]:
        """Every CCO of the batch, in its order, with its outcome or None (not tried)."""
        return [BatchResult(cco, self._outcomes.get(cco.id)) for cco in self.ccos]

    @property
    def outcomes(self) -> list[UnlinkOutcome]:
        return [self._outcomes[cco.id] for cco in self.ccos if cco.id in self._outcomes]

    @property
    def all_succeeded(self) -> bool:
        outcomes = self.outcomes
        return len(outcomes) == len(self.ccos) and all(o.kind.succeeded for o in outcomes)

    def summary(self) -> str:
        """One line: how many ended each way, how many were not tried, and whether stopped."""
        line = messages.unlinked_many([o.kind for o in self.outcomes], len(self.ccos))
        stopped = self.stop_requested and len(self._outcomes) < len(self.ccos)
        return f"{messages.BATCH_STOPPED} {line}" if stopped else line

    def write_csv(self, path: Path) -> None:
        """Every CCO of the batch and its outcome, for a spreadsheet; written 0600 (it names
        the company's CCOs and amounts)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8", opener=private_file) as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for result in self.results:
                cco, outcome = result.cco, result.outcome
                writer.writerow(
                    [
                        *cco_cells(cco),
                        outcome.kind.value if outcome else "not_tried",
                        result.words,
                        outcome.message if outcome else "",
                        outcome.evidence if outcome else "",
                    ]
                )


CSV_COLUMNS = (
    *CCO_CSV_COLUMNS,
    "outcome",
    "outcome_words",
    "message",
    "quickbooks_evidence",
)


def _kind_of(error: CcoUnlinkError) -> OutcomeKind:
    if isinstance(error, ProcoreSignInRequiredError):
        return OutcomeKind.SIGN_IN_REQUIRED
    if isinstance(error, QuickBooksError):
        return OutcomeKind.QUICKBOOKS_UNREACHABLE
    return OutcomeKind.PROCORE_FAILED
