"""The connector's journal: each request handed to QuickBooks, and what became of it.

One JSON line per event, appended with one write and fsynced, file mode 0600. A request is marked
`sent` before the Web Connector gets it, so a connector that stops (or is killed) while a request
is out leaves a `sent` line without an outcome: the next start records it as unknown and never
sends it again. Answers that come back late, for a request the client gave up on or that a
restart orphaned, are recorded and not applied a second time.

The journal holds request kinds and identifiers, never qbXML bodies, passwords or tokens.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SENT = "sent"
ANSWERED = "answered"
FAILED = "failed"
UNKNOWN = "unknown"
LATE_ANSWER = "late-answer"


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, event: str, job_id: str, **details: Any) -> None:
        record = {"time": now_text(), "event": event, "job": job_id, **details}
        data = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def records(self) -> Iterator[dict[str, Any]]:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            for raw in handle:
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue  # a line torn by a crash: the rest still count
                if isinstance(record, dict) and isinstance(record.get("job"), str):
                    yield record

    def settle_orphans(self) -> list[str]:
        """Mark every request left `sent` by a previous run as unknown; returns their ids."""
        open_jobs: dict[str, dict[str, Any]] = {}
        for record in self.records():
            if record.get("event") == SENT:
                open_jobs[record["job"]] = record
            elif record.get("event") in (ANSWERED, FAILED, UNKNOWN):
                open_jobs.pop(record["job"], None)
        for job_id, record in open_jobs.items():
            log.warning(
                "Request %s (%s) was with QuickBooks when the connector stopped: its outcome is "
                "unknown and it will not be sent again",
                job_id,
                record.get("kinds", ""),
            )
            self.write(UNKNOWN, job_id, reason="the connector stopped while QuickBooks had it")
        return list(open_jobs)
