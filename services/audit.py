"""The audit log: a JSON line for every attempt, on disk before the change it records goes out.

A change to Procore or QuickBooks is recorded in two phases. `AuditLog.attempt` writes a "started"
line (who, what, the request's idempotency key) and fsyncs it before the caller sends anything;
`Attempt.settle` writes the "ended" line with the outcome. A crash, a kill -9, a cancellation or
an exception in between leaves a started line with no end: `unsettled()` finds it, and the next
run reads the truth back from Procore and settles it (services/settle.py). An attempt that changed
nothing (refused before sending) is a single "ended" line.

Each record is written with a single append and fsynced, so a crash leaves at most one torn last
line and two processes writing at once never interleave; the reader names a damaged line and goes
on with the rest.
"""

from __future__ import annotations

import contextlib
import enum
import json
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import MISSING, asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, get_type_hints

from services import audit_mark, messages
from services.errors import AuditUnwritableError

log = logging.getLogger(__name__)


class Action(enum.StrEnum):
    """What a started attempt may change; services/settle.py knows how to read each one back."""

    UNLINK = "unlink"
    """Clear a CCO's QuickBooks link in Procore."""
    QUICKBOOKS_DELETE = "quickbooks_delete"
    """Delete a CCO's lines from its purchase order in QuickBooks (sandbox only)."""
    PROCORE_DELETE = "procore_delete"
    """Delete a CCO in Procore."""


class QuickBooksDeleted(enum.StrEnum):
    """The outcomes of a QUICKBOOKS_DELETE attempt (an unlink's are OutcomeKind values)."""

    YES = "deleted_in_quickbooks"
    ALREADY_GONE = "already_gone_from_quickbooks"
    FAILED = "not_deleted_in_quickbooks"


class Phase(enum.StrEnum):
    STARTED = "started"
    """Written and fsynced before the change is sent; its outcome is not known yet."""
    ENDED = "ended"
    """The outcome of an attempt, started or not."""


@dataclass(frozen=True)
class Who:
    """The person (or service account) acting, as Procore named them."""

    login: str
    id: int


@dataclass(frozen=True)
class Subject:
    """The CCO an attempt is about."""

    company_id: int
    project_id: int
    cco_id: int
    cco_number: str


@dataclass(frozen=True)
class AuditRecord:
    time: str
    user: str
    company_id: int
    project_id: int
    cco_id: int
    cco_number: str
    evidence: str
    outcome: str
    message: str
    action: str = Action.UNLINK.value
    phase: str = Phase.ENDED.value
    attempt: str = ""
    """The attempt's key (the idempotency key sent with its request): joins its two lines."""
    user_id: int = 0
    pid: int = 0
    """The process that started the attempt, so a live one is not settled by another."""
    host: str = ""
    settled_later: bool = False
    """True on an ended line written by a later run that read the outcome back."""
    confirmed: bool = True
    """False on an ended line whose outcome is not known (sent, no answer, nothing read back):
    the attempt stays open, and a later run reads it back and settles it."""

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

    @property
    def started(self) -> bool:
        return self.phase == Phase.STARTED.value


@dataclass(frozen=True)
class DamagedLine:
    line_number: int
    problem: str


@dataclass
class Attempt:
    """A change about to be sent: its started line is on disk; settle() writes its end."""

    log: AuditLog
    record: AuditRecord
    settled: bool = field(default=False)

    def settle(
        self, outcome: str, message: str, evidence: str | None = None, *, confirmed: bool = True
    ) -> str:
        """Write the outcome; `confirmed=False` when it is not known, which leaves the attempt
        for a later run to read back. Returns "" or, when the line cannot be written, what to
        tell the person: the change went out all the same, and its started line stands for a
        later run to read back and settle."""
        ended = replace(
            self.record,
            time=AuditRecord.now(),
            phase=Phase.ENDED.value,
            outcome=outcome,
            message=message,
            evidence=self.record.evidence if evidence is None else evidence,
            confirmed=confirmed,
        )
        problem = self.log.append_or_say(ended)
        self.settled = not problem
        return problem


