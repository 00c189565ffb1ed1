"""The QuickBooks Web Connector's side, driven by zeep from Intuit's published WSDL: what a real
Web Connector sends, shaped by the WSDL rather than by our own code."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import shared_spec

BINDING = "{http://developer.intuit.com/}QBWebConnectorSvcSoap"
CLOSED = ("0x80040408", "Could not start QuickBooks.")


class QuickBooksDown(Exception):
    """QuickBooks cannot be opened: the Web Connector calls connectionError."""

    def __init__(self, hresult: str, message: str) -> None:
        super().__init__(message)
        self.hresult, self.message = hresult, message


# What QuickBooks does with one request: (response, hresult, message), or QuickBooksDown.
QuickBooks = Callable[[str], tuple[str, str, str]]


def wsdl_path() -> Path:
    return shared_spec("qbwc/QBWebConnectorSvc.wsdl")


@dataclass
class ZeepWebConnector:
    soap_url: str
    username: str = "cco-unlink"
    password: str = "wc-password"
    company_file: str = r"C:\Company\Builders.qbw"
    version: tuple[int, int] = (13, 0)
    verify: str | bool = True
    """The CA file to trust when the service is https."""
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        import requests
        import zeep
        from zeep.transports import Transport

        session = requests.Session()
        session.trust_env = False  # else REQUESTS_CA_BUNDLE would override `verify`
        session.verify = self.verify
        client = zeep.Client(str(wsdl_path()), transport=Transport(session=session))
        self.service: Any = client.create_service(BINDING, self.soap_url)

    def call(self, operation: str, *arguments: Any) -> Any:
        result = getattr(self.service, operation)(*arguments)
        self.calls.append((operation, result))
        return result

    def update(self, quickbooks: QuickBooks) -> list[str | None]:
        """One update run as the Web Connector makes it; returns authenticate's answer."""
        self.call("serverVersion")
        self.call("clientVersion", "2.3.0.36")
        answer = self.call("authenticate", self.username, self.password)
        ticket, verdict = answer[0], answer[1]
        if verdict in ("nvu", "none", "busy"):
            return list(answer)
        while True:
            request = self.call(
                "sendRequestXML", ticket, "", self.company_file, "US", *self.version
            )
            if not request:
                self.call("getLastError", ticket)
                break
            try:
                response, hresult, message = quickbooks(request)
            except QuickBooksDown as down:
                self.call("connectionError", ticket, down.hresult, down.message)
                self.call("getLastError", ticket)
                break
            percent = self.call("receiveResponseXML", ticket, response, hresult, message)
            if percent < 0:
                self.call("getLastError", ticket)
                break
            if percent >= 100:
                break
        self.call("closeConnection", ticket)
        return list(answer)

    @contextmanager
    def polling(self, quickbooks: QuickBooks, every: float) -> Iterator[None]:
        """Update every `every` seconds in a thread, as the Web Connector's scheduler does."""
        stop = threading.Event()

        def run() -> None:
            while not stop.is_set():
                self.update(quickbooks)
                stop.wait(every)

        thread = threading.Thread(target=run, name="zeep-web-connector", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(10)


def simulated_quickbooks(sandbox_connector_url: str, token: str = "sandbox") -> QuickBooks:
    """The sandbox's simulated QuickBooks as the Web Connector would reach it over COM."""

    def ask(request: str) -> tuple[str, str, str]:
        reply = httpx.post(
            sandbox_connector_url,
            content=request.encode("utf-8"),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"},
            timeout=10,
        )
        if reply.status_code == 200:
            return reply.text, "", ""
        said = reply.json()
        if reply.status_code == 503:
            raise QuickBooksDown(said.get("hresult", ""), said["error"])
        return "", said.get("hresult", "0x80040402"), said["error"]

    return ask
