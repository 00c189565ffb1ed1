"""Gather the company's CCOs synced with QuickBooks Desktop, project by project, as rows.

A load costs as few requests as Procore allows: the projects are listed once, and only those
synced with the ERP are asked (a project whose origin_id is null cannot hold synced CCOs); a
project's commitments are asked only when it has synced CCOs, except the first project's, asked
with its CCOs so that the first rows wait one round trip less (two requests lost, once a load,
when it has none: a choice); every list is asked at the largest page size
(services/procore/endpoints.py).

Projects are read concurrently and each finished project is handed to the caller at once, so the
first rows show while the rest are on their way, and the caller can save each as it comes. How
many requests leave when is the transport's pacing (services/procore/transport.py); this module
keeps enough projects going to use the budget Procore reports, and no more: a project started
early only waits in the pacing, where it holds back a project the person asked for
(ProjectPreference) and, if the app stops, repeats its requests on the next start.
"""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from services import request_tally
from services.clock import SYSTEM_CLOCK, Clock
from services.errors import ProcoreRateLimitError
from services.models import (
    CcoPlace,
    Commitment,
    ListChanges,
    LoadProgress,
    Project,
    SyncedCco,
)
from services.procore import parsing

if TYPE_CHECKING:
    from services.procore.client import ProcoreClient
    from services.procore.transport import RateLimitState

# Projects read at once while Procore's budget is wide; each reads its pages one after another.
CONCURRENT_PROJECTS = 16
# ... and while the budget is spent: enough that one slow answer does not stall the load.
MIN_CONCURRENT_PROJECTS = 2
# Requests a project takes when it has synced CCOs: its CCO list and its two commitment lists. The
# estimate of what is left uses the load's own average once a project is done.
REQUESTS_PER_PROJECT = 3
# Waited before a project is tried again when the rate limit outlasted the transport's patience
# and Procore gave no reset time.
RATE_LIMIT_PAUSE_S = 60.0
# Resets a project waits for before a rate limit that will not lift is reported as an error.
RATE_LIMIT_WAITS = 3

_T = TypeVar("_T")


class ProjectPreference:
    """What the person filters the list by: projects it names are loaded before the others."""

    def __init__(self) -> None:
        self.words: tuple[str, ...] = ()

    def set(self, words: Sequence[str]) -> None:
        self.words = tuple(word.casefold() for word in words if word)

    def matches(self, project: Project) -> bool:
        """Any word of the filter in the project's name or number (a filter also holds words
        about CCOs and vendors, which no project name has)."""
        text = f"{project.name} {project.number}".casefold()
        return any(word in text for word in self.words)


class _ProjectQueue:
    def __init__(self, projects: list[Project], preference: ProjectPreference) -> None:
        self._pending = list(projects)
        self._preference = preference

    def __len__(self) -> int:
        return len(self._pending)

    def take(self, *, preferred_only: bool = False) -> Project | None:
        """The next project to load: the first the person prefers, else the first in order
        (none when `preferred_only` and no pending project is preferred)."""
        if self._preference.words:
            for index, project in enumerate(self._pending):
                if self._preference.matches(project):
                    return self._pending.pop(index)
        if preferred_only or not self._pending:
            return None
        return self._pending.pop(0)


@dataclass(frozen=True)
class _Tally:
    """Where a load stands: projects done, and the requests spent on those and on the ones in
    flight (counted on the wire, so pages and retries count)."""

    done: int
    done_requests: int
    running_requests: int


class Pace:
    """What is left of a load, in requests and in time, from Procore's rate-limit headers.

    Requests left: what the projects done took on average, for each project not done, less what
    the projects in flight have spent already. Time left: the headers give the nearer window's
    limit, what is left of it and when it frees up, not its length; a window's length is taken
    as the longest wait to its reset seen with its limit (the first request in a fresh window
    sees all of it). The time is then the longer of the windows the remaining requests need at
    that limit, and the load's own pace so far (choice).
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._started = clock.time()
        self._window_s: dict[int, float] = {}

    def progress(
        self, tally: _Tally, total: int, rows: int, rate: RateLimitState | None
    ) -> LoadProgress:
        if not tally.done:
            return LoadProgress(0, total, rows)
        per_project = max(tally.done_requests / tally.done, 1.0)
        left = max(0, round(per_project * (total - tally.done)) - tally.running_requests)
        sent = tally.done_requests + tally.running_requests
        eta = self._eta(left, sent, rate, self._clock.time())
        return LoadProgress(tally.done, total, rows, left, eta)

    def _eta(self, left: int, sent: int, rate: RateLimitState | None, now: float) -> float:
        if not left:
            return 0.0
        elapsed = now - self._started
        by_pace = left * elapsed / sent if sent and elapsed > 0 else 0.0
        reset = rate.reported_reset if rate is not None else None
        if rate is None or rate.limit is None or rate.remaining is None or reset is None:
            return by_pace
        to_reset = max(0.0, reset - now)
        window = max(self._window_s.get(rate.limit, 0.0), to_reset)
        self._window_s[rate.limit] = window
        if left <= rate.remaining:
            return by_pace
        windows = math.ceil((left - rate.remaining) / max(1, rate.limit))
        return max(by_pace, to_reset + (windows - 1) * window)


@dataclass(frozen=True)
class ProjectRows:
    """One project's synced CCOs, with the load's progress once it is in."""

    project_id: int
    rows: list[SyncedCco]
    progress: LoadProgress


async def synced_ccos(
    procore: ProcoreClient,
    company_id: int,
    *,
    skip: Collection[int] = (),
    preference: ProjectPreference | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> AsyncIterator[ProjectRows]:
    """Yield each synced project's synced CCOs as it is in, except projects in `skip` (those an
    unfinished load has already saved). The first answer is the projects' list itself."""
    pace = Pace(clock)
    projects = [p for p in await procore.projects(company_id) if p.synced and p.id not in skip]
    rate = procore.transport.rate_limit
    total = len(projects)
    rows_so_far = 0

    first: list[Project] = []

    def work(project: Project) -> Awaitable[list[SyncedCco]]:
        # The first project's rows are what a list with nothing on screen waits for: its
        # commitments are asked with its CCOs, a round trip sooner, at the cost of two requests
        # if it turns out to have no synced CCO.
        first.append(project)
        return project_ccos(procore, company_id, project, commitments_at_once=len(first) == 1)

    yield ProjectRows(0, [], pace.progress(_Tally(0, 0, 0), total, 0, rate))
    each = _each_project(projects, work, rate, preference, clock, first_alone=True)
    async for tally, project, rows in each:
        rows_so_far += len(rows)
        yield ProjectRows(project.id, rows, pace.progress(tally, total, rows_so_far, rate))


