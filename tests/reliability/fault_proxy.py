"""A hostile wire for the chaos test: an HTTP proxy on loopback between cco-unlink and the sandbox
that breaks answers on purpose.

Each request the client sends draws one fault from a seeded generator: the connection dropped
before the request is passed on or after it was applied, an answer that never comes, a body cut
short, corrupted or labelled with a compression it does not have, an answer dripped out slower
than any whole-request deadline, or a gateway's 502 or 503 page. The sandbox itself behaves; only
the wire lies. One proxy serves one command, so what a command meets depends on the seed and on
its own requests, not on how concurrent commands interleave.

The proxy speaks just enough HTTP/1.1 for cco-unlink's client: requests with a Content-Length
body, kept-alive connections, one request at a time on each. Upstream it opens a connection per
request and reads the answer to its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


class Fault(enum.StrEnum):
    NONE = "none"
    DROP_BEFORE = "drop_before"
    """The connection closes before the request is passed on: nothing reaches the sandbox."""
    UNAVAILABLE = "503_page"
    """A gateway's HTML 503 page; nothing reaches the sandbox."""
    DROP_AFTER = "drop_after"
    """The sandbox answers (a change is applied), then the connection closes with no answer."""
    SILENCE = "silence"
    """The sandbox answers, and the proxy sends nothing back until the client gives up."""
    TRUNCATED = "truncated"
    """The answer's head promises the whole body; half of it comes, then the connection closes."""
    CORRUPTED = "corrupted"
    """The body arrives whole but with bytes overwritten (no longer UTF-8, nor JSON or XML)."""
    FALSE_GZIP = "false_gzip"
    """The body is labelled gzip-compressed and is not."""
    DRIP = "drip"
    """The body trickles out a few bytes at a time: every read is quick, the whole is slow."""
    BAD_GATEWAY = "502_page"
    """The sandbox answers (a change is applied), and the client gets a gateway's 502 page."""


BEFORE_FORWARDING = frozenset({Fault.DROP_BEFORE, Fault.UNAVAILABLE})
ANSWER_LOST = frozenset(
    {
        Fault.DROP_AFTER,
        Fault.SILENCE,
        Fault.TRUNCATED,
        Fault.CORRUPTED,
        Fault.FALSE_GZIP,
        Fault.BAD_GATEWAY,
    }
)
"""Faults after which the client cannot read what the sandbox answered."""

CHANGE_METHODS = frozenset({"PATCH", "POST", "PUT", "DELETE"})


class Kill(enum.StrEnum):
    """When, around the chosen request, the client is killed."""

    BEFORE_FORWARDING = "before_forwarding"
    AFTER_FORWARDING = "after_forwarding"


@dataclass(frozen=True)
class KillPlan:
    """Kill the client at its `request_number`-th request (1-based), or at its first request that
    changes Procore when `at_change` is set."""

    when: Kill
    request_number: int = 0
    at_change: bool = False

    def matches(self, number: int, changes: bool) -> bool:
        return changes if self.at_change else number == self.request_number


@dataclass(frozen=True)
class WireFaults:
    """How often each fault strikes, in percent of requests, and how slow the slow ones are."""

    reads: Mapping[Fault, float]
    """Shares for requests that change nothing (reads, sign-in, QuickBooks queries)."""
    changes: Mapping[Fault, float]
    """Shares for requests that change Procore: where a lost answer matters."""
    drip_every_s: float = 0.1
    """A drip sends a few bytes this often: well under any per-read timeout."""
    drip_for_s: float = 2.0
    """…for this long, then the rest at once: past a whole-request deadline shorter than this."""
    silence_for_s: float = 10.0
    """A silent answer ends (the connection closes) after this long if the client still waits."""

    def draw(self, rng: random.Random, changes: bool) -> Fault:
        roll = rng.uniform(0, 100)
        for fault, share in (self.changes if changes else self.reads).items():
            if roll < share:
                return fault
            roll -= share
        return Fault.NONE


@dataclass
class WireLog:
    """What the proxies did, summed over every proxy that shares it."""

    faults: Counter[Fault] = field(default_factory=Counter)
    requests: int = 0
    lost_change_answers: list[str] = field(default_factory=list)
    """'METHOD path' of each change the sandbox accepted (2xx) whose answer the client never
    got intact: the case a client must settle by reading back."""
    kills: list[str] = field(default_factory=list)
    """'when METHOD path' of each kill."""


_REASONS = {502: "Bad Gateway", 503: "Service Unavailable"}


def _gateway_page(status: int) -> bytes:
    body = (
        f"<html><head><title>{status} {_REASONS[status]}</title></head><body>"
        f"<center><h1>{status} {_REASONS[status]}</h1></center><hr><center>nginx</center>"
        "</body></html>\n"
    ).encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: text/html\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


@dataclass
class _Request:
    method: str
    path: str
    raw: bytes
    """The request as it goes upstream, asking for the connection to close after the answer."""


@dataclass
class _Answer:
    head: list[bytes]
    """Status line and header lines, without the framing headers (Connection, Content-Length)."""
    body: bytes
    status: int

    def encode(self, body: bytes | None = None, length: int | None = None) -> bytes:
        body = self.body if body is None else body
        lines = [*self.head, f"Content-Length: {len(body) if length is None else length}".encode()]
        return b"\r\n".join(lines) + b"\r\n\r\n" + body


