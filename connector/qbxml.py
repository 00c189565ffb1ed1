"""The little the connector must know of qbXML: enough to check that a body is a request, to
name what it asks for in the journal, to speak the version QuickBooks has, and to hand the answer
back as UTF-8. The connector never changes what a request asks."""

from __future__ import annotations

import re

from connector.xml_safety import UnsafeOrBrokenXml, parse

# QuickBooks' HRESULT for a request it cannot parse; answered as 400, as the direct path does.
PARSE_HRESULT = "0x80040400"

_VERSION_PI = re.compile(rb"<\?qbxml\s+version\s*=\s*[\"']([0-9]+)\.([0-9]+)[\"']\s*\?>")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


class NotQbxmlRequest(ValueError):
    """The body is not a qbXML request document."""


Version = tuple[int, int]


def parse_version(text: str) -> Version:
    major, _, minor = text.partition(".")
    return int(major), int(minor or 0)


def version_text(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def request_kinds(document: bytes) -> tuple[str, ...]:
    """The request elements the document holds, e.g. ("PurchaseOrderQueryRq",)."""
    if _VERSION_PI.search(document[:512]) is None:
        raise NotQbxmlRequest('it lacks the <?qbxml version="…"?> instruction')
    try:
        root = parse(document)
    except UnsafeOrBrokenXml as error:
        raise NotQbxmlRequest(str(error)) from None
    messages = root.find("QBXMLMsgsRq")
    if root.tag != "QBXML" or messages is None:
        raise NotQbxmlRequest("it is not a <QBXML> document with a <QBXMLMsgsRq>")
    kinds = tuple(child.tag for child in messages)
    if not kinds or not all(kind.endswith("Rq") for kind in kinds):
        raise NotQbxmlRequest("its <QBXMLMsgsRq> holds no requests")
    return kinds


def at_most_version(document: bytes, version: Version) -> bytes:
    """The document, declaring `version` where it declared a later one."""
    match = _VERSION_PI.search(document[:512])
    if match is None or (int(match[1]), int(match[2])) <= version:
        return document
    return (
        document[: match.start()]
        + f'<?qbxml version="{version_text(version)}"?>'.encode()
        + document[match.end() :]
    )


def response_bytes(response: str) -> bytes:
    """QuickBooks' answer as UTF-8 bytes declared as such. The Web Connector hands it over as
    text, at times still declaring windows-1252: kept, that declaration would make a reader
    decode the UTF-8 bytes wrongly."""
    text = _XML_DECLARATION.sub('<?xml version="1.0" encoding="utf-8"?>', response, count=1)
    return text.encode("utf-8")


def status_summary(body: bytes) -> list[str]:
    """`Kind:statusCode` of each response in an answer, for the journal; [] when unreadable."""
    try:
        root = parse(body)
    except UnsafeOrBrokenXml:
        return []
    messages = root.find("QBXMLMsgsRs")
    if messages is None:
        return []
    return [f"{child.tag}:{child.get('statusCode', '?')}" for child in messages]
