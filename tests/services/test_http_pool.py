"""The Procore transport's pool: an idle connection the server closed is never reused."""

from __future__ import annotations

import asyncio

import httpx

from services.http_pool import _Backend, _Stream, procore_transport

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"


async def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    connections = 0

    async def answer_once_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER)  # says keep-alive, then closes all the same once idle
        await writer.drain()
        await asyncio.sleep(0.1)
        writer.close()

    server = await asyncio.start_server(answer_once_then_close, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = procore_transport(httpx.create_ssl_context())
    assert isinstance(transport._pool._network_backend, _Backend)
    async with server, httpx.AsyncClient(transport=transport) as client:
        first = await client.get(f"http://127.0.0.1:{port}/")
        [idle] = transport._pool.connections
        assert isinstance(idle._connection._network_stream, _Stream)  # type: ignore[union-attr]
        await asyncio.sleep(0.4)  # the server closes the idle connection
        second = await client.get(f"http://127.0.0.1:{port}/")
    assert (first.text, second.text, connections) == ("ok", "ok", 2)
