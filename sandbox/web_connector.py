"""A simulated QuickBooks Web Connector: what runs beside QuickBooks Desktop on a Windows machine,
polling a connector's SOAP service and handing each qbXML request to QuickBooks.

Here "QuickBooks" is the sandbox's simulated company file, reached over its qbXML endpoint as the
real Web Connector reaches QuickBooks over COM. The SOAP messages are written by hand against
Intuit's WSDL (namespace http://developer.intuit.com/, document/literal, one SOAPAction per
operation): this is the far side of the wire from the connector, and shares no code with it.
One update run follows the real one: serverVersion, clientVersion, authenticate, then
sendRequestXML / receiveResponseXML until 100 %, getLastError on an error, closeConnection.
"""

from __future__ import annotations

import logging
import threading
import xml.etree.ElementTree as ET
from types import TracebackType
from xml.sax.saxutils import escape

import httpx

log = logging.getLogger(__name__)

INTUIT = "http://developer.intuit.com/"
ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
# What the simulated Web Connector says it is, and the qbXML its QuickBooks speaks.
CLIENT_VERSION = "2.3.0.36"
QBXML_VERSION = (13, 0)
COMPANY_FILE = r"C:\Users\Public\Documents\Intuit\QuickBooks\Sandbox Builders.qbw"
# HRESULT the Web Connector reports when QuickBooks answered nothing usable.
UNEXPECTED_HRESULT = "0x80040402"


class SoapError(Exception):
    """The service answered something other than the operation's result."""


class SimulatedWebConnector:
    def __init__(
        self,
        soap_url: str,
        quickbooks_url: str,
        *,
        username: str,
        password: str,
        quickbooks_token: str,
        every_seconds: float = 1.0,
    ) -> None:
        self.soap_url = soap_url
        self.quickbooks_url = quickbooks_url
        self._username = username
        self._password = password
        self._quickbooks_token = quickbooks_token
        self.every_seconds = every_seconds
        self.updates = 0
        self._stop = threading.Event()
        self._http = httpx.Client(timeout=30)
        self._thread: threading.Thread | None = None

    def call(self, operation: str, **parameters: str | int) -> ET.Element:
        """One SOAP call; returns its <operation>Result element."""
        inner = "".join(
            f"<{name}>{escape(str(value))}</{name}>" for name, value in parameters.items()
        )
        envelope = (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<soap:Envelope xmlns:soap="{ENVELOPE}"><soap:Body>'
            f'<{operation} xmlns="{INTUIT}">{inner}</{operation}>'
            "</soap:Body></soap:Envelope>"
        )
        reply = self._http.post(
            self.soap_url,
            content=envelope.encode("utf-8"),
            headers={
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": f'"{INTUIT}{operation}"',
            },
        )
        if reply.status_code != 200:
            raise SoapError(f"{operation} answered HTTP {reply.status_code}")
        found = ET.fromstring(reply.content).find(
            f"{{{ENVELOPE}}}Body/{{{INTUIT}}}{operation}Response/{{{INTUIT}}}{operation}Result"
        )
        if found is None:
            raise SoapError(f"{operation} answered without its result")
        return found

    def update(self) -> None:
        """One update run, as the Web Connector makes it on its schedule."""
        self.updates += 1
        self.call("serverVersion")
        self.call("clientVersion", strVersion=CLIENT_VERSION)
        answer = [
            item.text or ""
            for item in self.call(
                "authenticate", strUserName=self._username, strPassword=self._password
            )
        ]
        ticket, verdict = [*answer, "", ""][:2]
        if verdict in ("nvu", "none", "busy"):
            if verdict == "nvu":
                log.warning("The connector refused the simulated Web Connector's password")
            return
        try:
            self._exchange(ticket)
        finally:
            self.call("closeConnection", ticket=ticket)

    def _exchange(self, ticket: str) -> None:
        while not self._stop.is_set():
            request = self.call(
                "sendRequestXML",
                ticket=ticket,
                strHCPResponse="",
                strCompanyFileName=COMPANY_FILE,
                qbXMLCountry="US",
                qbXMLMajorVers=QBXML_VERSION[0],
                qbXMLMinorVers=QBXML_VERSION[1],
            ).text
            if not request:
                self.call("getLastError", ticket=ticket)
                return
            reply = self._quickbooks(ticket, request)
            if reply is None:
                return  # connectionError told the connector; it said "done"
            response, hresult, message = reply
            result = self.call(
                "receiveResponseXML",
                ticket=ticket,
                response=response,
                hresult=hresult,
                message=message,
            )
            percent = int(result.text or "-1")
            if percent < 0:
                self.call("getLastError", ticket=ticket)
                return
            if percent >= 100:
                return

    def _quickbooks(self, ticket: str, request: str) -> tuple[str, str, str] | None:
        """Hand the request to QuickBooks: (response, hresult, message), or None once
        connectionError has reported that QuickBooks could not be opened."""
        try:
            reply = self._http.post(
                self.quickbooks_url,
                content=request.encode("utf-8"),
                headers={
                    "Authorization": f"Bearer {self._quickbooks_token}",
                    "Content-Type": "application/xml",
                },
            )
        except httpx.HTTPError as error:
            return "", UNEXPECTED_HRESULT, f"QuickBooks did not answer ({type(error).__name__})"
        if reply.status_code == 200:
            return reply.text, "", ""
        try:
            said = reply.json()
            hresult, message = str(said.get("hresult", UNEXPECTED_HRESULT)), str(said["error"])
        except (ValueError, KeyError, AttributeError):
            hresult, message = UNEXPECTED_HRESULT, f"QuickBooks answered HTTP {reply.status_code}"
        if reply.status_code == 503:
            # QuickBooks could not be opened: the Web Connector reports a connection error.
            self.call("connectionError", ticket=ticket, hresult=hresult, message=message)
            return None
        return "", hresult, message

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.update()
            except (httpx.HTTPError, SoapError, ET.ParseError) as error:
                # The real Web Connector logs a failed run and tries again at the next one.
                log.warning("Simulated Web Connector: update failed: %s", error)
            self._stop.wait(self.every_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="web-connector", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=35)
        self._http.close()

    def __enter__(self) -> SimulatedWebConnector:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
