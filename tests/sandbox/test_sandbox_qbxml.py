"""The simulated QuickBooks Desktop behind POST /quickbooks/qbxml."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
from sandbox_testkit import CONNECTOR_AUTH, po_query, qbxml

from sandbox import inspect as sbx_inspect
from sandbox.demo import SUMMIT_COMPANY_ID
from sandbox.inspect import DemoCco
from sandbox.server import SandboxServer


class Connector:
    """Posts qbXML and checks both the request and the answer against Intuit's schema."""

    def __init__(self, client: httpx.Client, url: str, schema: Any) -> None:
        self.client = client
        self.url = url
        self.schema = schema

    def post(self, document: bytes) -> ET.Element:
        from lxml import etree

        self.schema.assertValid(etree.fromstring(document))
        response = self.client.post(self.url, content=document, headers=CONNECTOR_AUTH)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        self.schema.assertValid(etree.fromstring(response.content))
        msgs = ET.fromstring(response.content).find("QBXMLMsgsRs")
        assert msgs is not None
        return msgs


@pytest.fixture
def qb(http: httpx.Client, sbx: SandboxServer, qbxml_schema: Any) -> Connector:
    return Connector(http, sbx.connector_url, qbxml_schema)


def _ccos(sbx: SandboxServer) -> list[DemoCco]:
    return sbx_inspect.synced_ccos(sbx.config.data_file, SUMMIT_COMPANY_ID)


def _status(rs: ET.Element) -> int:
    return int(rs.attrib["statusCode"])


def _line_ids(ret: ET.Element) -> list[str]:
    return [e.text or "" for e in ret.findall("PurchaseOrderLineRet/TxnLineID")]


def test_query_present_po_lists_its_lines(qb: Connector, sbx: SandboxServer) -> None:
    cco = next(c for c in _ccos(sbx) if c.in_quickbooks)
    rs = qb.post(qbxml(po_query(cco.po_txn_id, "q-7")))[0]
    assert rs.tag == "PurchaseOrderQueryRs"
    assert rs.attrib["requestID"] == "q-7"
    assert (_status(rs), rs.attrib["statusSeverity"]) == (0, "Info")
    [ret] = rs.findall("PurchaseOrderRet")
    assert ret.findtext("TxnID") == cco.po_txn_id
    assert set(cco.txn_line_ids) & set(_line_ids(ret))
    assert _line_ids(ret) == sbx_inspect.po_line_ids(sbx.config.data_file, cco.po_txn_id)
    without = qb.post(qbxml(po_query(cco.po_txn_id, lines=False)))[0]
    assert without.findall("PurchaseOrderRet/PurchaseOrderLineRet") == []


def test_deleted_ccos_are_absent(qb: Connector, sbx: SandboxServer) -> None:
    gone = [c for c in _ccos(sbx) if not c.in_quickbooks]
    whole_po = [
        c for c in gone if sbx_inspect.po_line_ids(sbx.config.data_file, c.po_txn_id) is None
    ]
    lines_only = [c for c in gone if c not in whole_po]
    assert whole_po and lines_only
    rs = qb.post(qbxml(po_query(whole_po[0].po_txn_id)))[0]
    assert (_status(rs), rs.attrib["statusSeverity"]) == (500, "Warn")
    assert rs.findall("PurchaseOrderRet") == []
    rs = qb.post(qbxml(po_query(lines_only[0].po_txn_id)))[0]
    assert _status(rs) == 0
    assert not set(lines_only[0].txn_line_ids) & set(_line_ids(rs.findall("PurchaseOrderRet")[0]))


def test_unfiltered_query_and_filter_without_hits(qb: Connector, sbx: SandboxServer) -> None:
    rs = qb.post(qbxml('<PurchaseOrderQueryRq requestID="1"/>'))[0]
    assert _status(rs) == 0
    txn_ids = {ret.findtext("TxnID") for ret in rs.findall("PurchaseOrderRet")}
    assert {c.po_txn_id for c in _ccos(sbx) if c.in_quickbooks} <= txn_ids
    none = qb.post(
        qbxml(
            '<PurchaseOrderQueryRq requestID="2"><RefNumberFilter><MatchCriterion>StartsWith'
            "</MatchCriterion><RefNumber>ZZZ</RefNumber></RefNumberFilter></PurchaseOrderQueryRq>"
        )
    )[0]
    assert (_status(none), none.attrib["statusSeverity"]) == (1, "Info")


