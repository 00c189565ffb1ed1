"""Every reply the client cannot use is a known outcome with a message naming what was wrong, and
every exchange ends within its deadline: never "unexpected error", never a hang.

The replies are made by a layer under httpx, between the client and the real sandbox: the
request goes to the sandbox as usual (so a change is applied, as a lying proxy would let it be),
and the answer's bytes are replaced with the hostile ones before httpx reads them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from cco_unlink import exit_codes, headless
from sandbox import inspect
from services.audit import AuditLog, AuditRecord
from services.backend import Backend, Target
from services.wire import MAX_BODY_BYTES
from tests.clock import JumpingClock
from tests.helpers import demo_cco_id, is_linked


class _Drip(httpx.AsyncByteStream):
    def __init__(self, body: bytes, every: float) -> None:
        self.body, self.every = body, every

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for byte in self.body:
            await asyncio.sleep(self.every)
            yield bytes([byte])


class _Chunks(httpx.AsyncByteStream):
    """A body of `size` bytes sent without a Content-Length, so only reading it finds its size."""

    def __init__(self, size: int) -> None:
        self.size = size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = b" " * (1024 * 1024)
        for _ in range(self.size // len(chunk)):
            yield chunk


def _bad(kind: str) -> httpx.Response:
    json_headers = {"content-type": "application/json"}
    if kind == "compressed wrongly":
        headers = {**json_headers, "content-encoding": "gzip"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(b'{"id": 1}'))
    if kind == "nested too deep":
        return httpx.Response(200, headers=json_headers, content=b"[" * 50_000 + b"]" * 50_000)
    if kind == "nested too deep in a field":
        deep = b"[" * 50_000 + b"]" * 50_000
        body = b'[{"id": 1, "contract_id": 2, "notes": ' + deep + b"}]"
        return httpx.Response(200, headers=json_headers, content=body)
    if kind == "too large":
        return httpx.Response(200, headers=json_headers, stream=_Chunks(MAX_BODY_BYTES + 2**20))
    if kind == "redirected elsewhere":
        return httpx.Response(302, headers={"location": "https://elsewhere.example/steal"})
    if kind == "undecodable":
        return httpx.Response(200, headers=json_headers, content=b"\xff\xfe\x00garbage")
    if kind == "drip":
        return httpx.Response(200, headers=json_headers, stream=_Drip(b'{"id": 1}' * 20, 0.2))
    raise AssertionError(kind)


# What the message names for each kind.
NAMED = {
    "compressed wrongly": "compressed wrongly",
    "nested too deep": "nested too deeply",
    "nested too deep in a field": "nested too deeply",
    "too large": "larger than 20 MB",
    "redirected elsewhere": "redirected elsewhere",
    "undecodable": "not JSON",
    "drip": "no complete answer within 0.5 s",
}
QUICKBOOKS_NAMED = {**NAMED, "undecodable": "not XML", "nested too deep": "not XML"}


class Hostile(httpx.AsyncBaseTransport):
    """Passes every request on; answers those `matches` picks with the hostile reply instead."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, kind: str, matches: Callable[[httpx.Request], bool]
    ) -> None:
        self.inner, self.kind, self.matches = inner, kind, matches
        self.served = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not self.matches(request):
            return response
        await response.aread()
        await response.aclose()
        self.served += 1
        return _bad(self.kind)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _unlink(
    target: Target, project: int, cco_id: int, kind: str, matches: Callable[[httpx.Request], bool]
) -> tuple[int, str, str, int]:
    """`cco-unlink unlink` in this process, with hostile layers under both HTTP clients; the exit
    status, stdout, stderr, and how many hostile replies were served. Retries skip their backoff
    (tests.clock): only the deadlines take real time."""
    backend = Backend(target, JumpingClock())
    connections = await backend.open()
    # The test's own layers go under the client's (private) transports.
    procore = connections.wire._inner = Hostile(connections.wire._inner, kind, matches)
    quickbooks_http = connections.quickbooks._http
    quickbooks = quickbooks_http._transport = Hostile(quickbooks_http._transport, kind, matches)
    out, err = io.StringIO(), io.StringIO()
    try:
        status = await headless.unlink_command(backend, project, [cco_id], False, out, err)
    finally:
        await backend.aclose()
    return status, out.getvalue(), err.getvalue(), procore.served + quickbooks.served


def _fast(make_target: Callable[..., Target], kind: str = "") -> Target:
    """Short deadlines: a drip is cut at half a second, every other answer has one second."""
    seconds = 0.5 if kind == "drip" else 1.0
    return dataclasses.replace(make_target(), procore_timeout=seconds, quickbooks_timeout=seconds)


