"""The queue between cco-unlink and the Web Connector, and the Web Connector's sessions.

A request from cco-unlink waits, in arrival order, until the Web Connector polls and takes it;
QuickBooks' answer then goes back to whoever asked. Each request is handed to QuickBooks at most
once: nothing here ever sends a request again, whatever happens to its answer. Everything runs on
the server's one event loop, so no lock is needed.

The Web Connector's side follows its protocol (docs/quickbooks-connector.md): authenticate returns
[ticket, "nvu" | "none" | "" | company file]; sendRequestXML hands over one qbXML document or ""
on error; receiveResponseXML returns the percentage done, or -1 on error; getLastError explains.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from connector import journal as events
from connector import qbxml
from connector.config import ConnectorConfig
from connector.journal import Journal

log = logging.getLogger(__name__)

NOT_VALID_USER = "nvu"
NO_WORK = "none"
OPEN_COMPANY_FILE = ""
STOP = "done"
SESSIONS_KEPT_S = 3600.0

# Web Connector HRESULTs with a meaning of their own (docs/quickbooks-connector.md).
CLOSED_HRESULT = "0x80040408"
BUSY_HRESULT = "0x80040401"
DENIED_HRESULT = "0x80040420"
_CONNECTION_ERRORS = {
    CLOSED_HRESULT: "QuickBooks Desktop is not running or the company file cannot be opened "
    "(Could not start QuickBooks).",
    BUSY_HRESULT: "QuickBooks Desktop is busy (could not access QuickBooks): a window open in "
    "QuickBooks or another user may be holding the company file.",
    DENIED_HRESULT: "QuickBooks Desktop refused this application access to the company file: "
    "allow it under Edit > Preferences > Integrated Applications.",
}


@dataclass(frozen=True)
class Answer:
    """What cco-unlink is told: 200 with QuickBooks' qbXML, or a status with a JSON error."""

    status: int
    body: bytes = b""
    error: str = ""
    hresult: str | None = None


class State(enum.Enum):
    QUEUED = "queued"
    SENT = "sent"
    SETTLED = "settled"
    ABANDONED = "abandoned"
    """Handed to QuickBooks, but its client was told 'unknown' and is gone."""


class Job:
    def __init__(self, document: bytes, kinds: tuple[str, ...]) -> None:
        self.id = uuid.uuid4().hex
        self.document = document
        self.kinds = kinds
        self.state = State.QUEUED
        self.moved = asyncio.Event()
        """Set when the job leaves the queue: taken by the Web Connector or settled."""
        self.answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()

    def settle(self, answer: Answer) -> None:
        if self.state in (State.QUEUED, State.SENT):
            self.state = State.SETTLED
            self.answer.set_result(answer)
        self.moved.set()


@dataclass
class Session:
    ticket: str
    last_seen: float
    job: Job | None = None
    last_error: str = ""
    done: int = 0


