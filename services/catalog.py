"""Gather the company's CCOs synced with QuickBooks Desktop, project by project, as rows.

Projects are read a few at a time, and each finished project is handed to the caller at once, so
the first rows show while the rest are still on their way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from services.models import Commitment, LoadProgress, Project, SyncedCco
from services.procore import ProcoreClient

# Projects read at once: enough to hide latency, few enough to stay well inside rate limits.
_CONCURRENT_PROJECTS = 4


async def synced_ccos(
    procore: ProcoreClient, company_id: int
) -> AsyncIterator[tuple[list[SyncedCco], LoadProgress]]:
    """Yield each project's synced CCOs with the progress so far."""
    projects = await procore.projects(company_id)
    gate = asyncio.Semaphore(_CONCURRENT_PROJECTS)

    async def load(project: Project) -> list[SyncedCco]:
        async with gate:
            return await project_ccos(procore, company_id, project)

    tasks = [asyncio.ensure_future(load(project)) for project in projects]
    rows_so_far = 0
    try:
        for done, task in enumerate(asyncio.as_completed(tasks), start=1):
            rows = await task
            rows_so_far += len(rows)
            yield rows, LoadProgress(done, len(projects), rows_so_far)
    finally:
        for task in tasks:
            task.cancel()
    if not projects:
        yield [], LoadProgress(0, 0, 0)


async def project_ccos(
    procore: ProcoreClient, company_id: int, project: Project
) -> list[SyncedCco]:
    change_orders = await procore.synced_change_orders(company_id, project.id)
    if not change_orders:
        return []
    commitments = {c.id: c for c in await procore.commitments(company_id, project.id)}
    rows = [
        _row(company_id, project, fields, commitments.get(fields["contract_id"]))
        for fields in change_orders
    ]
    rows.sort(key=lambda row: (row.commitment_number, row.number))
    return rows


def _row(
    company_id: int, project: Project, fields: dict[str, Any], commitment: Commitment | None
) -> SyncedCco:
    link = fields["link"]
    if commitment is not None and commitment.po_ref_number:
        po_reference = commitment.po_ref_number
    elif link is not None:
        po_reference = link.po_txn_id
    else:
        po_reference = commitment.origin_id if commitment and commitment.origin_id else "?"
    return SyncedCco(
        id=fields["id"],
        company_id=company_id,
        project_id=project.id,
        project_name=project.name,
        project_number=project.number,
        commitment_id=fields["contract_id"],
        commitment_number=commitment.number if commitment else f"#{fields['contract_id']}",
        commitment_title=commitment.title if commitment else "",
        vendor=commitment.vendor if commitment else "",
        number=fields["number"],
        title=fields["title"],
        amount=fields["amount"],
        synced_at=fields["synced_at"],
        origin_id=fields["origin_id"],
        link=link,
        po_reference=po_reference,
    )
