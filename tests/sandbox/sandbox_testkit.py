"""Helpers shared by the sandbox tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from sandbox import SandboxServer
from sandbox.demo import SUMMIT_COMPANY_ID

ServerFactory = Callable[..., SandboxServer]
CONNECTOR_AUTH = {"Authorization": "Bearer sandbox"}


def grant(client: httpx.Client, login: str, secret: str = "sandbox") -> httpx.Response:
    return client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": login, "client_secret": secret},
    )


def auth_headers(
    client: httpx.Client, login: str = "admin", company_id: int | None = SUMMIT_COMPANY_ID
) -> dict[str, str]:
    response = grant(client, login)
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    if company_id is not None:
        headers["Procore-Company-Id"] = str(company_id)
    return headers


def qbxml(*requests: str, on_error: str = "stopOnError") -> bytes:
    """A qbXML 13.0 request document holding `requests` (already serialized *Rq elements)."""
    body = "".join(requests)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}">{body}</QBXMLMsgsRq></QBXML>'
    ).encode()


def po_query(txn_id: str, request_id: str = "1", lines: bool = True) -> str:
    include = f"<IncludeLineItems>{'true' if lines else 'false'}</IncludeLineItems>"
    return (
        f'<PurchaseOrderQueryRq requestID="{request_id}"><TxnID>{txn_id}</TxnID>{include}'
        "</PurchaseOrderQueryRq>"
    )
