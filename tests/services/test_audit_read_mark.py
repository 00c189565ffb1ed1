"""The open attempts are found without reading the whole audit log at each start: a mark left by
the last read names the started lines still open and where the read stopped, and the next read
takes those and what follows, finding exactly what a whole read finds."""

from __future__ import annotations

import json
import os
import random
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from services import audit, audit_mark
from services.audit import AuditLog, AuditRecord, Phase


def _started(key: str, cco_id: int = 1, company_id: int = 1) -> AuditRecord:
    return AuditRecord(
        time=AuditRecord.now(),
        user="admin",
        company_id=company_id,
        project_id=2,
        cco_id=cco_id,
        cco_number="001",
        evidence="",
        outcome="",
        message="",
        phase=Phase.STARTED.value,
        attempt=key,
        user_id=7,
        pid=0,  # no live process: each open attempt is one to settle
        host="another-host",
    )


def _ended(started: AuditRecord, *, confirmed: bool = True) -> AuditRecord:
    return replace(started, phase=Phase.ENDED.value, outcome="unlinked", confirmed=confirmed)


def _whole_read(log: AuditLog, company_id: int | None = None) -> list[AuditRecord]:
    """The open attempts as reading every line finds them: what the mark must not change."""
    open_attempts: dict[str, AuditRecord] = {}
    for entry in log.read():
        if isinstance(entry, AuditRecord) and entry.attempt:
            if entry.started:
                open_attempts[entry.attempt] = entry
            elif entry.confirmed:
                open_attempts.pop(entry.attempt, None)
    return [r for r in open_attempts.values() if company_id is None or r.company_id == company_id]


def _counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    parsed: list[bytes] = []
    real = audit._parse

    def counting(raw: bytes, number: int) -> object:
        parsed.append(raw)
        return real(raw, number)

    monkeypatch.setattr(audit, "_parse", counting)
    return parsed


def test_a_later_read_takes_only_the_open_lines_and_what_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    still_open = _started("open-one")
    log.append(still_open)
    for n in range(500):  # a long-lived log: every other attempt has ended
        log.append(_started(f"done-{n}"))
        log.append(_ended(_started(f"done-{n}")))
    assert log.unsettled() == [still_open]
    parsed = _counting_parses(monkeypatch)
    log.append(_started("new-one"))

    assert [r.attempt for r in log.unsettled()] == ["open-one", "new-one"]

    assert len(parsed) == 2  # the open started line, and the one line added since
    log.append(_ended(still_open))
    parsed.clear()
    assert [r.attempt for r in log.unsettled()] == ["new-one"]
    assert len(parsed) == 3  # the two open lines, and the end added since


def test_an_end_written_unconfirmed_keeps_the_attempt_open_across_reads(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    started = _started("unknown")
    log.append(started)
    log.append(_ended(started, confirmed=False))
    assert log.unsettled() == [started]
    assert log.unsettled() == [started]
    log.settle_later(started, "unlinked", "confirmed later")
    assert log.unsettled() == []
    assert log.unsettled() == []


def test_a_last_line_cut_short_is_read_again_once_whole(tmp_path: Path) -> None:
    """A kill mid-write leaves a line without its end; the next record starts on a line of its
    own. A line being written by another process looks the same to a reader meanwhile."""
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    first = _started("first")
    log.append(first)
    assert log.unsettled() == [first]
    with path.open("ab") as handle:
        handle.write(b'{"time": "2026-')  # cut short
    assert log.unsettled() == [first] == _whole_read(log)
    second = _started("second")
    log.append(second)
    assert log.unsettled() == [first, second] == _whole_read(log)
    # A whole record whose newline never came is taken now, and read again from its start.
    with path.open("ab") as handle:
        handle.write(json.dumps(asdict(_started("third"))).encode())
    assert [r.attempt for r in log.unsettled()] == ["first", "second", "third"]
    log.append(_ended(second))
    assert (
        [r.attempt for r in log.unsettled()]
        == ["first", "third"]
        == [r.attempt for r in _whole_read(log)]
    )


@pytest.mark.parametrize("change", ["replaced", "cut shorter", "rewritten", "mark damaged"])
def test_a_mark_that_does_not_fit_the_log_is_ignored_and_the_log_read_whole(
    tmp_path: Path, change: str
) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for n in range(20):
        log.append(_started(f"a-{n}"))
        if n % 3:
            log.append(_ended(_started(f"a-{n}")))
    assert log.unsettled() == _whole_read(log)
    mark = audit_mark.mark_path(path)
    assert mark.exists() and mark.stat().st_mode & 0o777 == 0o600  # the case met
    lines = path.read_bytes().splitlines(keepends=True)
    if change == "replaced":  # another log at the same path (moved away, restored from backup)
        fresh = tmp_path / "other.jsonl"
        fresh.write_bytes(b"".join(lines[:5]) + json.dumps(asdict(_started("x"))).encode() + b"\n")
        os.replace(fresh, path)
    elif change == "cut shorter":
        with path.open("r+b") as handle:
            handle.truncate(len(b"".join(lines[:7])))
    elif change == "rewritten":  # same file, same size, other lines at the mark
        with path.open("r+b") as handle:
            handle.write(b"".join(reversed(lines)))
    else:
        mark.write_bytes(b'{"device": "?"')

    assert log.unsettled() == _whole_read(log)


def test_many_reads_between_random_writes_find_what_a_whole_read_finds(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    chance = random.Random(20261130)
    started: list[AuditRecord] = []
    for step in range(150):
        roll = chance.random()
        if roll < 0.35 or not started:
            record = _started(f"k{step}", cco_id=step, company_id=chance.choice([1, 2]))
            started.append(record)
            log.append(record)
        elif roll < 0.6:
            log.append(_ended(chance.choice(started), confirmed=chance.random() < 0.7))
        elif roll < 0.7:
            log.append(
                replace(_started(""), phase=Phase.ENDED.value)
            )  # an attempt that sent nothing
        elif roll < 0.75:
            with path.open("ab") as handle:
                handle.write(b"not json at all\n")
        elif roll < 0.8:
            with path.open("ab") as handle:  # a line cut short by a kill
                handle.write(b'{"phase": "sta')
        for company in (None, 1, 2):
            assert log.unsettled(company) == _whole_read(log, company), step
