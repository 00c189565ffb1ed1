"""The HTTP transport to Procore: each request in flight has a connection of its own, kept for
the next request once its answer is read.

httpcore's pool (1.0, as locked) looks over all its connections whenever a request starts or ends,
and over all of them again for each idle one: with the 20-30 connections a load keeps busy, about
2.5 million checks over a 100,000-CCO load and a sixth of its CPU. Here each connection is a pool of
its own, httpx's transport limited to one connection, lent to one request at a time, so each look
is at one connection. Connecting, TLS, keep-alive, a server's close of an idle connection, reading
and errors all stay httpx's and httpcore's; only which connection a request takes is chosen here.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 100
"""Requests in flight at once; more wait their turn (httpx's default limit)."""
MAX_IDLE = 40
"""Connections kept open between requests, more than a load keeps busy at once (16 projects, each
up to two requests: services/catalog.py), so that none is closed only to be opened again a moment
later (over TLS, a handshake each); one more is closed when its answer is read."""

_ONE = httpx.Limits(max_connections=1, max_keepalive_connections=1)


def procore_transport(verify: ssl.SSLContext) -> httpx.AsyncBaseTransport:
    return ConnectionPerRequest(lambda: httpx.AsyncHTTPTransport(verify=verify, limits=_ONE))


class ConnectionPerRequest(httpx.AsyncBaseTransport):
    def __init__(
        self,
        connection: Callable[[], httpx.AsyncBaseTransport],
        *,
        max_connections: int = MAX_CONNECTIONS,
        max_idle: int = MAX_IDLE,
    ) -> None:
        self._connection = connection
        self._idle: list[httpx.AsyncBaseTransport] = []
        """Most recently used last: it is the one taken next, the least likely to have expired."""
        self._lent: set[httpx.AsyncBaseTransport] = set()
        self._turns = asyncio.Semaphore(max_connections)
        self._max_idle = max_idle
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._wait_turn(request)
        lane = self._idle.pop() if self._idle else self._connection()
        self._lent.add(lane)
        try:
            response = await lane.handle_async_request(request)
        except BaseException:
            await self._give_back(lane)
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_GivenBack(response.stream, lambda: self._give_back(lane)),
            extensions=response.extensions,
        )

    async def _wait_turn(self, request: httpx.Request) -> None:
        """A turn among the requests in flight, within the request's pool timeout."""
        if not self._turns.locked():
            await self._turns.acquire()  # free: taken at once (a timer each time cost more)
            return
        timeout = request.extensions.get("timeout", {}).get("pool")
        try:
            async with asyncio.timeout(timeout):
                await self._turns.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no connection free in time", request=request) from None

    async def _give_back(self, lane: httpx.AsyncBaseTransport) -> None:
        self._lent.discard(lane)
        self._turns.release()
        if self._closed or len(self._idle) >= self._max_idle:
            await _close(lane)
        else:
            self._idle.append(lane)

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for lane in [*idle, *self._lent]:
            await _close(lane)


async def _close(lane: httpx.AsyncBaseTransport) -> None:
    """Close a connection no request needs: a failure to is logged, never a request's failure
    (its answer is read by then)."""
    try:
        await lane.aclose()
    except Exception:
        log.warning("A spare connection to Procore could not be closed cleanly", exc_info=True)


class _GivenBack(httpx.AsyncByteStream):
    """An answer's body; once it is closed, its connection goes back for another request."""

    def __init__(
        self, inner: httpx.AsyncByteStream, give_back: Callable[[], Awaitable[None]]
    ) -> None:
        self._inner = inner
        self._give_back: Callable[[], Awaitable[None]] | None = give_back

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._inner:
            yield part

    async def aclose(self) -> None:
        give_back, self._give_back = self._give_back, None
        try:
            await self._inner.aclose()
        finally:
            if give_back is not None:
                await give_back()
