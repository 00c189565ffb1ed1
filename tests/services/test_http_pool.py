"""The Procore transport's connections: one per request in flight, kept for the next request, and
never a connection the server closed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from services.http_pool import ConnectionPerRequest, procore_transport

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"


def counting(connections: list[int], answers: int, pause: float = 0.0) -> Handler:
    """A server answering `answers` requests on each connection (after `pause`), then closing."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        for _ in range(answers):
            await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(pause)
            writer.write(ANSWER)
            await writer.drain()
        await asyncio.sleep(0.1)
        writer.close()

    return handle


async def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    connections: list[int] = []
    transport = procore_transport(httpx.create_ssl_context())
    async with (
        serving(counting(connections, 1)) as url,
        httpx.AsyncClient(transport=transport) as client,
    ):
        first = await client.get(url)
        await asyncio.sleep(0.4)  # the server closes the idle connection
        second = await client.get(url)
    assert (first.text, second.text, len(connections)) == ("ok", "ok", 2)


async def test_one_connection_serves_requests_one_after_another() -> None:
    connections: list[int] = []
    transport = procore_transport(httpx.create_ssl_context())
    async with (
        serving(counting(connections, 10)) as url,
        httpx.AsyncClient(transport=transport) as client,
    ):
        answers = [(await client.get(url)).text for _ in range(10)]
    assert (answers, len(connections)) == (["ok"] * 10, 1)


async def test_requests_at_once_each_have_a_connection_kept_for_the_next() -> None:
    connections: list[int] = []
    transport = procore_transport(httpx.create_ssl_context())
    async with (
        serving(counting(connections, 3, pause=0.05)) as url,
        httpx.AsyncClient(transport=transport) as client,
    ):
        for _ in range(3):
            answers = await asyncio.gather(*(client.get(url) for _ in range(5)))
            assert [answer.text for answer in answers] == ["ok"] * 5
    assert len(connections) == 5


async def test_past_the_limit_a_request_waits_its_turn_within_the_pool_timeout() -> None:
    connections: list[int] = []
    transport = ConnectionPerRequest(
        lambda: httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=1)),
        max_connections=2,
    )
    async with serving(counting(connections, 2, pause=0.3)) as url:
        timeout = httpx.Timeout(5.0, pool=0.1)
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            outcomes = await asyncio.gather(
                *(client.get(url) for _ in range(3)), return_exceptions=True
            )
            assert sorted(type(outcome).__name__ for outcome in outcomes) == [
                "PoolTimeout",
                "Response",
                "Response",
            ]
            # The turns taken were given back: two more requests go at once.
            again = await asyncio.gather(client.get(url), client.get(url))
    assert [answer.text for answer in again] == ["ok", "ok"]
    assert len(connections) == 2


async def test_a_request_that_fails_or_is_cancelled_gives_its_turn_back() -> None:
    transport = ConnectionPerRequest(
        lambda: httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=1)),
        max_connections=1,
    )
    silent: list[int] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(1)
        await reader.read()  # until the client gives up and closes its end
        writer.close()

    async with serving(never_answer) as url, httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await client.get(url)
        with pytest.raises(httpx.ReadTimeout):
            await client.get(url, timeout=httpx.Timeout(5.0, read=0.2))
    connections: list[int] = []
    async with (
        serving(counting(connections, 1)) as url,
        httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(1.0, pool=0.2)) as client,
    ):
        assert (await client.get(url)).text == "ok"
    assert (len(silent), len(connections)) == (2, 1)
