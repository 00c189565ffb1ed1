"""Faults the sandbox makes on purpose, so a client can be proven against a misbehaving world.

One pure ASGI layer, outermost, so that what it breaks is what a client would see on the wire: a
status instead of an answer, an answer cut short, a connection closed with no answer at all. It
reads `config.faults` on every request, so a test can switch faults on and off while the server
runs. Shares are percentages drawn from one generator seeded with `faults.seed`: the same seed and
the same sequence of requests give the same faults.

Procore faults touch the API (`/rest/`) only, never sign-in: an unreadable token answer is a
different story from an unreadable unlink. Connector faults come after the connector's token
check, as the Web Connector's own errors would.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.config import Faults, SandboxConfig
from sandbox.connector import CLOSED_HRESULT, CLOSED_MESSAGE, authorized
from sandbox.errors import RATE_LIMITED

PROCORE_PREFIX = "/rest/"
CONNECTOR_PREFIX = "/quickbooks/"

BUSY_MESSAGE = (
    "QuickBooks Desktop could not be accessed: a dialog is open or another user holds the "
    "company file in single-user mode."
)
BUSY_HRESULT = "0x80040401"
SERVER_ERRORS = {
    500: "Internal Server Error (sandbox fault)",
    502: "Bad Gateway (sandbox fault)",
    503: "Service Unavailable (sandbox fault)",
}
# What a garbling proxy might hand back instead of JSON.
GARBLED_JSON = b'{"entities": [{"id": 1, "item_type": \x00\xff<html>upstream reset</html>'


# A value of the wrong type for every field a client reads: not a number, text, list or flag.
GARBAGE_VALUE = {"\u0000garbage": [None, -1, "\ufffd"]}


def _garbled(value: Any, field: str) -> Any:
    if isinstance(value, dict):
        return {
            key: GARBAGE_VALUE if key == field else _garbled(item, field)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_garbled(item, field) for item in value]
    return value


class ConnectionDropped(Exception):
    """Raised after the answer's headers are out: the server closes the connection mid-answer."""


class _QuietDrops(logging.Filter):
    """Deliberate drops are not server bugs: keep their tracebacks out of uvicorn's log."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, ConnectionDropped)


class _OneLineDisconnects(logging.Filter):
    """A client that hangs up before its request is read is the client's doing, not a sandbox
    bug: one line in the log, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ClientDisconnect):
            record.msg = "A client disconnected before its request was read."
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
logging.getLogger("uvicorn.error").addFilter(_OneLineDisconnects())


class FaultInjector:
    def __init__(self, app: ASGIApp, config: SandboxConfig) -> None:
        self.app = app
        self.config = config
        self._random = random.Random(config.faults.seed)
        self._seed = config.faults.seed
        self._storm_left = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(PROCORE_PREFIX):
            await self._procore(scope, receive, send)
        elif path.startswith(CONNECTOR_PREFIX) and authorized(Request(scope)):
            await self._connector(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _roll(self, percent: int) -> bool:
        """True `percent` times in a hundred; draws nothing when the fault is off."""
        if percent <= 0:
            return False
        faults = self.config.faults
        if faults.seed != self._seed:
            self._random, self._seed = random.Random(faults.seed), faults.seed
        return percent >= 100 or self._random.random() * 100 < percent

    async def _procore(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults = self.config.faults
        if self._storm_left > 0 or self._roll(faults.rate_limit_storm_percent):
            self._storm_left = self._storm_left - 1 if self._storm_left else faults.storm_length
            await _send_storm(send, faults)
            return
        if self._roll(faults.procore_error_percent):
            status = self._random.choice(sorted(SERVER_ERRORS))
            await _send_json(send, status, {"errors": SERVER_ERRORS[status]})
            return
        changing = scope["method"] not in ("GET", "HEAD")
        if changing and faults.fake_change_success:
            await _send_json(send, 200, {"entities": [], "errors": []})
            return
        if changing and self._roll(faults.drop_before_change_percent):
            await _drop(send)
        drop_after = changing and self._roll(faults.drop_after_change_percent)
        malformed = not drop_after and self._roll(faults.malformed_json_percent)
        garble = faults.garble_field
        if not (drop_after or malformed or garble):
            await self.app(scope, receive, send)
            return
        start, body = await _capture(self.app, scope, receive)
        if drop_after:
            await _drop(send)
        if start["status"] == 200 and body:
            if malformed:
                body = body[: len(body) // 2] if self._random.random() < 0.5 else GARBLED_JSON
            elif garble:
                body = json.dumps(_garbled(json.loads(body), garble)).encode("utf-8")
        await _replay(send, start, body)

    async def _connector(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults = self.config.faults
        if self._roll(faults.connector_down_percent):
            await _drop(send)
        if self._roll(faults.quickbooks_closed_percent):
            await _send_json(send, 503, {"error": CLOSED_MESSAGE, "hresult": CLOSED_HRESULT})
            return
        if self._roll(faults.quickbooks_busy_percent):
            await _send_json(send, 503, {"error": BUSY_MESSAGE, "hresult": BUSY_HRESULT})
            return
        if faults.quickbooks_delay_ms > 0:
            await asyncio.sleep(faults.quickbooks_delay_ms / 1000)
        truncated = self._roll(faults.qbxml_truncated_percent)
        invalid = not truncated and self._roll(faults.qbxml_invalid_percent)
        if not (truncated or invalid):
            await self.app(scope, receive, send)
            return
        start, body = await _capture(self.app, scope, receive)
        if start["status"] == 200:
            body = body[: len(body) * 2 // 3] if truncated else self._invalid_qbxml(body)
        await _replay(send, start, body)

    def _invalid_qbxml(self, body: bytes) -> bytes:
        """Well-formed XML that is not a usable answer, in one of the ways bridges get it wrong."""
        text = body.decode("utf-8", errors="replace")
        spoilers = (
            lambda t: t.replace('requestID="', 'requestID="9', 1),
            lambda t: t.replace('statusCode="', 'statusCode="x', 1),
            lambda t: t.replace("QBXMLMsgsRs", "QBXMLMsgsRq"),
            lambda t: t.replace("<QBXML>", "<QBXMLResponse>").replace(
                "</QBXML>", "</QBXMLResponse>"
            ),
        )
        return self._random.choice(spoilers)(text).encode("utf-8")


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
    """Run the app to the end and keep its answer instead of sending it."""
    start: Message = {"type": "http.response.start", "status": 500, "headers": []}
    chunks: list[bytes] = []

    async def keep(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, keep)
    return start, b"".join(chunks)


async def _replay(send: Send, start: Message, body: bytes) -> None:
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Send) -> None:
    """Promise an answer, then close the connection before any of it arrives."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"512")],
        }
    )
    raise ConnectionDropped()


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


async def _send_storm(send: Send, faults: Faults) -> None:
    wait = max(0, faults.storm_retry_after_s)
    reset = int(time.time()) + wait
    await _send_json(
        send,
        429,
        {"errors": RATE_LIMITED},
        {
            "Retry-After": str(wait),
            "X-Rate-Limit-Limit": "3600",
            "X-Rate-Limit-Remaining": "0",
            "X-Rate-Limit-Reset": str(reset),
        },
    )
