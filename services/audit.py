"""The audit log: one JSON line per unlink attempt, on disk before the outcome is shown.

Each record is written with a single append and fsynced, so a crash leaves at most one torn last
line; the reader reports such a line and goes on with the rest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


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

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class DamagedLine:
    line_number: int
    problem: str


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, record: AuditRecord) -> None:
        line = json.dumps(asdict(record), ensure_ascii=False, separators=(",", ":")) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            data = line.encode("utf-8")
            if _ends_torn(descriptor):
                # A crash cut the last record short: start on a line of our own, so that only
                # the torn record is damaged and not this one with it.
                data = b"\n" + data
            # One write with O_APPEND: records from several processes never interleave.
            os.write(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

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


_FIELDS = tuple(AuditRecord.__dataclass_fields__)


def _ends_torn(descriptor: int) -> bool:
    size = os.fstat(descriptor).st_size
    return size > 0 and os.pread(descriptor, 1, size - 1) != b"\n"


def _parse(raw: bytes, number: int) -> AuditRecord | DamagedLine:
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return DamagedLine(number, "not a complete JSON record (cut short or damaged)")
    if not isinstance(data, dict) or set(data) != set(_FIELDS):
        return DamagedLine(number, "not an audit record")
    record = AuditRecord(**data)
    for name, kind in _FIELD_TYPES.items():
        value = getattr(record, name)
        if isinstance(value, bool) or not isinstance(value, kind):
            return DamagedLine(number, f"an audit record whose '{name}' is of the wrong type")
    return record


_FIELD_TYPES: dict[str, type] = {
    name: int if name in ("company_id", "project_id", "cco_id") else str for name in _FIELDS
}