_HOST = socket.gethostname()
_IN_FLIGHT: set[str] = set()
"""Keys of this process's attempts still under way, whichever AuditLog object began them (two
commands run in one process share the file): not for unsettled() to settle."""


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def check_writable(self) -> None:
        """Refuse, with the reason, when no line could be added: before any change is sent."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
        except OSError as error:
            raise AuditUnwritableError(str(self.path), error.strerror or str(error)) from None

    def record(
        self,
        action: Action,
        who: Who,
        subject: Subject,
        outcome: str,
        message: str,
        evidence: str = "",
    ) -> str:
        """One line for an attempt that sent nothing (refused, or stopped before the change).
        Returns "" or, when the line cannot be written, what to tell the person."""
        record = _new(action, who, subject, Phase.ENDED, "", outcome, message, evidence)
        return self.append_or_say(record)

    @contextlib.contextmanager
    def attempt(
        self, action: Action, who: Who, subject: Subject, key: str, evidence: str = ""
    ) -> Iterator[Attempt]:
        """Write and fsync the started line, then hand the attempt to the caller, who sends the
        change and settles it. Raises AuditUnwritableError before anything is sent. Leaving the
        block unsettled (an exception, a cancellation) leaves the attempt for unsettled()."""
        if not who.login or not who.id:
            raise AuditUnwritableError(str(self.path), "who is acting is not known")
        started = _new(action, who, subject, Phase.STARTED, key, "", "", evidence)
        self.append(started)
        _IN_FLIGHT.add(key)
        try:
            yield Attempt(self, started)
        finally:
            _IN_FLIGHT.discard(key)

    def append(self, record: AuditRecord) -> None:
        """Add one line, fsynced. Raises AuditUnwritableError."""
        line = json.dumps(asdict(record), ensure_ascii=False, separators=(",", ":")) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as error:
            raise AuditUnwritableError(str(self.path), error.strerror or str(error)) from None
        try:
            data = line.encode("utf-8")
            if _ends_torn(descriptor):
                # A crash cut the last record short: start on a line of our own, so that only
                # the torn record is damaged and not this one with it.
                data = b"\n" + data
            # One write with O_APPEND: records from several processes never interleave.
            os.write(descriptor, data)
            os.fsync(descriptor)
        except OSError as error:
            raise AuditUnwritableError(str(self.path), error.strerror or str(error)) from None
        finally:
            os.close(descriptor)

    def append_or_say(self, record: AuditRecord) -> str:
        """Add one line; never raises. Returns "" or, when it cannot be written, what to tell
        the person (the log has the reason): the one way every writer reports it."""
        try:
            self.append(record)
        except AuditUnwritableError as error:
            log.error("audit log could not be written: %s", error.message)
            return messages.audit_failed(str(self.path))
        return ""

    def settle_later(self, started: AuditRecord, outcome: str, message: str) -> AuditRecord:
        """Write the end of an attempt a stopped process left open, as read back now."""
        ended = replace(
            started,
            time=AuditRecord.now(),
            phase=Phase.ENDED.value,
            outcome=outcome,
            message=message,
            settled_later=True,
            confirmed=True,
        )
        self.append(ended)
        return ended

    def read(self) -> Iterator[AuditRecord | DamagedLine]:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                yield _parse(raw, number)

    def unsettled(self, company_id: int | None = None) -> list[AuditRecord]:
        """Started attempts with no known outcome, oldest first, that no live process is still
        making: a crash, a kill or an exception cut them short, or their end says the outcome
        could not be confirmed. Of one company only, when given.

        Reads only what may still be open: the lines a mark left by the last read names, and
        the log after it (services/audit_mark.py); the whole log when there is no usable mark."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return []
        with handle:
            open_attempts = _open_attempts(self.path, handle)
        return [
            record
            for _, record in sorted(open_attempts.values(), key=lambda found: found[0])
            if (company_id is None or record.company_id == company_id)
            and not self._still_running(record)
        ]

    def _still_running(self, record: AuditRecord) -> bool:
        if record.attempt in _IN_FLIGHT:
            return True
        if record.host != _HOST or record.pid == os.getpid():
            # This process's own attempt, not in flight: it was cut short. Another host's
            # process cannot be asked; its request has long ended when the next run reads.
            return False
        return _process_alive(record.pid)