@dataclass
class Broker:
    config: ConnectorConfig
    journal: Journal
    clock: Callable[[], float] = time.time
    queue: deque[Job] = field(default_factory=deque)
    sessions: dict[str, Session] = field(default_factory=dict)
    last_poll: float | None = None
    started_at: float = 0.0
    orphans: list[str] = field(default_factory=list)
    """Requests a previous run left with QuickBooks: settled as unknown at start, never resent."""

    def __post_init__(self) -> None:
        self.started_at = self.clock()
        self.version = qbxml.parse_version(self.config.qbxml_version)
        self.orphans = self.journal.settle_orphans()

    # cco-unlink's side --------------------------------------------------------------------

    async def ask(self, document: bytes, kinds: tuple[str, ...]) -> Answer:
        """Queue a request, wait for the Web Connector to take it and QuickBooks to answer."""
        job = Job(document, kinds)
        self.queue.append(job)
        try:
            try:
                await asyncio.wait_for(job.moved.wait(), self.config.poll_wait_seconds)
            except TimeoutError:
                if job.state is State.QUEUED:
                    self.queue.remove(job)
                    log.warning("Request %s waited in vain: %s", job.id, self.not_polled())
                    return Answer(504, error=self.not_polled())
            try:
                return await asyncio.wait_for(
                    asyncio.shield(job.answer), self.config.answer_wait_seconds
                )
            except TimeoutError:
                reason = (
                    f"QuickBooks Desktop took the request but has not answered within "
                    f"{self.config.answer_wait_seconds:g} s: whether it was applied is unknown."
                )
                self._abandon(job, reason)
                return Answer(504, error=reason)
        except asyncio.CancelledError:
            self._abandon(job, "the client went away before QuickBooks answered")
            raise

    def not_polled(self) -> str:
        now = self.clock()
        if self.last_poll is None:
            return (
                f"The QuickBooks Web Connector has not polled since the connector started "
                f"{now - self.started_at:.0f} s ago (at {_clock_text(self.started_at)}): is it "
                "running on the QuickBooks machine, with this connector's .qwc file added?"
            )
        return (
            f"The QuickBooks Web Connector has not polled for {now - self.last_poll:.0f} s "
            f"(last poll at {_clock_text(self.last_poll)}): is it still running, with auto-run on?"
        )

    def _abandon(self, job: Job, reason: str) -> None:
        if job.state is State.QUEUED:
            self.queue.remove(job)
            job.state = State.ABANDONED
        elif job.state is State.SENT:
            job.state = State.ABANDONED
            self.journal.write(events.UNKNOWN, job.id, reason=reason)
            log.warning("Request %s: %s", job.id, reason)

    # The Web Connector's side ---------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> list[str]:
        now = self.clock()
        self.last_poll = now
        self._forget_idle_sessions(now)
        user_ok = hmac.compare_digest(username.encode(), self.config.username.encode())
        if not (self.config.credentials.password_ok(password) and user_ok):
            log.warning("The Web Connector signed in with a wrong user name or password")
            return ["", NOT_VALID_USER]
        ticket = str(uuid.uuid4())
        if not self.queue:
            return [ticket, NO_WORK]
        self.sessions[ticket] = Session(ticket, now)
        return [ticket, self.config.company_file or OPEN_COMPANY_FILE]

    def send_request(self, ticket: str, company_file: str, major: int, minor: int) -> str:
        session = self._session(ticket)
        if session is None:
            return ""
        if (major, minor) > (0, 0) and (major, minor) < self.version:
            log.info(
                "QuickBooks speaks qbXML %s.%s: requests are sent as that version", major, minor
            )
            self.version = (major, minor)
        expected = self.config.company_file
        if expected and company_file and not _same_file(expected, company_file):
            message = (
                f"QuickBooks Desktop has the company file {company_file} open, not {expected} "
                "(the connector's [connector] company_file)."
            )
            self._fail_queue(Answer(503, error=message))
            session.last_error = message
            return ""
        if not self.queue:
            session.last_error = "No request is waiting any more: its client stopped waiting."
            return ""
        job = self.queue.popleft()
        job.state = State.SENT
        session.job = job
        self.journal.write(events.SENT, job.id, kinds=" ".join(job.kinds))
        job.moved.set()
        return qbxml.at_most_version(job.document, self.version).decode("utf-8")

    def receive_response(self, ticket: str, response: str, hresult: str, message: str) -> int:
        session = self._session(ticket)
        if session is None:
            self.journal.write(
                events.LATE_ANSWER,
                "",
                reason="an answer for a session this connector does not know (it restarted?); "
                "not applied, nothing sent again",
                statuses=qbxml.status_summary(response.encode("utf-8")) if response else [],
            )
            return -1
        job, session.job = session.job, None
        if job is None:
            session.last_error = "The connector had no request out in this session."
            return -1
        failed = not response and bool(hresult)
        if failed:
            status = 400 if hresult.lower() == qbxml.PARSE_HRESULT else 503
            answer = Answer(
                status,
                error=f"QuickBooks Desktop could not process the request: {message}",
                hresult=hresult,
            )
            outcome = events.FAILED
            details: dict[str, object] = {"hresult": hresult, "message": message}
        else:
            body = qbxml.response_bytes(response)
            answer = Answer(200, body=body)
            outcome, details = events.ANSWERED, {"statuses": qbxml.status_summary(body)}
        if job.state is State.ABANDONED:
            self.journal.write(
                events.LATE_ANSWER,
                job.id,
                reason="QuickBooks answered after the client stopped waiting: recorded, not "
                "applied again",
                **details,
            )
            log.warning("Request %s answered after its client gave up", job.id)
        else:
            self.journal.write(outcome, job.id, **details)
            job.settle(answer)
        if failed:
            session.last_error = f"QuickBooks Desktop could not process a request: {message}"
            return -1
        session.done += 1
        if not self.queue:
            return 100
        return min(99, 100 * session.done // (session.done + len(self.queue)))

    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        reason = _CONNECTION_ERRORS.get(
            hresult.lower(), f"The Web Connector could not open QuickBooks Desktop: {message}"
        )
        log.warning("The Web Connector could not reach QuickBooks (%s): %s", hresult, message)
        answer = Answer(503, error=reason, hresult=hresult or None)
        session = self._session(ticket)
        if session is not None:
            session.last_error = reason
            job, session.job = session.job, None
            if job is not None and job.state is State.SENT:
                # QuickBooks could not be opened, so it never processed the request.
                self.journal.write(events.FAILED, job.id, hresult=hresult, message=message)
                job.settle(answer)
        self._fail_queue(answer)
        return STOP

    def last_error(self, ticket: str) -> str:
        session = self._session(ticket)
        if session is None:
            return (
                "The connector does not know this session (it may have restarted): nothing was "
                "sent twice; the next update starts afresh."
            )
        return session.last_error or "No error."

    def close(self, ticket: str) -> str:
        session = self.sessions.pop(ticket, None)
        if session is not None and session.job is not None:
            job = session.job
            reason = "the Web Connector ended the session before QuickBooks answered"
            if job.state is State.SENT:
                self.journal.write(events.UNKNOWN, job.id, reason=reason)
                job.settle(Answer(504, error=f"Unknown outcome: {reason}."))
        return "OK"

    def _session(self, ticket: str) -> Session | None:
        self.last_poll = now = self.clock()
        session = self.sessions.get(ticket)
        if session is not None:
            session.last_seen = now
        return session

    def _fail_queue(self, answer: Answer) -> None:
        while self.queue:
            self.queue.popleft().settle(answer)

    def _forget_idle_sessions(self, now: float) -> None:
        for ticket, session in list(self.sessions.items()):
            if now - session.last_seen > SESSIONS_KEPT_S:
                self.close(ticket)


def _same_file(expected: str, reported: str) -> bool:
    """Windows paths: case and slash direction do not matter."""
    return expected.replace("/", "\\").casefold() == reported.replace("/", "\\").casefold()


def _clock_text(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
