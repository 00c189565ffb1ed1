"""What the client sends QuickBooks is valid qbXML 13.0, and what it reads it reads carefully."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from services.errors import QuickBooksReplyError
from services.quickbooks import qbxml


@pytest.mark.parametrize(
    "document",
    [
        qbxml.purchase_order_query("1A2B-1767225600", "1"),
        qbxml.purchase_order_mod("1A2B-1767225600", "1767225600", ("1A2C-1767225600",), "2"),
        qbxml.purchase_order_delete("1A2B-1767225600", "3"),
    ],
    ids=["PurchaseOrderQueryRq", "PurchaseOrderModRq", "TxnDelRq"],
)
def test_requests_validate_against_the_qbxml_schema(qbxml_schema: Any, document: bytes) -> None:
    assert document.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>')
    tree = etree.fromstring(document)
    assert qbxml_schema.validate(tree), qbxml_schema.error_log


RESPONSE = b"""<?xml version="1.0"?><QBXML><QBXMLMsgsRs>
<PurchaseOrderQueryRs requestID="%s" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<PurchaseOrderRet><TxnID>T-1</TxnID><TimeModified>2026-01-05T09:30:00-05:00</TimeModified>
<EditSequence>42</EditSequence><VendorRef><ListID>80-1</ListID><FullName>Acme Concrete</FullName>
</VendorRef><RefNumber>PO-7</RefNumber>
<PurchaseOrderLineRet><TxnLineID>L-1</TxnLineID></PurchaseOrderLineRet>
<PurchaseOrderLineGroupRet><PurchaseOrderLineRet><TxnLineID>L-2</TxnLineID></PurchaseOrderLineRet>
</PurchaseOrderLineGroupRet></PurchaseOrderRet></PurchaseOrderQueryRs></QBXMLMsgsRs></QBXML>"""


def test_a_purchase_order_answer_is_read_with_grouped_lines() -> None:
    status, answer = qbxml.read_response(RESPONSE % b"5", "PurchaseOrderQueryRs", "5")
    order = qbxml.read_purchase_order(answer, "T-1")
    assert status.ok
    assert order.line_ids == ("L-1", "L-2")
    assert (order.edit_sequence, order.ref_number) == ("42", "PO-7")
    assert (order.vendor, order.time_modified) == ("Acme Concrete", "2026-01-05T09:30:00-05:00")


def test_a_purchase_orders_names_reach_the_person_printable() -> None:
    # XML refuses ESC itself, not a tab, a line break or U+0085: such a character in the order's
    # number would break the line it is shown in, and could never be typed to confirm a deletion.
    hostile = RESPONSE.replace(b"PO-7", b"PO&#x9;-7&#x85;").replace(
        b"Acme Concrete", b"Acme&#xA;&#x2028;Co"
    )
    _, answer = qbxml.read_response(hostile % b"5", "PurchaseOrderQueryRs", "5")
    order = qbxml.read_purchase_order(answer, "T-1")
    assert (order.ref_number, order.vendor) == ("PO -7 ", "Acme  Co")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<html><body>Bad gateway</body></html>",
        b"<QBXML><QBXMLMsgsRs></QBXMLMsgsRs></QBXML>",
        RESPONSE % b"99",  # an answer to some other request
        (RESPONSE % b"5").replace(b'statusCode="0"', b'statusCode="zero"'),
        (RESPONSE % b"5")[:200],
    ],
    ids=["empty", "text", "html", "no-response", "other-request", "bad-status", "truncated"],
)
def test_anything_but_the_answer_to_our_question_is_refused(body: bytes) -> None:
    with pytest.raises(QuickBooksReplyError):
        qbxml.read_response(body, "PurchaseOrderQueryRs", "5")


def test_an_answer_about_another_purchase_order_is_refused() -> None:
    _, answer = qbxml.read_response(RESPONSE % b"5", "PurchaseOrderQueryRs", "5")
    with pytest.raises(QuickBooksReplyError):
        qbxml.read_purchase_order(answer, "T-2")


def test_a_purchase_order_answer_without_lines_proves_nothing() -> None:
    """QuickBooks keeps no purchase order without lines: such an answer was cut short or ignored
    IncludeLineItems, and must not read as "the CCO's lines are gone"."""
    body = (
        b'<QBXML><QBXMLMsgsRs><PurchaseOrderQueryRs requestID="5" statusCode="0">'
        b"<PurchaseOrderRet><TxnID>T-1</TxnID><EditSequence>1</EditSequence></PurchaseOrderRet>"
        b"</PurchaseOrderQueryRs></QBXMLMsgsRs></QBXML>"
    )
    _, answer = qbxml.read_response(body, "PurchaseOrderQueryRs", "5")
    with pytest.raises(QuickBooksReplyError):
        qbxml.read_purchase_order(answer, "T-1")


@pytest.mark.parametrize("amount", [b"sNaN", b"NaN", b"Infinity", b"1e999999", b"twelve"])
def test_a_line_amount_that_cannot_be_added_up_is_refused(amount: bytes) -> None:
    body = (
        b'<QBXML><QBXMLMsgsRs><PurchaseOrderQueryRs requestID="5" statusCode="0">'
        b"<PurchaseOrderRet><TxnID>T-1</TxnID><EditSequence>1</EditSequence>"
        b"<PurchaseOrderLineRet><TxnLineID>L-1</TxnLineID><Amount>%s</Amount>"
        b"</PurchaseOrderLineRet></PurchaseOrderRet></PurchaseOrderQueryRs></QBXMLMsgsRs></QBXML>"
    ) % amount
    _, answer = qbxml.read_response(body, "PurchaseOrderQueryRs", "5")
    with pytest.raises(QuickBooksReplyError, match="unreadable amount"):
        qbxml.read_purchase_order(answer, "T-1")