def _new(
    action: Action,
    who: Who,
    subject: Subject,
    phase: Phase,
    key: str,
    outcome: str,
    message: str,
    evidence: str,
) -> AuditRecord:
    return AuditRecord(
        time=AuditRecord.now(),
        user=who.login,
        company_id=subject.company_id,
        project_id=subject.project_id,
        cco_id=subject.cco_id,
        cco_number=subject.cco_number,
        evidence=evidence,
        outcome=outcome,
        message=message,
        action=action.value,
        phase=phase.value,
        attempt=key,
        user_id=who.id,
        pid=os.getpid(),
        host=_HOST,
    )


def _open_attempts(path: Path, handle: BinaryIO) -> dict[str, tuple[int, AuditRecord]]:
    """Each attempt of the log open in `handle` with no confirmed end: its started line's
    offset and record. Leaves a mark so that the next call reads on from here."""
    found: dict[str, tuple[int, AuditRecord]] = {}

    def take(raw: bytes, offset: int) -> None:
        entry = _parse(raw, 0)
        if not isinstance(entry, AuditRecord) or not entry.attempt:
            return
        if entry.started:
            found[entry.attempt] = (offset, entry)
        elif entry.confirmed:
            found.pop(entry.attempt, None)

    mark = audit_mark.load(path, handle)
    read_to = 0
    if mark is not None:
        for offset in mark.open_at:
            handle.seek(offset)
            take(handle.readline(), offset)
        if len(found) == len(mark.open_at):
            read_to = mark.read_to
        else:  # a listed line is not a started one after all: trust nothing of the mark
            found.clear()
            mark = None
    handle.seek(read_to)
    offset = read_to
    for raw in handle:
        if raw.strip():
            take(raw, offset)
        offset += len(raw)
        if raw.endswith(b"\n"):
            # A last line without its end (being written, or cut short by a crash) is read
            # again next time, when it may be whole.
            read_to = offset
    open_at = sorted(at for at, _ in found.values() if at < read_to)
    if mark is None or (mark.read_to, list(mark.open_at)) != (read_to, open_at):
        audit_mark.save(path, handle, read_to, open_at)
    return found


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process holds that id: assume it is still ours to wait for
    return True


_FIELDS = tuple(AuditRecord.__dataclass_fields__)
_REQUIRED = tuple(
    name for name, spec in AuditRecord.__dataclass_fields__.items() if spec.default is MISSING
)
"""The fields every record has held since the first version; later ones have defaults."""
_FIELD_TYPES: dict[str, type] = get_type_hints(AuditRecord)
"""Each field's type as the record declares it (str, int or bool): a line must hold the same."""


def _is_unicode(text: str) -> bool:
    """False for text holding lone surrogates (JSON's \\ud800 escapes): they cannot be printed."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _ends_torn(descriptor: int) -> bool:
    size = os.fstat(descriptor).st_size
    return size > 0 and os.pread(descriptor, 1, size - 1) != b"\n"


def _parse(raw: bytes, number: int) -> AuditRecord | DamagedLine:
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return DamagedLine(number, "not a complete JSON record (cut short or damaged)")
    if not isinstance(data, dict) or not set(_REQUIRED) <= set(data) <= set(_FIELDS):
        return DamagedLine(number, "not an audit record")
    for name, value in data.items():
        kind = _FIELD_TYPES[name]
        if isinstance(value, bool) is not (kind is bool) or not isinstance(value, kind):
            return DamagedLine(number, f"an audit record whose '{name}' is of the wrong type")
        if isinstance(value, str) and not _is_unicode(value):
            return DamagedLine(number, f"an audit record whose '{name}' is not valid text")
    if data.get("phase", Phase.ENDED.value) not in set(Phase):
        return DamagedLine(number, "an audit record of an unknown phase")
    return AuditRecord(**data)
