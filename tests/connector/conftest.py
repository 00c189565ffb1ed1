"""A connector on loopback with short waits, its secrets, and a way to ask it as cco-unlink does."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from connector.config import ConnectorConfig
from connector.credentials import Credentials, hash_secret
from connector.server import ConnectorServer
from tests.connector.zeep_web_connector import ZeepWebConnector

PASSWORD = "wc-password"
TOKEN = "connector-token-for-tests"
QUERY = (
    '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n'
    '<QBXML><QBXMLMsgsRq onError="stopOnError"><PurchaseOrderQueryRq requestID="{n}">'
    "<TxnID>1A-1767225600</TxnID><IncludeLineItems>true</IncludeLineItems>"
    "</PurchaseOrderQueryRq></QBXMLMsgsRq></QBXML>"
)


def answer_to(request: str) -> str:
    """A well-formed answer echoing the request's requestID, as QuickBooks' would."""
    request_id = request.split('requestID="', 1)[1].split('"', 1)[0]
    return (
        '<?xml version="1.0" encoding="windows-1252"?>\n<?qbxml version="13.0"?>\n'
        f'<QBXML><QBXMLMsgsRs><PurchaseOrderQueryRs requestID="{request_id}" statusCode="500" '
        'statusSeverity="Warn" statusMessage="Not found — gone"/></QBXMLMsgsRs></QBXML>'
    )


@pytest.fixture(scope="session")
def credentials() -> Credentials:
    return Credentials(password_hash=hash_secret(PASSWORD), token_hash=hash_secret(TOKEN))


@pytest.fixture
def make_config(tmp_path: Path, credentials: Credentials) -> Callable[..., ConnectorConfig]:
    def make(**changes: Any) -> ConnectorConfig:
        values: dict[str, Any] = {
            "credentials": credentials,
            "journal_path": tmp_path / "journal.jsonl",
            "poll_wait_seconds": 3.0,
            "answer_wait_seconds": 3.0,
            **changes,
        }
        return ConnectorConfig(**values)

    return make


@pytest.fixture
def connector_server(make_config: Callable[..., ConnectorConfig]) -> Iterator[ConnectorServer]:
    with ConnectorServer(make_config()) as server:
        yield server


@pytest.fixture
def web_connector(connector_server: ConnectorServer) -> ZeepWebConnector:
    return ZeepWebConnector(connector_server.soap_url)


@pytest.fixture
def asker() -> Iterator[Callable[..., Future[httpx.Response]]]:
    """Post qbXML to a connector from other threads, as cco-unlink clients would."""
    pool = ThreadPoolExecutor(max_workers=4)

    def ask(url: str, body: str, token: str = TOKEN) -> Future[httpx.Response]:
        return pool.submit(
            httpx.post,
            url,
            content=body.encode(),
            headers={"Authorization": f"Bearer {token}"} if token else {},
            timeout=20,
        )

    yield ask
    pool.shutdown(wait=True)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.01)
