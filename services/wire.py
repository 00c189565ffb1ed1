"""One HTTP exchange, bounded: a deadline on the whole answer and a cap on its size.

httpx's timeouts are per operation: a server that drips a byte every few seconds never trips
them, and a reply of any size is read into memory. Every exchange cco-unlink makes (Procore's API,
its sign-in, the QuickBooks connector) goes through `exchange`, which ends in a complete answer,
an httpx.TransportError (nothing or part of an answer came back), or one of the two errors below.
The Procore and QuickBooks clients map those to their own outcomes, each naming what happened.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

MAX_BODY_BYTES = 20 * 1024 * 1024
"""Far above any answer cco-unlink asks for (a page of 100 CCOs is tens of kilobytes); a reply
larger than this is not one it can use, and reading it could exhaust memory."""

DEFAULT_DEADLINE = 60.0
"""For a client configured without a read timeout."""

_BODY_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}
"""Headers that describe the body as sent; the answer handed on holds it decoded."""


class ExchangeError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoAnswer(ExchangeError):
    """No complete answer came back in time: the request may have been applied, or not."""


class UnusableReply(ExchangeError):
    """An answer came back and cannot be used: too large, undecodable, redirected in circles."""


async def exchange(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    deadline: float | None = None,
    max_body: int = MAX_BODY_BYTES,
    auth: httpx.Auth | None = None,
    **options: Any,
) -> httpx.Response:
    """Send one request and read its whole answer within `deadline` seconds: by default the
    client's read timeout, the seconds the settings give one answer."""
    if deadline is None:
        deadline = http.timeout.read or DEFAULT_DEADLINE
    try:
        async with asyncio.timeout(deadline):
            request = http.build_request(method, url, **options)
            response = await http.send(request, stream=True, auth=auth or httpx.USE_CLIENT_DEFAULT)
            try:
                body = await _read(response, max_body)
            finally:
                await response.aclose()
    except TimeoutError:
        raise NoAnswer(f"no complete answer within {deadline:g} s") from None
    except httpx.DecodingError:
        raise UnusableReply("its body could not be decoded (compressed wrongly)") from None
    except httpx.TooManyRedirects:
        raise UnusableReply("it redirected too many times") from None
    except httpx.TransportError:
        raise  # nothing, or part of an answer, came back: the caller knows what that means
    except httpx.HTTPError as error:
        raise UnusableReply(f"it could not be read ({type(error).__name__})") from None
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
    return httpx.Response(response.status_code, headers=headers, content=body, request=request)


async def _read(response: httpx.Response, max_body: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body:
        raise UnusableReply(f"it is larger than {max_body // (1024 * 1024)} MB")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_body:
            raise UnusableReply(f"it is larger than {max_body // (1024 * 1024)} MB")
    return bytes(body)