KINDS = [kind for kind in NAMED if kind != "nested too deep in a field"]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_bad_answer_to_the_fresh_read_is_procore_failed_and_changes_nothing(
    kind: str, make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    project = next(c.project_id for c in inspect.synced_ccos(sandbox_data) if c.id == cco_id)

    def fresh_read(request: httpx.Request) -> bool:
        return request.method == "GET" and request.url.path.endswith(f"/{cco_id}")

    started = time.monotonic()
    status, out, err, served = await _unlink(
        _fast(make_target, kind), project, cco_id, kind, fresh_read
    )

    assert served  # the case was met
    assert time.monotonic() - started < 20
    assert status == exit_codes.PROCORE_FAILED, (out, err)
    assert "unexpected" not in out + err and "Traceback" not in out + err
    assert NAMED[kind] in out, out
    assert "nothing was changed" in out
    assert is_linked(sandbox_data, cco_id)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_bad_answer_from_the_connector_is_quickbooks_unreachable(
    kind: str, make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    project = next(c.project_id for c in inspect.synced_ccos(sandbox_data) if c.id == cco_id)

    def connector(request: httpx.Request) -> bool:
        return request.url.path.startswith("/quickbooks/")

    status, out, err, served = await _unlink(
        _fast(make_target, kind), project, cco_id, kind, connector
    )

    assert served
    assert status == exit_codes.QUICKBOOKS_UNREACHABLE, (out, err)
    assert "unexpected" not in out + err and "Traceback" not in out + err
    named = "did not answer in time" if kind == "drip" else QUICKBOOKS_NAMED[kind]
    assert named in out or "connector answered HTTP 302" in out, out
    assert is_linked(sandbox_data, cco_id)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_bad_answer_to_the_applied_unlink_is_read_back_and_recorded(
    kind: str, make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    project = next(c.project_id for c in inspect.synced_ccos(sandbox_data) if c.id == cco_id)
    target = _fast(make_target, kind)

    def the_change(request: httpx.Request) -> bool:
        return request.method == "PATCH"

    status, out, err, served = await _unlink(target, project, cco_id, kind, the_change)

    assert served
    assert "unexpected" not in out + err and "Traceback" not in out + err
    assert not is_linked(sandbox_data, cco_id)  # the sandbox applied it; the answer was bad
    assert status == exit_codes.OK and "Successfully Unlinked" in out, (out, err)
    records = [r for r in AuditLog(target.audit_path).read() if isinstance(r, AuditRecord)]
    assert [(r.phase, r.outcome) for r in records] == [("started", ""), ("ended", "unlinked")]


@pytest.mark.parametrize("kind", ["nested too deep in a field", "compressed wrongly"])
async def test_a_bad_page_of_the_list_is_procore_failed(
    kind: str, make_target: Callable[..., Target]
) -> None:
    backend = Backend(_fast(make_target), JumpingClock())
    connections = await backend.open()

    def ccos_page(request: httpx.Request) -> bool:
        return request.url.path.endswith("/commitment_change_orders")

    hostile = connections.wire._inner = Hostile(connections.wire._inner, kind, ccos_page)
    out, err = io.StringIO(), io.StringIO()
    try:
        status = await headless.list_command(backend, None, False, out, err)
    finally:
        await backend.aclose()

    assert hostile.served
    assert status == exit_codes.PROCORE_FAILED, err.getvalue()
    assert NAMED[kind] in err.getvalue() and "Traceback" not in err.getvalue()


@pytest.mark.parametrize("kind", ["compressed wrongly", "nested too deep", "drip"])
async def test_a_bad_answer_to_the_sign_in_is_procore_failed(
    kind: str, make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    project = next(c.project_id for c in inspect.synced_ccos(sandbox_data) if c.id == cco_id)

    def token(request: httpx.Request) -> bool:
        return request.url.path == "/oauth/token"

    status, out, err, served = await _unlink(_fast(make_target, kind), project, cco_id, kind, token)

    assert served
    assert status == exit_codes.PROCORE_FAILED, (out, err)
    assert "unexpected" not in out + err and "Traceback" not in out + err
    assert NAMED[kind] in err, err
    # A drip is cut by the deadline of the API request the sign-in was made for.
    assert kind == "drip" or "Procore's sign-in answer" in err, err
    assert is_linked(sandbox_data, cco_id)


async def test_a_real_server_dripping_its_answer_is_cut_at_the_deadline(
    make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    """Over a real socket: a byte every 0.2 s never trips a 1 s read timeout; only the deadline
    on the whole answer ends it."""
    dripped = asyncio.Event()

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 500\r\n\r\n"
        )
        try:
            for _ in range(500):
                writer.write(b"<")
                await writer.drain()
                dripped.set()
                await asyncio.sleep(0.2)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(drip, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    project = next(c.project_id for c in inspect.synced_ccos(sandbox_data) if c.id == cco_id)
    target = dataclasses.replace(
        _fast(make_target), connector_url=f"http://127.0.0.1:{port}/quickbooks/qbxml"
    )
    backend = Backend(target)
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    try:
        status = await headless.unlink_command(backend, project, [cco_id], False, out, err)
    finally:
        await backend.aclose()
        server.close()
    took = time.monotonic() - started

    assert dripped.is_set()  # the case was met: the answer was trickling in
    assert status == exit_codes.QUICKBOOKS_UNREACHABLE, (out.getvalue(), err.getvalue())
    assert "did not answer in time" in out.getvalue()
    assert took < 5, took  # one deadline (1 s) and the Procore reads around it
    assert is_linked(sandbox_data, cco_id)