class FaultProxy:
    def __init__(
        self,
        upstream: tuple[str, int],
        faults: WireFaults,
        rng: random.Random,
        log: WireLog,
        *,
        kill: KillPlan | None = None,
        on_kill: Callable[[], None] | None = None,
        blackout_after_change: bool = False,
    ) -> None:
        """`blackout_after_change`: once a change is applied, its answer and every request after
        it are dropped, so the client can neither hear the result nor read it back."""
        self.upstream = upstream
        self.faults = faults
        self.rng = rng
        self.log = log
        self.kill = kill
        self.on_kill = on_kill
        self.killed = False
        self.blackout_after_change = blackout_after_change
        self.blacked_out = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._requests = 0
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
        # Closing each connection ends its task (its reads see the end), with no cancellation.
        for writer in list(self._connections.values()):
            writer.close()
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=5)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            while not self.killed:
                request = await _read_request(reader)
                if request is None:
                    return
                if not await self._one(request, reader, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one(
        self, request: _Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Pass one request on, or not, and answer it, or not; False closes the connection."""
        self._requests += 1
        self.log.requests += 1
        changes = request.method in CHANGE_METHODS and request.path.startswith("/rest/")
        fault = Fault.DROP_BEFORE if self.blacked_out else self.faults.draw(self.rng, changes)
        kill_now = self.kill is not None and self.kill.matches(self._requests, changes)
        if kill_now and self.kill is not None and self.kill.when is Kill.BEFORE_FORWARDING:
            self._kill(request)
            return False
        if self.killed:
            return False
        self.log.faults[fault] += 1
        if fault is Fault.DROP_BEFORE:
            return False
        if fault is Fault.UNAVAILABLE:
            writer.write(_gateway_page(503))
            await writer.drain()
            return True
        answer = await self._forward(request)
        if kill_now:
            self._kill(request)
            return False
        if changes and self.blackout_after_change and 200 <= answer.status < 300:
            self.blacked_out = True
            self.log.faults[fault] -= 1
            fault = Fault.DROP_AFTER
            self.log.faults[fault] += 1
        if changes and fault in ANSWER_LOST and 200 <= answer.status < 300:
            self.log.lost_change_answers.append(f"{request.method} {request.path}")
        return await self._deliver(fault, answer, reader, writer)

    def _kill(self, request: _Request) -> None:
        assert self.kill is not None and self.on_kill is not None
        self.killed = True
        self.log.kills.append(f"{self.kill.when} {request.method} {request.path}")
        self.on_kill()

    async def _forward(self, request: _Request) -> _Answer:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        try:
            up_writer.write(request.raw)
            await up_writer.drain()
            raw = await up_reader.read()  # to the end: the request asked to close
        finally:
            up_writer.close()
            with contextlib.suppress(Exception):
                await up_writer.wait_closed()
        return _parse_answer(raw)

    async def _deliver(
        self,
        fault: Fault,
        answer: _Answer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        if fault is Fault.DROP_AFTER:
            return False
        if fault is Fault.SILENCE:
            # Nothing comes back: wait for the client to give up (it closes), or end it anyway.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reader.read(1), self.faults.silence_for_s)
            return False
        if fault is Fault.BAD_GATEWAY:
            writer.write(_gateway_page(502))
            await writer.drain()
            return True
        body = answer.body
        if fault is Fault.TRUNCATED and body:
            writer.write(answer.encode(body[: len(body) // 2], length=len(body)))
            await writer.drain()
            return False
        if fault is Fault.CORRUPTED and body:
            damaged = bytearray(body)
            for _ in range(max(1, len(damaged) // 50)):
                damaged[self.rng.randrange(len(damaged))] = 0xFF
            body = bytes(damaged)
        if fault is Fault.FALSE_GZIP:
            answer.head.append(b"Content-Encoding: gzip")
        if fault is Fault.DRIP:
            await self._drip(answer.encode(body), writer)
            return True
        writer.write(answer.encode(body))
        await writer.drain()
        return True

    async def _drip(self, data: bytes, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        ends = loop.time() + self.faults.drip_for_s
        position = 0
        while position < len(data) and loop.time() < ends:
            writer.write(data[position : position + 4])
            await writer.drain()
            position += 4
            await asyncio.sleep(self.faults.drip_every_s)
        writer.write(data[position:])
        await writer.drain()


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # the client closed its connection between requests
    lines = head[:-4].split(b"\r\n")
    method, path, _ = lines[0].decode("latin-1").split(" ", 2)
    headers: list[bytes] = []
    length = 0
    for line in lines[1:]:
        name = line.split(b":", 1)[0].strip().lower()
        if name == b"content-length":
            length = int(line.split(b":", 1)[1])
        elif name == b"transfer-encoding":
            raise AssertionError("the fault proxy reads Content-Length bodies only")
        if name != b"connection":
            headers.append(line)
    body = await reader.readexactly(length) if length else b""
    raw = b"\r\n".join([lines[0], *headers, b"Connection: close"]) + b"\r\n\r\n" + body
    return _Request(method, path, raw)


def _parse_answer(raw: bytes) -> _Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    kept = [lines[0]]
    length: int | None = None
    for line in lines[1:]:
        name = line.split(b":", 1)[0].strip().lower()
        if name == b"content-length":
            length = int(line.split(b":", 1)[1])
        elif name == b"transfer-encoding":
            raise AssertionError("the sandbox answered chunked; the fault proxy expects a length")
        elif name != b"connection":
            kept.append(line)
    return _Answer(kept, body if length is None else body[:length], status)