async def changed_ccos(
    procore: ProcoreClient,
    company_id: int,
    since: datetime,
    cached_projects: Collection[int],
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> AsyncIterator[ListChanges]:
    """Yield, project by project, the CCOs changed since `since` (filters[updated_at]): those
    still synced as rows to add or replace, the others (unlinked since) as ids to remove.

    `cached_projects` are the projects the cached list has rows of; one that is no longer listed
    (closed, or access withdrawn) or no longer synced has all its rows removed.
    """
    listed = await procore.projects(company_id)
    projects = [project for project in listed if project.synced]
    asked = {project.id for project in projects}
    gone_projects = [p for p in cached_projects if p not in asked]
    changed_so_far = 0

    def changes(project: Project) -> Awaitable[tuple[list[SyncedCco], list[int]]]:
        return project_changes(procore, company_id, project, since)

    rate = procore.transport.rate_limit
    async for tally, _, (changed, removed) in _each_project(projects, changes, rate, None, clock):
        changed_so_far += len(changed) + len(removed)
        progress = LoadProgress(tally.done, len(projects), changed_so_far)
        yield ListChanges(changed, removed, progress)
    if gone_projects or not projects:
        progress = LoadProgress(len(projects), len(projects), changed_so_far)
        yield ListChanges([], [], progress, removed_projects=gone_projects)


def _in_flight_allowed(rate: RateLimitState | None) -> int:
    """Projects worth having in flight: as many as what is left of the window can serve."""
    if rate is None or rate.remaining is None:
        return CONCURRENT_PROJECTS
    fits = rate.remaining // REQUESTS_PER_PROJECT
    return max(MIN_CONCURRENT_PROJECTS, min(CONCURRENT_PROJECTS, fits))


async def _each_project(
    projects: list[Project],
    work: Callable[[Project], Awaitable[_T]],
    rate: RateLimitState | None,
    preference: ProjectPreference | None,
    clock: Clock,
    *,
    first_alone: bool = False,
) -> AsyncIterator[tuple[_Tally, Project, _T]]:
    """Run `work` for every project, as many at once as the rate limit can serve, the preferred
    ones first; yield (where the load stands, the project, its result) as each finishes. Leaving
    early cancels what is still running.

    `first_alone`: the first project runs alone, the others start once it is done. A list with
    nothing yet on screen shows that project's rows after its own two or three answers, rather
    than after the dozens the others would send with it, each read and parsed first (on the
    embedded demo, a third of the time from the projects' list to the first rows). A load
    waits for it once, a project's answers, however long it is."""
    queue = _ProjectQueue(projects, preference or ProjectPreference())
    running: dict[asyncio.Task[_T], tuple[Project, list[int]]] = {}

    async def patiently(project: Project, spent: list[int]) -> _T:
        with request_tally.tally(spent):
            for _ in range(RATE_LIMIT_WAITS):
                try:
                    return await work(project)
                except ProcoreRateLimitError:
                    # The rate limit outlasted the transport's patience (the hourly window
                    # spent): waited out here, where the load's progress is saved and the person
                    # can stop.
                    reset = rate.reported_reset if rate is not None else None
                    wait = reset - clock.time() if reset is not None else RATE_LIMIT_PAUSE_S
                    await clock.sleep(max(1.0, wait))
            # Still refused after as many resets: said, not waited for any longer.
            return await work(project)

    done = done_requests = 0
    try:
        while queue or running:
            while queue and len(running) < _in_flight_allowed(rate):
                if first_alone and running and not done:
                    break
                # While a preferred project loads, no other starts to compete with its requests.
                wanted = preference is not None and any(
                    preference.matches(project) for project, _ in running.values()
                )
                next_project = queue.take(preferred_only=wanted)
                if next_project is None:
                    break
                spent: list[int] = [0]
                task = asyncio.create_task(patiently(next_project, spent))
                running[task] = (next_project, spent)
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                project, spent = running.pop(task)
                result = task.result()
                done += 1
                done_requests += spent[0]
                in_flight = sum(box[0] for _, box in running.values())
                yield _Tally(done, done_requests, in_flight), project, result
    finally:
        for task in running:
            task.cancel()


async def project_changes(
    procore: ProcoreClient, company_id: int, project: Project, since: datetime
) -> tuple[list[SyncedCco], list[int]]:
    change_orders = await procore.change_orders_updated_since(company_id, project.id, since)
    removed = [change_order.id for change_order in change_orders if not change_order.is_synced]
    synced = [change_order for change_order in change_orders if change_order.is_synced]
    return await _rows(procore, company_id, project, synced), removed


async def project_ccos(
    procore: ProcoreClient, company_id: int, project: Project, *, commitments_at_once: bool = False
) -> list[SyncedCco]:
    """The project's synced CCOs as rows. Its commitments are asked once its CCOs are in and
    only if one is synced, or, `commitments_at_once`, together with them."""
    commitments: asyncio.Future[list[Commitment]] | None = None
    if commitments_at_once:
        commitments = asyncio.ensure_future(procore.commitments(company_id, project.id))
    try:
        change_orders = await procore.synced_change_orders(company_id, project.id)
        rows = await _rows(procore, company_id, project, change_orders, commitments)
    finally:
        if commitments is not None and not commitments.cancel() and not commitments.cancelled():
            commitments.exception()  # read: an unneeded list's failure is no lost error
    rows.sort(key=lambda row: (row.commitment_number, row.number))
    return rows


async def _rows(
    procore: ProcoreClient,
    company_id: int,
    project: Project,
    change_orders: list[parsing.ChangeOrder],
    asked: Awaitable[list[Commitment]] | None = None,
) -> list[SyncedCco]:
    """Rows for a project's synced CCOs, each joined with its commitment (read only if needed,
    unless already `asked`; a synced CCO belongs to a synced commitment, so the others are
    dropped at once)."""
    if not change_orders:
        return []
    listed = await (asked or procore.commitments(company_id, project.id))
    commitments = {c.id: c for c in listed if c.origin_id}
    places: dict[tuple[int, str | None], CcoPlace] = {}
    titles: dict[str, str] = {}
    return [
        _row(
            company_id,
            project,
            change_order,
            commitments.get(change_order.contract_id),
            places,
            titles,
        )
        for change_order in change_orders
    ]


def _row(
    company_id: int,
    project: Project,
    change_order: parsing.ChangeOrder,
    commitment: Commitment | None,
    places: dict[tuple[int, str | None], CcoPlace],
    titles: dict[str, str],
) -> SyncedCco:
    """One row. What it shares with the other CCOs of its commitment is one CcoPlace, kept in
    `places` (by commitment and purchase order) for the rows of the same project; a title
    already seen in the project is that one string (`titles`): a change event's CCOs carry its
    title on each commitment it changes. Run for every
    CCO loaded: its arguments are given in SyncedCco's field order, as keywords cost 0.4 µs a
    row, a tenth of its building (tests/services/test_rows.py checks the order)."""
    origin_id = change_order.origin_id or ""
    link = parsing.link_parts(change_order.origin_data)
    if link is None:
        po_txn_id, line_ids = None, ""
    else:
        po_txn_id, line_ids = link
        if line_ids == origin_id:
            origin_id = line_ids  # synced as one line, known by its id: one string, not two
    title = parsing.text(change_order.title)
    place = places.get((change_order.contract_id, po_txn_id))
    if place is None:
        place = places[change_order.contract_id, po_txn_id] = _place(
            company_id, project, change_order.contract_id, commitment, po_txn_id
        )
    return SyncedCco(
        change_order.id,
        place,
        # CCO numbers repeat in every commitment (001, 002…): one string each.
        sys.intern(parsing.text(change_order.number)),
        titles.setdefault(title, title),
        parsing.cents(change_order),
        parsing.synced_epoch(change_order),
        origin_id,
        line_ids,
    )


def _place(
    company_id: int,
    project: Project,
    contract_id: int,
    commitment: Commitment | None,
    po_txn_id: str | None,
) -> CcoPlace:
    """Where the CCOs of `contract_id` added to `po_txn_id` belong, as the list shows it."""
    if commitment is None:
        return CcoPlace(
            company_id,
            project.id,
            project.name,
            project.number,
            contract_id,
            f"#{contract_id}",
            "",
            "",
            po_txn_id,
            po_txn_id or "?",
        )
    return CcoPlace(
        company_id,
        project.id,
        project.name,
        project.number,
        commitment.id,
        commitment.number,
        commitment.title,
        commitment.vendor,
        po_txn_id,
        commitment.po_ref_number or po_txn_id or commitment.origin_id or "?",
    )
