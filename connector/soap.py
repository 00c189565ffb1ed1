"""SOAP 1.1 document/literal, as the Web Connector's WSDL defines it (namespace
http://developer.intuit.com/): reading a call's parameters and writing its result.

Only the eight operations of the WSDL are known; every parameter is a string except
sendRequestXML's qbXMLMajorVers/MinorVers (int), and the results are strings except
authenticate's (an ArrayOfString) and receiveResponseXML's (an int).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from connector.xml_safety import UnsafeOrBrokenXml, parse

INTUIT = "http://developer.intuit.com/"
ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = "text/xml; charset=utf-8"

OPERATIONS: dict[str, tuple[str, ...]] = {
    "serverVersion": ("strVersion",),
    "clientVersion": ("strVersion",),
    "authenticate": ("strUserName", "strPassword"),
    "sendRequestXML": (
        "ticket",
        "strHCPResponse",
        "strCompanyFileName",
        "qbXMLCountry",
        "qbXMLMajorVers",
        "qbXMLMinorVers",
    ),
    "receiveResponseXML": ("ticket", "response", "hresult", "message"),
    "connectionError": ("ticket", "hresult", "message"),
    "getLastError": ("ticket",),
    "closeConnection": ("ticket",),
}


class SoapFault(ValueError):
    """A call the service cannot read: answered with a SOAP Fault (soap:Client)."""


@dataclass(frozen=True)
class Call:
    operation: str
    parameters: dict[str, str]

    def text(self, name: str) -> str:
        return self.parameters.get(name, "")

    def number(self, name: str) -> int:
        try:
            return int(self.parameters.get(name, "").strip())
        except ValueError:
            raise SoapFault(f"{self.operation}: {name} must be an integer") from None


def read_call(body: bytes) -> Call:
    try:
        envelope = parse(body)
    except UnsafeOrBrokenXml as error:
        raise SoapFault(f"not a SOAP message: {error}") from None
    soap_body = envelope.find(f"{{{ENVELOPE}}}Body")
    if envelope.tag != f"{{{ENVELOPE}}}Envelope" or soap_body is None or len(soap_body) != 1:
        raise SoapFault("not a SOAP 1.1 envelope with one call in its Body")
    element = soap_body[0]
    namespace, _, operation = element.tag[1:].partition("}")
    if namespace != INTUIT or operation not in OPERATIONS:
        raise SoapFault(f"unknown operation {element.tag}")
    names = OPERATIONS[operation]
    parameters: dict[str, str] = {}
    for child in element:
        child_namespace, _, name = child.tag[1:].partition("}")
        if child_namespace != INTUIT or name not in names:
            raise SoapFault(f"{operation}: unexpected element {child.tag}")
        parameters[name] = child.text or ""
    return Call(operation, parameters)


def result(operation: str, value: str | int | list[str]) -> bytes:
    """The `<operation>Response><operation>Result>` envelope."""
    if isinstance(value, list):
        inner = "".join(f"<string>{escape(item)}</string>" for item in value)
    else:
        inner = escape(str(value))
    return _envelope(
        f'<{operation}Response xmlns="{INTUIT}">'
        f"<{operation}Result>{inner}</{operation}Result>"
        f"</{operation}Response>"
    )


def fault(message: str) -> bytes:
    return _envelope(
        "<soap:Fault><faultcode>soap:Client</faultcode>"
        f"<faultstring>{escape(message)}</faultstring></soap:Fault>"
    )


def _envelope(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{ENVELOPE}"><soap:Body>{body}</soap:Body></soap:Envelope>'
    ).encode()
