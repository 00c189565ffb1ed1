"""The Procore calls cco-unlink makes, each returning typed records."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from services import messages
from services.clock import SYSTEM_CLOCK, Clock
from services.errors import ProcoreItemsRefusedError, ProcorePermissionError, ProcoreReplyError
from services.models import AccessLevel, CcoDetail, CcoState, Commitment, Company, Project, User
from services.procore import endpoints, parsing
from services.procore.auth import Credentials
from services.procore.transport import ProcoreTransport


@dataclass(frozen=True)
class LinksCleared:
    """What Procore answered to clearing a CCO's links."""

    changed: bool
    """False only when Procore says this request changed nothing (someone else had cleared it)."""
    confirmed: bool
    """True when the answer lists every item sent with its link cleared."""


class ProcoreClient:
    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 30.0,
        per_page: int = endpoints.MAX_PER_PAGE,
        http: httpx.AsyncClient | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.transport = ProcoreTransport(
            base_url, credentials, timeout=timeout, http=http, clock=clock
        )
        self.per_page = per_page
        self.clock = clock

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def me(self) -> User:
        return parsing.user(await self.transport.get(endpoints.ME, company_id=None))

    async def companies(self) -> list[Company]:
        return [parsing.company(item) async for item in self._list(endpoints.COMPANIES, None, {})]

    async def can_push_to_accounting(self, company_id: int, user_id: int) -> bool:
        record = await self.transport.get(
            endpoints.company_user(company_id, user_id), company_id=company_id
        )
        return parsing.can_push_to_accounting(record)

    async def projects(self, company_id: int) -> list[Project]:
        params = {"company_id": company_id}
        return [
            parsing.project(item)
            async for item in self._list(endpoints.PROJECTS, company_id, params)
        ]

    async def commitments(self, company_id: int, project_id: int) -> list[Commitment]:
        """Purchase order and work order contracts of a project: both become QuickBooks POs.
        The two lists are asked at once: a project's rows then wait one round trip, not two."""
        params = {"project_id": project_id}

        async def of_kind(path: str) -> list[Commitment]:
            try:
                return [
                    parsing.commitment(item) async for item in self._list(path, company_id, params)
                ]
            except ProcorePermissionError:
                # A company may switch one commitment type off; the other still lists.
                return []

        kinds = (endpoints.PURCHASE_ORDER_CONTRACTS, endpoints.WORK_ORDER_CONTRACTS)
        tasks = [asyncio.ensure_future(of_kind(path)) for path in kinds]
        try:
            return [commitment for task in tasks for commitment in await task]
        finally:
            for task in tasks:
                task.cancel()

    async def commitment(
        self, company_id: int, project_id: int, commitment_id: int
    ) -> Commitment | None:
        """One commitment read fresh, whichever of the two kinds it is; None when neither list
        holds it."""
        params = {"project_id": project_id, endpoints.ID_FILTER: commitment_id}
        for path in (endpoints.PURCHASE_ORDER_CONTRACTS, endpoints.WORK_ORDER_CONTRACTS):
            try:
                async for item in self._list(path, company_id, params):
                    found = parsing.commitment(item)
                    if found.id == commitment_id:
                        return found
            except ProcorePermissionError:
                continue  # that kind is switched off in this company
        return None

    async def synced_change_orders(
        self, company_id: int, project_id: int
    ) -> list[parsing.ChangeOrder]:
        """The project's CCOs that carry a QuickBooks link, their fields checked."""
        found = await self._change_orders(company_id, project_id, {"filters[synced]": "true"})
        return [change_order for change_order in found if change_order.is_synced]

    async def change_orders_updated_since(
        self, company_id: int, project_id: int, since: datetime
    ) -> list[parsing.ChangeOrder]:
        """The project's CCOs changed since `since`, synced or not: a CCO unlinked since then is
        listed with no origin_id."""
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        params = {endpoints.UPDATED_AT_FILTER: f"{stamp}{endpoints.RANGE_SEPARATOR}"}
        return await self._change_orders(company_id, project_id, params)

    async def _change_orders(
        self, company_id: int, project_id: int, params: dict[str, Any]
    ) -> list[parsing.ChangeOrder]:
        found: list[parsing.ChangeOrder] = []
        async for page in self.transport.get_pages(
            endpoints.change_orders(project_id),
            company_id=company_id,
            params=params,
            per_page=self.per_page,
            decode=parsing.change_orders,
        ):
            found += page
        return found

    async def change_order(self, company_id: int, project_id: int, cco_id: int) -> CcoState:
        record = await self.transport.get(
            endpoints.change_order(project_id, cco_id), company_id=company_id
        )
        state = parsing.cco_state(record, project_id)
        if state.id != cco_id:
            raise ProcoreReplyError(f"Procore answered CCO {state.id} when asked for CCO {cco_id}.")
        return state

    async def change_order_detail(self, company_id: int, project_id: int, cco_id: int) -> CcoDetail:
        """The CCO with its status, creator and line items (amounts, cost codes)."""
        record = await self.transport.get(
            endpoints.change_order(project_id, cco_id), company_id=company_id
        )
        detail = parsing.cco_detail(
            record, project_id, datetime.fromtimestamp(self.clock.time(), UTC)
        )
        if detail.state.id != cco_id:
            raise ProcoreReplyError(
                f"Procore answered CCO {detail.state.id} when asked for CCO {cco_id}."
            )
        return detail

    async def delete_change_order(self, company_id: int, project_id: int, cco_id: int) -> None:
        """Delete the CCO (204). Not repeated on its own: a lost answer is settled by reading
        the CCO back (services/cco_delete.py)."""
        await self.transport.delete(
            endpoints.change_order(project_id, cco_id), company_id=company_id
        )

    async def tool_levels(
        self, company_id: int, *, project_id: int | None = None
    ) -> dict[str, AccessLevel]:
        params = (
            {"project_id": project_id} if project_id is not None else {"company_id": company_id}
        )
        record = await self.transport.get(
            endpoints.PERMISSIONS, company_id=company_id, params=params
        )
        return parsing.tool_levels(record)

    async def clear_links(
        self, company_id: int, state: CcoState, *, idempotency_key: str | None = None
    ) -> LinksCleared:
        """Mark the CCO and each of its line items unsynced through ERP External Data Sync.

        The answer says whether this request changed anything and whether it confirms every
        item cleared; only a read-back says for sure (services/unlink.py does one). An item
        Procore lists under `errors` fails the unlink, whatever the status.
        """
        updates = [_unsynced(endpoints.CHANGE_ORDER_ITEM_TYPE, state.id)]
        updates += [_unsynced(endpoints.LINE_ITEM_TYPE, line.id) for line in state.line_items]
        size = endpoints.SYNC_MAX_ITEMS
        chunks = [updates[start : start + size] for start in range(0, len(updates), size)]
        changed = False
        confirmed = True
        for number, chunk in enumerate(chunks):
            headers = None
            if idempotency_key:
                key = idempotency_key if len(chunks) == 1 else f"{idempotency_key}-{number}"
                headers = {endpoints.IDEMPOTENCY_HEADER: key}
            # Clearing a link twice leaves it cleared: safe to send again when an answer is lost.
            answer = await self.transport.patch(
                endpoints.external_data_sync(company_id),
                company_id=company_id,
                body={"updates": chunk},
                headers=headers,
                idempotent=True,
            )
            refused = parsing.sync_errors(answer)
            if refused:
                raise ProcoreItemsRefusedError(
                    messages.items_refused(state.number, "; ".join(refused))
                )
            sent = {(item["item_type"], item["item_id"]) for item in chunk}
            changed = changed or parsing.cleared_anything(answer)
            confirmed = confirmed and parsing.confirms_cleared(answer, sent)
        return LinksCleared(changed=changed, confirmed=confirmed)

    async def _list(
        self, path: str, company_id: int | None, params: dict[str, Any]
    ) -> AsyncIterator[Any]:
        async for page in self.transport.get_pages(
            path, company_id=company_id, params=params, per_page=self.per_page
        ):
            for item in page:
                yield item


def _unsynced(item_type: str, item_id: int) -> dict[str, Any]:
    """One External Data update that clears an item's ERP link."""
    return {
        "item_type": item_type,
        "item_id": item_id,
        "origin_id": None,
        "origin_code": None,
        "origin_data": None,
    }
