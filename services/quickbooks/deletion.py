"""Step 1 of the fix in QuickBooks Desktop: which of a purchase order's lines a CCO's deletion
takes, for how much, and whether the order itself goes. The person confirms this plan, and the
deletion refuses to go further when QuickBooks no longer matches it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from services.models import QuickBooksLink
from services.quickbooks.qbxml import PurchaseOrder

# QuickBooks' status codes for a record in use or locked by someone else: "try again later".
IN_USE_STATUSES = range(3170, 3181)
# The EditSequence sent is not the order's current one: someone changed it in between.
STALE_EDIT_SEQUENCE = 3200


@dataclass(frozen=True)
class DeletePlan:
    po_txn_id: str
    po_ref_number: str
    vendor: str
    edit_sequence: str
    """The order's EditSequence when read: a Mod must carry it."""
    line_ids: tuple[str, ...]
    """The CCO's lines on the order now: the ones to delete."""
    keep_line_ids: tuple[str, ...]
    line_amounts: tuple[Decimal, ...]
    """Each doomed line's amount as QuickBooks holds it, in the order of `line_ids`."""

    @property
    def amount(self) -> Decimal:
        """The sum of the doomed lines' amounts: what the person is shown and confirms."""
        return sum(self.line_amounts, Decimal(0))

    @property
    def whole_order(self) -> bool:
        """The CCO's lines are all the order has: the purchase order itself is deleted."""
        return not self.keep_line_ids

    @property
    def po_name(self) -> str:
        """What the person knows the order by: its number, else QuickBooks' TxnID."""
        return self.po_ref_number or self.po_txn_id

    def still_holds(self, newer: DeletePlan) -> bool:
        """Whether `newer`, read just before deleting, would delete what the person confirmed:
        the same kind of deletion, of the same lines, each for the amount shown (so the total
        confirmed too). A line gone or changed meanwhile means the person must look again."""
        return newer.whole_order == self.whole_order and self._doomed() == newer._doomed()

    def _doomed(self) -> dict[str, Decimal]:
        return dict(zip(self.line_ids, self.line_amounts, strict=True))

    def evidence(self) -> str:
        """The audit line's account of the deletion; link_in_evidence reads its order and lines
        back, for a later run to settle an attempt whose CCO Procore no longer links."""
        what = _WHOLE_ORDER if self.whole_order else _LINES
        return (
            f"purchase order {self.po_name} ({self.po_txn_id}): {what} "
            f"{', '.join(self.line_ids)}, amount {self.amount:,.2f}"
        )


_WHOLE_ORDER = "the whole purchase order"
_LINES = "line(s)"
# Anchored at the end: whatever the order's number holds, the TxnID is the last "(…): " that
# the kind of deletion, the line ids and the amount follow. TxnIDs and TxnLineIDs hold no spaces,
# commas or parentheses.
_ID = r"[^\s(),]+"
_EVIDENCE = re.compile(
    rf"purchase order .* \((?P<txn_id>{_ID})\): "
    rf"(?:{re.escape(_WHOLE_ORDER)}|{re.escape(_LINES)}) "
    rf"(?P<lines>{_ID}(?:, {_ID})*), amount \S+"
)


def link_in_evidence(evidence: str) -> QuickBooksLink | None:
    """The order and lines a deletion's audit line names (DeletePlan.evidence); None when it
    names none (an older line, or a deletion sent without a confirmed plan)."""
    found = _EVIDENCE.fullmatch(evidence)
    if found is None:
        return None
    return QuickBooksLink(found["txn_id"], tuple(found["lines"].split(", ")))


def plan_for(order: PurchaseOrder, link: QuickBooksLink) -> DeletePlan | None:
    """The deletion of the CCO's lines from `order`; None when none of them is on it."""
    amounts = dict(zip(order.line_ids, order.line_amounts, strict=False))
    doomed = tuple(line for line in order.line_ids if line in link.txn_line_ids)
    if not doomed:
        return None
    return DeletePlan(
        po_txn_id=order.txn_id,
        po_ref_number=order.ref_number,
        vendor=order.vendor,
        edit_sequence=order.edit_sequence,
        line_ids=doomed,
        keep_line_ids=tuple(line for line in order.line_ids if line not in doomed),
        line_amounts=tuple(amounts.get(line, Decimal(0)) for line in doomed),
    )