def test_mod_deletes_lines_and_bumps_edit_sequence(qb: Connector, sbx: SandboxServer) -> None:
    cco = next(c for c in _ccos(sbx) if c.in_quickbooks)
    before = qb.post(qbxml(po_query(cco.po_txn_id)))[0].findall("PurchaseOrderRet")[0]
    edit_sequence = before.findtext("EditSequence") or ""
    keep = [t for t in _line_ids(before) if t not in cco.txn_line_ids]
    line_mods = "".join(
        f"<PurchaseOrderLineMod><TxnLineID>{t}</TxnLineID></PurchaseOrderLineMod>" for t in keep
    )
    mod = (
        f'<PurchaseOrderModRq requestID="m1"><PurchaseOrderMod><TxnID>{cco.po_txn_id}</TxnID>'
        f"<EditSequence>{edit_sequence}</EditSequence>{line_mods}</PurchaseOrderMod></PurchaseOrderModRq>"
    )
    rs = qb.post(qbxml(mod))[0]
    assert (rs.tag, _status(rs), rs.attrib["requestID"]) == ("PurchaseOrderModRs", 0, "m1")
    after = rs.findall("PurchaseOrderRet")[0]
    assert _line_ids(after) == keep
    assert after.findtext("EditSequence") != edit_sequence
    assert (after.findtext("TimeModified") or "") > (before.findtext("TimeModified") or "")
    assert sbx_inspect.po_line_ids(sbx.config.data_file, cco.po_txn_id) == keep
    assert not next(c for c in _ccos(sbx) if c.id == cco.id).in_quickbooks

    stale = qb.post(qbxml(mod))[0]
    assert (_status(stale), stale.attrib["statusSeverity"]) == (3200, "Error")
    assert sbx_inspect.po_line_ids(sbx.config.data_file, cco.po_txn_id) == keep


def test_mod_and_del_of_unknown_txn_are_3120(qb: Connector) -> None:
    mod = (
        '<PurchaseOrderModRq requestID="1"><PurchaseOrderMod><TxnID>FFFF-1700000000</TxnID>'
        "<EditSequence>1</EditSequence></PurchaseOrderMod></PurchaseOrderModRq>"
    )
    delete = (
        '<TxnDelRq requestID="2"><TxnDelType>PurchaseOrder</TxnDelType>'
        "<TxnID>FFFF-1700000000</TxnID></TxnDelRq>"
    )
    rs = qb.post(qbxml(mod, delete, on_error="continueOnError"))
    assert [(r.tag, _status(r)) for r in rs] == [("PurchaseOrderModRs", 3120), ("TxnDelRs", 3120)]


def test_txn_del_removes_the_po(qb: Connector, sbx: SandboxServer) -> None:
    cco = next(c for c in _ccos(sbx) if c.in_quickbooks)
    delete = (
        '<TxnDelRq requestID="d"><TxnDelType>PurchaseOrder</TxnDelType>'
        f"<TxnID>{cco.po_txn_id}</TxnID></TxnDelRq>"
    )
    rs = qb.post(qbxml(delete, po_query(cco.po_txn_id, "after")))
    assert [(r.tag, _status(r)) for r in rs] == [("TxnDelRs", 0), ("PurchaseOrderQueryRs", 500)]
    assert rs[0].findtext("TxnID") == cco.po_txn_id and rs[0].findtext("TimeDeleted")
    assert sbx_inspect.po_line_ids(sbx.config.data_file, cco.po_txn_id) is None
    deleted = qb.post(
        qbxml(
            '<TxnDeletedQueryRq requestID="x"><TxnDelType>PurchaseOrder</TxnDelType>'
            "</TxnDeletedQueryRq>"
        )
    )[0]
    assert cco.po_txn_id in {e.text for e in deleted.findall("TxnDeletedRet/TxnID")}


