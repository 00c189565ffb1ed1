"""qbXML envelopes: reading a request document and writing a response document.

Uses only the standard library's ElementTree: the sandbox must run without lxml (the schema
checks in the tests use lxml; the sandbox itself writes elements in the schema's order).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

QBXML_VERSION = "13.0"
ON_ERROR_VALUES = ("stopOnError", "continueOnError", "rollbackOnError")
# The HRESULT QuickBooks reports when it cannot parse a request document.
PARSE_HRESULT = "0x80040400"

_VERSION_PI = re.compile(rb"<\?qbxml\s+version\s*=\s*[\"']([0-9.]+)[\"']\s*\?>")


class QbxmlParseError(Exception):
    """The document is not a qbXML request the simulated QuickBooks can read (HTTP 400)."""


@dataclass(frozen=True)
class MessageSet:
    on_error: str
    version: str
    requests: list[ET.Element]


def parse_request(body: bytes) -> MessageSet:
    match = _VERSION_PI.search(body[:512])
    if match is None:
        raise QbxmlParseError('missing the <?qbxml version="..."?> processing instruction')
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise QbxmlParseError(f"not well-formed XML: {exc}") from None
    if root.tag != "QBXML":
        raise QbxmlParseError(f"the root element is <{root.tag}>, not <QBXML>")
    msgs = [child for child in root if child.tag != "SignonMsgsRq"]
    if len(msgs) != 1 or msgs[0].tag != "QBXMLMsgsRq":
        raise QbxmlParseError("<QBXML> must hold exactly one <QBXMLMsgsRq>")
    on_error = msgs[0].get("onError")
    if on_error not in ON_ERROR_VALUES:
        raise QbxmlParseError(f"QBXMLMsgsRq onError must be one of {', '.join(ON_ERROR_VALUES)}")
    requests = list(msgs[0])
    for request in requests:
        if not request.tag.endswith("Rq"):
            raise QbxmlParseError(f"<{request.tag}> is not a request element")
    return MessageSet(on_error, match.group(1).decode(), requests)


def response_document(responses: Iterable[ET.Element]) -> bytes:
    root = ET.Element("QBXML")
    msgs = ET.SubElement(root, "QBXMLMsgsRs")
    msgs.extend(responses)
    body = ET.tostring(root, encoding="unicode")
    head = f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{QBXML_VERSION}"?>\n'
    return (head + body).encode("utf-8")


def severity(code: int) -> str:
    """Intuit's ranges: 0-499 Info, 500-999 Warn, everything above Error."""
    if code < 500:
        return "Info"
    if code < 1000:
        return "Warn"
    return "Error"


def response_for(request: ET.Element, code: int, message: str) -> ET.Element:
    """The `*Rs` answering `request`, carrying its requestID and the status attributes."""
    rs = ET.Element(request.tag[:-2] + "Rs")
    request_id = request.get("requestID")
    if request_id is not None:
        rs.set("requestID", request_id)
    rs.set("statusCode", str(code))
    rs.set("statusSeverity", severity(code))
    rs.set("statusMessage", message)
    return rs


def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def text_of(element: ET.Element | None) -> str:
    return "" if element is None or element.text is None else element.text.strip()


def bool_of(element: ET.Element | None) -> bool:
    value = text_of(element).lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0", ""):
        return False
    raise QbxmlParseError(f"<{element.tag if element is not None else '?'}> is not a boolean")


def check_sequence(
    element: ET.Element,
    order: Sequence[str | tuple[str, ...]],
    repeatable: Iterable[str] = (),
    required: Iterable[str] = (),
) -> None:
    """Children must come in schema order, each known and, unless repeatable, at most once.

    A tuple in `order` is an unbounded xsd:choice whose members may interleave. QuickBooks
    validates requests against the schema and rejects the whole document when one is out of
    order, so the simulation does too: a client bug shows here, not against the real thing.
    """
    rank: dict[str, int] = {}
    for index, entry in enumerate(order):
        for tag in (entry,) if isinstance(entry, str) else entry:
            rank[tag] = index
    many = set(repeatable)
    last = -1
    seen: set[str] = set()
    for child in element:
        if child.tag not in rank:
            raise QbxmlParseError(f"<{child.tag}> is not allowed in <{element.tag}>")
        if rank[child.tag] < last:
            raise QbxmlParseError(f"<{child.tag}> is out of order in <{element.tag}>")
        if child.tag in seen and child.tag not in many:
            raise QbxmlParseError(f"<{child.tag}> may appear only once in <{element.tag}>")
        seen.add(child.tag)
        last = rank[child.tag]
    for tag in required:
        if tag not in seen:
            raise QbxmlParseError(f"<{element.tag}> needs <{tag}>")


def exclusive(element: ET.Element, *groups: Sequence[str]) -> None:
    """At most one of the groups (a schema xsd:choice) may be present."""
    present = [g for g in groups if any(element.find(tag) is not None for tag in g)]
    if len(present) > 1:
        names = " / ".join(g[0] for g in present)
        raise QbxmlParseError(f"<{element.tag}> may hold only one of {names}")
