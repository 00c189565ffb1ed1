"""Parsing XML that strangers send, with the standard library.

ElementTree never fetches external entities, and the expat it uses (2.4.1 and later) limits
entity expansion. Neither SOAP nor qbXML has any use for a document type declaration, so one is
refused outright: no entity of any kind, internal or external, is ever expanded here. (The
ElementTree parser does not let a caller hook its expat, so expat is driven here directly.)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.parsers import expat


class UnsafeOrBrokenXml(ValueError):
    """Not well-formed XML, or XML carrying a document type declaration."""


def parse(data: bytes) -> ET.Element:
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")

    def start(name: str, attributes: dict[str, str]) -> None:
        builder.start(_qualified(name), {_qualified(k): v for k, v in attributes.items()})

    def refuse(*_: object) -> None:
        raise UnsafeOrBrokenXml("a document type declaration is not allowed")

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(_qualified(name))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(data, True)
        return builder.close()
    except expat.ExpatError as error:
        raise UnsafeOrBrokenXml(f"not well-formed XML ({error})") from None
    except AssertionError:
        raise UnsafeOrBrokenXml("no root element") from None


def _qualified(name: str) -> str:
    """expat's `namespace}local` as ElementTree's `{namespace}local`."""
    return "{" + name if "}" in name else name
