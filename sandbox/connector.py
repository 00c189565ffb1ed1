"""POST /quickbooks/qbxml: the HTTP bridge in front of the simulated QuickBooks Desktop.

Transport failures answer JSON `{"error", "hresult"?}` (docs/quickbooks-connector.md); everything
QuickBooks itself says travels as qbXML status codes inside a 200.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import qbd
from sandbox.config import Faults
from sandbox.qbxml import PARSE_HRESULT, QbxmlParseError, parse_request, response_document
from sandbox.store import connection

CONNECTOR_TOKEN = "sandbox"
CLOSED_MESSAGE = (
    "QuickBooks Desktop is not running or the company file cannot be opened "
    "(Could not start QuickBooks)."
)
CLOSED_HRESULT = "0x80040408"
# What a broken bridge or an interfering proxy might hand back: not XML at all.
GARBAGE = b"\x00\x1bQBFC: unexpected reply \xff\xfe<<<garbled stream>>> 0x8004\r\n"


def _error(status: int, message: str, hresult: str | None = None) -> JSONResponse:
    body = {"error": message}
    if hresult is not None:
        body["hresult"] = hresult
    return JSONResponse(body, status_code=status)


def authorized(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(token.strip(), CONNECTOR_TOKEN)


def process(data_file: Path, body: bytes) -> bytes:
    """Run one message set against the company file and build the response document."""
    message_set = parse_request(body)
    now = int(time.time())
    responses: list[ET.Element] = []
    with connection(data_file) as conn:
        # One transaction per message set: rollbackOnError can undo earlier requests, and a
        # document rejected half-way (400) leaves nothing behind.
        conn.execute("BEGIN IMMEDIATE")
        try:
            for request in message_set.requests:
                rs = qbd.handle(conn, request, now)
                responses.append(rs)
                if (
                    rs.get("statusSeverity") == "Error"
                    and message_set.on_error != "continueOnError"
                ):
                    if message_set.on_error == "rollbackOnError":
                        conn.execute("ROLLBACK")
                        conn.execute("BEGIN")
                    break
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return response_document(responses)


async def qbxml_endpoint(request: Request) -> Response:
    faults: Faults = request.app.state.config.faults
    if not authorized(request):
        return _error(401, "Missing or invalid connector token.")
    if faults.quickbooks_closed:
        return _error(503, CLOSED_MESSAGE, CLOSED_HRESULT)
    if faults.connector_delay_s > 0:
        await asyncio.sleep(faults.connector_delay_s)
    if faults.connector_garbage:
        return Response(GARBAGE, media_type="application/xml")
    body = await request.body()
    try:
        document = process(request.app.state.data_file, body)
    except QbxmlParseError as exc:
        return _error(
            400, f"QuickBooks found an error when parsing the provided XML: {exc}", PARSE_HRESULT
        )
    return Response(document, media_type="application/xml")


ROUTES = [Route("/quickbooks/qbxml", qbxml_endpoint, methods=["POST"])]