def test_on_error_and_request_ids(qb: Connector, sbx: SandboxServer) -> None:
    present = next(c for c in _ccos(sbx) if c.in_quickbooks).po_txn_id
    bad = (
        '<TxnDelRq requestID="bad"><TxnDelType>PurchaseOrder</TxnDelType>'
        "<TxnID>FFFF-1700000000</TxnID></TxnDelRq>"
    )
    stopped = qb.post(qbxml(po_query(present, "a"), bad, po_query(present, "c")))
    assert [r.attrib["requestID"] for r in stopped] == ["a", "bad"]
    kept_going = qb.post(
        qbxml(po_query(present, "a"), bad, po_query(present, "c"), on_error="continueOnError")
    )
    assert [(r.attrib["requestID"], _status(r)) for r in kept_going] == [
        ("a", 0),
        ("bad", 3120),
        ("c", 0),
    ]


def test_rollback_on_error_undoes_earlier_requests(qb: Connector, sbx: SandboxServer) -> None:
    cco = next(c for c in _ccos(sbx) if c.in_quickbooks)
    delete = (
        '<TxnDelRq requestID="1"><TxnDelType>PurchaseOrder</TxnDelType>'
        f"<TxnID>{cco.po_txn_id}</TxnID></TxnDelRq>"
    )
    bad = delete.replace(cco.po_txn_id, "FFFF-1700000000").replace('"1"', '"2"')
    rs = qb.post(qbxml(delete, bad, on_error="rollbackOnError"))
    assert [_status(r) for r in rs] == [0, 3120]
    assert sbx_inspect.po_line_ids(sbx.config.data_file, cco.po_txn_id) is not None


def test_unsupported_request_is_an_error_status(qb: Connector) -> None:
    rs = qb.post(qbxml('<BillQueryRq requestID="b"><TxnID>1-1700000000</TxnID></BillQueryRq>'))[0]
    assert (rs.tag, _status(rs), rs.attrib["statusSeverity"]) == ("BillQueryRs", 3180, "Error")


def test_vendor_query(qb: Connector) -> None:
    rs = qb.post(qbxml('<VendorQueryRq requestID="v"/>'))[0]
    assert _status(rs) == 0
    names = [e.text for e in rs.findall("VendorRet/Name")]
    assert "Apex Concrete & Masonry" in names or len(names) >= 8


def test_transport_errors(http: httpx.Client, sbx: SandboxServer) -> None:
    url = sbx.connector_url
    ok_doc = qbxml('<PurchaseOrderQueryRq requestID="1"/>')
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = http.post(url, content=ok_doc, headers=headers)
        assert response.status_code == 401 and "error" in response.json()
    for body in (
        b"<QBXML><unclosed>",
        b"not xml at all",
        ok_doc.replace(b'<?qbxml version="13.0"?>', b""),
    ):
        response = http.post(url, content=body, headers=CONNECTOR_AUTH)
        assert response.status_code == 400
        assert response.json()["error"]


def test_faults(http: httpx.Client, sbx: SandboxServer) -> None:
    document = qbxml('<PurchaseOrderQueryRq requestID="1"/>')
    sbx.faults.quickbooks_closed = True
    closed = http.post(sbx.connector_url, content=document, headers=CONNECTOR_AUTH)
    assert closed.status_code == 503
    assert closed.json()["hresult"] == "0x80040408"
    assert closed.json()["error"].startswith("QuickBooks Desktop is not running")
    sbx.faults.quickbooks_closed = False

    sbx.faults.connector_garbage = True
    garbage = http.post(sbx.connector_url, content=document, headers=CONNECTOR_AUTH)
    assert garbage.status_code == 200
    with pytest.raises(ET.ParseError):
        ET.fromstring(garbage.content)
    sbx.faults.connector_garbage = False

    sbx.faults.connector_delay_s = 0.3
    started = time.monotonic()
    slow = http.post(sbx.connector_url, content=document, headers=CONNECTOR_AUTH)
    assert slow.status_code == 200 and time.monotonic() - started >= 0.3
    sbx.faults.connector_delay_s = 0.0
