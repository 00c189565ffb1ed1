"""Build the qbXML 13.0 requests cco-unlink sends, and read QuickBooks' answers to them.

Element order follows Intuit's schema, which QuickBooks enforces. Answers are read defensively:
anything unexpected raises QuickBooksReplyError, which callers treat as "unknown", never "absent".
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from services.errors import QuickBooksReplyError
from services.plain_text import printable, said

QBXML_VERSION = "13.0"

# Status codes that mean "no such object" (see docs/quickbooks-connector.md): 1 for a query that
# matched nothing, 500 for a TxnID lookup of a transaction that is gone.
NOT_FOUND_STATUSES = frozenset({1, 500})


@dataclass(frozen=True)
class ResponseStatus:
    code: int
    severity: str
    message: str

    @property
    def ok(self) -> bool:
        return self.code == 0


@dataclass(frozen=True)
class PurchaseOrder:
    txn_id: str
    edit_sequence: str
    ref_number: str
    line_ids: tuple[str, ...]
    vendor: str = ""
    """The vendor's FullName, as QuickBooks names it."""
    time_modified: str = ""
    """When QuickBooks last changed the order, as it writes it (ISO 8601 with its offset)."""
    line_amounts: tuple[Decimal, ...] = ()
    """Each line's Amount, in the order of line_ids (0 where QuickBooks gives none)."""


def _document(*requests: ET.Element) -> bytes:
    root = ET.Element("QBXML")
    messages = ET.SubElement(root, "QBXMLMsgsRq", onError="stopOnError")
    messages.extend(requests)
    body = ET.tostring(root, encoding="unicode")
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{QBXML_VERSION}"?>\n{body}'
    ).encode()


def _text_child(parent: ET.Element, tag: str, text: str) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = text
    return child


def purchase_order_query(txn_id: str, request_id: str) -> bytes:
    request = ET.Element("PurchaseOrderQueryRq", requestID=request_id)
    _text_child(request, "TxnID", txn_id)
    _text_child(request, "IncludeLineItems", "true")
    return _document(request)


def purchase_order_mod(
    txn_id: str, edit_sequence: str, keep_line_ids: tuple[str, ...], request_id: str
) -> bytes:
    """A Mod that lists the lines to keep: QuickBooks deletes the lines a Mod leaves out."""
    request = ET.Element("PurchaseOrderModRq", requestID=request_id)
    mod = ET.SubElement(request, "PurchaseOrderMod")
    _text_child(mod, "TxnID", txn_id)
    _text_child(mod, "EditSequence", edit_sequence)
    for line_id in keep_line_ids:
        line = ET.SubElement(mod, "PurchaseOrderLineMod")
        _text_child(line, "TxnLineID", line_id)
    return _document(request)


def purchase_order_delete(txn_id: str, request_id: str) -> bytes:
    request = ET.Element("TxnDelRq", requestID=request_id)
    _text_child(request, "TxnDelType", "PurchaseOrder")
    _text_child(request, "TxnID", txn_id)
    return _document(request)


def read_response(
    body: bytes, response_tag: str, request_id: str
) -> tuple[ResponseStatus, ET.Element]:
    """Find the one `response_tag` answering `request_id`, and its status."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise QuickBooksReplyError("QuickBooks' answer is not XML.") from None
    if root.tag != "QBXML":
        raise QuickBooksReplyError("QuickBooks' answer is not a qbXML document.")
    messages = root.find("QBXMLMsgsRs")
    if messages is None:
        raise QuickBooksReplyError("QuickBooks' answer holds no responses.")
    answers = [
        item for item in messages.findall(response_tag) if item.get("requestID") == request_id
    ]
    if len(answers) != 1:
        raise QuickBooksReplyError(f"QuickBooks' answer holds no {response_tag} for this request.")
    answer = answers[0]
    try:
        code = int(answer.get("statusCode", ""))
    except ValueError:
        raise QuickBooksReplyError("QuickBooks' answer has no readable status code.") from None
    status = ResponseStatus(
        code=code,
        severity=answer.get("statusSeverity", ""),
        message=said(answer.get("statusMessage", "")),
    )
    return status, answer


def read_purchase_order(answer: ET.Element, txn_id: str) -> PurchaseOrder:
    """The PurchaseOrderRet for `txn_id` in a successful query answer."""
    found = [ret for ret in answer.findall("PurchaseOrderRet") if ret.findtext("TxnID") == txn_id]
    if len(found) != 1:
        raise QuickBooksReplyError(f"QuickBooks' answer does not describe purchase order {txn_id}.")
    ret = found[0]
    edit_sequence = ret.findtext("EditSequence")
    if not edit_sequence:
        raise QuickBooksReplyError(
            f"QuickBooks' answer for purchase order {txn_id} lacks EditSequence."
        )
    line_ids, amounts = [], []
    for line in ret.iter("PurchaseOrderLineRet"):
        line_id = line.findtext("TxnLineID")
        if not line_id:
            raise QuickBooksReplyError(
                f"QuickBooks' answer for purchase order {txn_id} has a line without TxnLineID."
            )
        line_ids.append(line_id)
        amounts.append(_amount(line.findtext("Amount"), txn_id))
    if not line_ids:
        # QuickBooks keeps no purchase order without lines: an answer without any was cut short
        # or ignored IncludeLineItems, and proves nothing about the CCO's lines.
        raise QuickBooksReplyError(
            f"QuickBooks' answer for purchase order {txn_id} holds none of its lines."
        )
    return PurchaseOrder(
        txn_id=txn_id,
        edit_sequence=edit_sequence,
        # Shown to the person, and the order's name typed to confirm a deletion: printable.
        ref_number=printable(ret.findtext("RefNumber") or ""),
        line_ids=tuple(line_ids),
        vendor=printable(ret.findtext("VendorRef/FullName") or ""),
        time_modified=ret.findtext("TimeModified") or "",
        line_amounts=tuple(amounts),
    )


def _amount(text: str | None, txn_id: str) -> Decimal:
    if not text:
        return Decimal(0)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    # NaN or Infinity would raise on being added up, as would an exponent past Decimal's range:
    # an amount of 20 digits before the point is no purchase order line's (choice).
    if amount is None or not amount.is_finite() or amount.adjusted() >= 20:
        raise QuickBooksReplyError(
            f"QuickBooks' answer for purchase order {txn_id} has an unreadable amount."
        )
    return amount
