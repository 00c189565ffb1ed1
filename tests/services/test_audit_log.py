"""The audit log survives company: damaged lines in the middle are named and the rest shown, and
several processes appending at once never mix their lines."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from cco_unlink.headless import show_audit
from services.audit import Action, AuditLog, AuditRecord, DamagedLine, Subject, Who
from services.errors import AuditUnwritableError
from tests.conftest import REPO_ROOT


def _record(cco_id: int, message: str = "ok") -> AuditRecord:
    return AuditRecord(AuditRecord.now(), "admin", 1, 2, cco_id, "001", "", "unlinked", message)


def test_damaged_lines_in_the_middle_are_named_and_every_other_line_shown(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.append(_record(1))
    with path.open("ab") as handle:
        handle.write(b"[" * 100_000 + b"\n")  # nested past Python's recursion limit
        handle.write(json.dumps({**asdict(_record(9)), "message": "\ud800"}).encode() + b"\n")
        handle.write(json.dumps({**asdict(_record(9)), "cco_id": 1e400}).encode() + b"\n")
        handle.write(json.dumps({**asdict(_record(9)), "phase": "halfway"}).encode() + b"\n")
    log.append(_record(2, "Procore said: \x1b[2Jcleared"))
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.StringIO()

    status = show_audit(path, False, out, err)

    out.flush()
    shown = out.buffer.getvalue().decode()  # type: ignore[attr-defined]
    assert status == 0
    assert [line.split("(id ")[1][0] for line in shown.splitlines()] == ["1", "2"]
    assert "\x1b" not in shown  # a reply's escape sequence does not reach the terminal
    named = err.getvalue().splitlines()
    assert [line.split(" line ")[1].split(":")[0] for line in named] == ["2", "3", "4", "5"]
    entries = list(log.read())
    assert [e.line_number for e in entries if isinstance(e, DamagedLine)] == [2, 3, 4, 5]


WRITER = """
import sys
from pathlib import Path
from services.audit import AuditLog, AuditRecord
log = AuditLog(Path(sys.argv[1]))
writer = int(sys.argv[2])
for n in range(150):
    log.append(AuditRecord(AuditRecord.now(), f"writer{writer}", 1, 2, writer * 1000 + n, "x" * 500,
                           "", "unlinked", "m" * 2000))
"""


def test_processes_appending_at_once_never_mix_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(n)], cwd=REPO_ROOT)
        for n in range(4)
    ]
    for writer in writers:
        assert writer.wait(timeout=60) == 0

    entries = list(AuditLog(path).read())

    assert all(isinstance(e, AuditRecord) for e in entries)
    ids = sorted(e.cco_id for e in entries if isinstance(e, AuditRecord))
    assert ids == sorted(w * 1000 + n for w in range(4) for n in range(150))


def test_an_attempt_under_way_is_not_settled_by_another_log_object_of_this_process(
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.jsonl"
    who, subject = Who("admin", 7), Subject(1, 2, 3, "001")
    with AuditLog(path).attempt(Action.UNLINK, who, subject, "under-way"):
        # Another command in this process (a second Backend) reads the same file meanwhile.
        assert AuditLog(path).unsettled() == []
    [cut_short] = AuditLog(path).unsettled()  # left without an end: now it is cut short
    assert cut_short.attempt == "under-way"


def test_an_attempt_whose_end_is_not_confirmed_stays_open_until_read_back(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    who, subject = Who("admin", 7), Subject(1, 2, 3, "001")
    with log.attempt(Action.UNLINK, who, subject, "sent-no-answer") as attempt:
        attempt.settle("outcome_unknown", "sent, not confirmed", confirmed=False)
    with log.attempt(Action.UNLINK, who, subject, "answered") as attempt:
        attempt.settle("unlinked", "Successfully Unlinked")

    [still_open] = log.unsettled()

    assert still_open.attempt == "sent-no-answer" and still_open.started
    log.settle_later(still_open, "unlinked", "unlinked, confirmed later")
    assert log.unsettled() == []


def test_an_end_that_cannot_be_written_is_said_and_the_attempt_stays_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    with log.attempt(Action.UNLINK, Who("admin", 7), Subject(1, 2, 3, "001"), "sent") as attempt:

        def full_disk(record: AuditRecord) -> None:
            raise AuditUnwritableError(str(log.path), "No space left on device")

        monkeypatch.setattr(log, "append", full_disk)
        problem = attempt.settle("unlinked", "Successfully Unlinked")
        monkeypatch.undo()

    assert "could not be written to the audit log" in problem and not attempt.settled
    assert [record.attempt for record in log.unsettled()] == ["sent"]
