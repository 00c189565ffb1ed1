"""Ask QuickBooks Desktop, through a qbXML-over-HTTP connector, whether a CCO is still there.

Fail closed: every way of not knowing (connector down, QuickBooks closed, a timeout, a reply that
is not the answer to our question) raises, and no caller can read that as "deleted".
"""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime

import httpx

from services import messages, plain_text, safe_json
from services.clock import SYSTEM_CLOCK, Clock
from services.errors import (
    QuickBooksChangedError,
    QuickBooksError,
    QuickBooksInUseError,
    QuickBooksNotSentError,
    QuickBooksReplyError,
    QuickBooksStatusError,
    QuickBooksUnreachableError,
)
from services.models import PurchaseOrderSeen, QuickBooksEvidence, QuickBooksLink
from services.quickbooks import qbxml
from services.quickbooks.deletion import (
    IN_USE_STATUSES,
    STALE_EDIT_SEQUENCE,
    DeletePlan,
    plan_for,
)
from services.quickbooks.qbxml import NOT_FOUND_STATUSES, PurchaseOrder
from services.wire import NoAnswer, UnusableReply, exchange

log = logging.getLogger(__name__)


class QuickBooksConnector:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 60.0,
        http: httpx.AsyncClient | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.url = url
        self.clock = clock
        """When each answer was read, as the pane and `check --json` say."""
        self._token = token
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0))
        self._owns_http = http is None
        self._request_ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"QuickBooksConnector(url={self.url!r})"

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def evidence(self, link: QuickBooksLink) -> QuickBooksEvidence:
        """The CCO's purchase order as QuickBooks holds it now, and which of its lines remain.
        Changes nothing; raises QuickBooksError when QuickBooks cannot say."""
        order = await self.purchase_order(link.po_txn_id)
        seen = (
            None
            if order is None
            else PurchaseOrderSeen(
                txn_id=order.txn_id,
                ref_number=order.ref_number,
                vendor=order.vendor,
                time_modified=order.time_modified,
                line_ids=order.line_ids,
            )
        )
        return QuickBooksEvidence(link, seen, datetime.fromtimestamp(self.clock.time(), UTC))

    async def purchase_order(self, txn_id: str) -> PurchaseOrder | None:
        """The purchase order with its lines, or None when QuickBooks says it does not exist."""
        request_id = self._next_request_id()
        body = await self._exchange(qbxml.purchase_order_query(txn_id, request_id))
        status, answer = qbxml.read_response(body, "PurchaseOrderQueryRs", request_id)
        if status.code in NOT_FOUND_STATUSES:
            return None
        if not status.ok:
            raise QuickBooksStatusError(
                f"QuickBooks answered status {status.code}: {status.message}",
                status_code=status.code,
            )
        return qbxml.read_purchase_order(answer, txn_id)

    async def plan_delete(self, link: QuickBooksLink) -> DeletePlan | None:
        """What deleting the CCO's lines would take, read from QuickBooks now; None when none
        of them is left. Changes nothing."""
        order = await self.purchase_order(link.po_txn_id)
        return None if order is None else plan_for(order, link)

    async def delete_lines(
        self, link: QuickBooksLink, confirmed: DeletePlan | None = None
    ) -> DeletePlan | None:
        """Delete the CCO's lines from its purchase order (step 1 of the fix): a Mod that keeps
        the other lines, with the order's current EditSequence, or the order itself when the
        CCO's lines are all it has. Returns what was deleted; None when nothing was left.

        The order is read afresh first; when it cannot be read, or no longer matches what the
        person `confirmed`, nothing is sent (QuickBooksNotSentError). A stale EditSequence
        (someone saved the order in between) is read again and tried once more; a record in
        use asks to try again later.
        """
        for last_try in (False, True):
            try:
                plan = await self.plan_delete(link)
            except QuickBooksError as error:
                # Before any change went out (a refused Mod changed nothing): QuickBooks is
                # known unchanged, which the audit then records, rather than "may have changed".
                raise QuickBooksNotSentError(
                    messages.quickbooks_not_read_before_delete(error.message)
                ) from error
            if plan is None:
                return None
            if confirmed is not None and not confirmed.still_holds(plan):
                raise QuickBooksChangedError(messages.QUICKBOOKS_ORDER_CHANGED)
            status = await self._delete(plan)
            if status.ok:
                return plan
            if status.code == STALE_EDIT_SEQUENCE and not last_try:
                log.info("Purchase order %s changed meanwhile: reading it again", plan.po_txn_id)
                continue
            if status.code in IN_USE_STATUSES:
                raise QuickBooksInUseError(
                    messages.quickbooks_in_use(status.code, status.message),
                    status_code=status.code,
                )
            break
        raise QuickBooksStatusError(
            f"QuickBooks refused the change, status {status.code}: {status.message}",
            status_code=status.code,
        )

    async def _delete(self, plan: DeletePlan) -> qbxml.ResponseStatus:
        request_id = self._next_request_id()
        if plan.whole_order:
            # A Mod cannot leave a purchase order with no lines: the order itself goes.
            request = qbxml.purchase_order_delete(plan.po_txn_id, request_id)
            tag = "TxnDelRs"
        else:
            request = qbxml.purchase_order_mod(
                plan.po_txn_id, plan.edit_sequence, plan.keep_line_ids, request_id
            )
            tag = "PurchaseOrderModRs"
        status, _ = qbxml.read_response(await self._exchange(request), tag, request_id)
        return status

    def _next_request_id(self) -> str:
        return str(next(self._request_ids))

    async def _exchange(self, document: bytes) -> bytes:
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Content-Type": "application/xml",
            "Accept": "application/xml",
        }
        try:
            response = await exchange(
                self._http, "POST", self.url, content=document, headers=headers
            )
        except (httpx.TimeoutException, NoAnswer):
            raise QuickBooksUnreachableError("QuickBooks Desktop did not answer in time.") from None
        except UnusableReply as error:
            raise QuickBooksReplyError(
                f"The QuickBooks connector's answer could not be used: {error.reason}."
            ) from None
        except (httpx.TransportError, httpx.InvalidURL):
            raise QuickBooksUnreachableError(
                f"The QuickBooks connector at {self.url} cannot be reached."
            ) from None
        if response.status_code == 401:
            raise QuickBooksUnreachableError("The QuickBooks connector refused the token.")
        if response.status_code != 200:
            raise QuickBooksUnreachableError(_connector_failure(response))
        if not response.content:
            raise QuickBooksReplyError("The QuickBooks connector answered with an empty reply.")
        return response.content


def _connector_failure(response: httpx.Response) -> str:
    said = ""
    try:
        body = safe_json.loads(response.content)
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            said = body["error"]
            if isinstance(body.get("hresult"), str):
                said += f" ({body['hresult']})"
    except ValueError:
        pass
    detail = f": {plain_text.said(said)}" if said else ""
    return f"The QuickBooks connector answered HTTP {response.status_code}{detail}."
