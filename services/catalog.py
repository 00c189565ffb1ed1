"""Gather the company's CCOs synced with QuickBooks Desktop, project by project, as rows.

Projects are read concurrently and each finished project is handed to the caller at once, so the
first rows show while the rest are still on their way. How many requests are in flight is bounded
by Procore's rate-limit headers (the transport's pacing, services/procore/transport.py), not here:
this module only keeps
enough projects going to fill that budget, and few enough that early projects finish early.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from services.models import (
    Commitment,
    ListChanges,
    LoadProgress,
    Project,
    QuickBooksLink,
    SyncedCco,
)
from services.procore import parsing

if TYPE_CHECKING:
    from services.procore.client import ProcoreClient

# Projects read at once. Each reads its pages one after another, so this is also the most requests
# the load has in flight; the transport lets through only what the rate limit allows. More would
# only make the first projects finish later.
CONCURRENT_PROJECTS = 16

_T = TypeVar("_T")


async def synced_ccos(
    procore: ProcoreClient, company_id: int
) -> AsyncIterator[tuple[list[SyncedCco], LoadProgress]]:
    """Yield each project's synced CCOs with the progress so far."""
    projects = await procore.projects(company_id)
    rows_so_far = 0
    async for done, rows in _each_project(projects, lambda p: project_ccos(procore, company_id, p)):
        rows_so_far += len(rows)
        yield rows, LoadProgress(done, len(projects), rows_so_far)
    if not projects:
        yield [], LoadProgress(0, 0, 0)


async def changed_ccos(
    procore: ProcoreClient, company_id: int, since: datetime, cached_projects: Collection[int]
) -> AsyncIterator[ListChanges]:
    """Yield, project by project, the CCOs changed since `since` (filters[updated_at]): those
    still synced as rows to add or replace, the others (unlinked since) as ids to remove.

    `cached_projects` are the projects the cached list has rows of; one that is no longer listed
    (closed, or access withdrawn) has all its rows removed.
    """
    projects = await procore.projects(company_id)
    listed = {project.id for project in projects}
    gone_projects = [p for p in cached_projects if p not in listed]
    changed_so_far = 0

    def changes(project: Project) -> Awaitable[tuple[list[SyncedCco], list[int]]]:
        return project_changes(procore, company_id, project, since)

    async for done, (changed, removed) in _each_project(projects, changes):
        changed_so_far += len(changed) + len(removed)
        yield ListChanges(changed, removed, LoadProgress(done, len(projects), changed_so_far))
    if gone_projects or not projects:
        progress = LoadProgress(len(projects), len(projects), changed_so_far)
        yield ListChanges([], [], progress, removed_projects=gone_projects)


async def _each_project(
    projects: list[Project], work: Callable[[Project], Awaitable[_T]]
) -> AsyncIterator[tuple[int, _T]]:
    """Run `work` for every project, a bounded number at once; yield (how many are done, result)
    as each finishes. Leaving early cancels what is still running."""
    gate = asyncio.Semaphore(CONCURRENT_PROJECTS)

    async def bounded(project: Project) -> _T:
        async with gate:
            return await work(project)

    tasks = [asyncio.ensure_future(bounded(project)) for project in projects]
    try:
        for done, task in enumerate(asyncio.as_completed(tasks), start=1):
            yield done, await task
    finally:
        for task in tasks:
            task.cancel()


async def project_changes(
    procore: ProcoreClient, company_id: int, project: Project, since: datetime
) -> tuple[list[SyncedCco], list[int]]:
    change_orders = await procore.change_orders_updated_since(company_id, project.id, since)
    removed = [change_order.id for change_order in change_orders if not change_order.is_synced]
    synced = [change_order for change_order in change_orders if change_order.is_synced]
    return await _rows(procore, company_id, project, synced), removed


async def project_ccos(
    procore: ProcoreClient, company_id: int, project: Project
) -> list[SyncedCco]:
    change_orders = await procore.synced_change_orders(company_id, project.id)
    rows = await _rows(procore, company_id, project, change_orders)
    rows.sort(key=lambda row: (row.commitment_number, row.number))
    return rows


async def _rows(
    procore: ProcoreClient,
    company_id: int,
    project: Project,
    change_orders: list[parsing.ChangeOrder],
) -> list[SyncedCco]:
    """Rows for a project's synced CCOs, each joined with its commitment (read only if needed)."""
    if not change_orders:
        return []
    commitments = {c.id: c for c in await procore.commitments(company_id, project.id)}
    return [
        _row(company_id, project, change_order, commitments.get(change_order.contract_id))
        for change_order in change_orders
    ]


def _row(
    company_id: int,
    project: Project,
    change_order: parsing.ChangeOrder,
    commitment: Commitment | None,
) -> SyncedCco:
    """One row. Texts repeated on every row of a project or a commitment are the same string
    objects, not copies: at a million rows that is most of a row's text."""
    link = parsing.quickbooks_link(change_order.origin_data)
    if commitment is not None and commitment.po_ref_number:
        po_reference = commitment.po_ref_number
    elif link is not None:
        po_reference = link.po_txn_id
    else:
        po_reference = commitment.origin_id if commitment and commitment.origin_id else "?"
    return SyncedCco(
        id=change_order.id,
        company_id=company_id,
        project_id=project.id,
        project_name=project.name,
        project_number=project.number,
        commitment_id=change_order.contract_id,
        commitment_number=commitment.number if commitment else f"#{change_order.contract_id}",
        commitment_title=commitment.title if commitment else "",
        vendor=commitment.vendor if commitment else "",
        # CCO numbers repeat in every commitment (001, 002…): one string each.
        number=sys.intern(parsing.text(change_order.number)),
        title=parsing.text(change_order.title),
        cents=parsing.cents(change_order),
        synced_epoch=parsing.synced_epoch(change_order),
        origin_id=_origin_id(change_order.origin_id or "", link),
        po_txn_id=sys.intern(link.po_txn_id) if link else None,
        txn_line_ids=link.txn_line_ids if link else (),
        po_reference=po_reference,
    )


def _origin_id(origin_id: str, link: QuickBooksLink | None) -> str:
    """A CCO synced as one line is known by that line's id: one string for both, not two."""
    if link is not None and link.txn_line_ids[0] == origin_id:
        return link.txn_line_ids[0]
    return origin_id
