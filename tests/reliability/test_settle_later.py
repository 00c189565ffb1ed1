"""Every change is accounted for: its attempt is on disk before it goes out, and an attempt a
killed process left open is settled by the next run, from what Procore holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cco_unlink import exit_codes
from sandbox import SandboxServer, inspect
from services.audit import Action, AuditLog, AuditRecord, Subject, Who
from services.backend import Backend, Target
from services.models import OutcomeKind
from tests.conftest import REPO_ROOT
from tests.helpers import demo_cco_id, is_linked
from tests.reliability.test_bad_input import SECRETS, _remote, cco_unlink


def _records(path: Path) -> list[AuditRecord]:
    return [entry for entry in AuditLog(path).read() if isinstance(entry, AuditRecord)]


def _wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("stop", "status"), [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, exit_codes.FAILURE)]
)
def test_a_process_killed_or_interrupted_mid_unlink_is_settled_on_the_next_start(
    sandbox: SandboxServer, sandbox_data: Path, tmp_path: Path, stop: int, status: int
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    project = next(c.project_id for c in inspect.synced_ccos(sandbox_data) if c.id == cco_id)
    audit = tmp_path / "audit.jsonl"
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[audit]\npath = "{audit}"\n')
    # Procore applies the unlink and every answer is lost: the client retries with backoff, so
    # the process is certain to be between its started line and its outcome when it is killed.
    sandbox.faults.drop_after_change_percent = 100
    command = [sys.executable, "-m", "cco_unlink", "--settings", str(settings), *_remote(sandbox)]
    child = subprocess.Popen(
        [*command, "unlink", "--project", str(project), "--cco", str(cco_id)],
        cwd=REPO_ROOT,
        env={**os.environ, **SECRETS},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(
            lambda: any(r.started for r in _records(audit)) and not is_linked(sandbox_data, cco_id)
        )
        os.kill(child.pid, stop)  # kill -9, or Ctrl-C at the terminal
    finally:
        child.wait(timeout=30)
    assert child.returncode == status
    [started] = _records(audit)  # the case met: started, changed in Procore, never ended
    assert started.started and started.attempt and started.user == "admin" and started.user_id
    assert AuditLog(audit).unsettled() == [started]

    sandbox.faults.drop_after_change_percent = 0
    shown = cco_unlink("--settings", str(settings), *_remote(sandbox), "audit", env=SECRETS)

    assert shown.returncode == exit_codes.OK, shown
    assert "Traceback" not in shown.stderr and not shown.stderr, shown.stderr
    started_again, ended = _records(audit)
    assert started_again == started
    assert (ended.attempt, ended.phase, ended.outcome) == (started.attempt, "ended", "unlinked")
    assert ended.settled_later and "confirmed later" in ended.message
    [line] = shown.stdout.splitlines()
    assert f"(id {cco_id})" in line and "unlinked, confirmed later" in line
    assert AuditLog(audit).unsettled() == []
    assert not is_linked(sandbox_data, cco_id)  # the record agrees with the backend


async def test_an_open_attempt_is_settled_when_the_app_connects_and_shown_until_then(
    make_target: Callable[..., Target], sandbox_data: Path, tmp_path: Path
) -> None:
    linked = demo_cco_id(sandbox_data, in_quickbooks=True)
    project = next(c.project_id for c in inspect.synced_ccos(sandbox_data) if c.id == linked)
    target = make_target()
    audit = AuditLog(target.audit_path)
    # A process that died between its started line and the request: Procore never saw it.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with audit.attempt(
        Action.UNLINK, Who("admin", 7), Subject(5_200_001, project, linked, "1"), "k1"
    ) as attempt:
        pass
    lines = target.audit_path.read_text().replace(f'"pid":{os.getpid()}', f'"pid":{dead.pid}')
    target.audit_path.write_text(lines)
    assert not attempt.settled and AuditLog(target.audit_path).unsettled()[0].pid == dead.pid
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[audit]\npath = "{target.audit_path}"\n')
    offline = cco_unlink(
        "--settings", str(settings), "--procore-url", "http://127.0.0.1:9",
        "--connector-url", "http://127.0.0.1:9", "audit", env=SECRETS,
    )  # fmt: skip
    assert offline.returncode == exit_codes.OK
    assert "NOT SETTLED" in offline.stdout and "could not be read back" in offline.stderr
    assert "Traceback" not in offline.stderr

    backend = Backend(target)
    try:
        await backend.connect()
    finally:
        await backend.aclose()

    assert backend.settlement is not None and len(backend.settlement.settled) == 1
    ended = _records(target.audit_path)[-1]
    assert (ended.attempt, ended.outcome) == ("k1", OutcomeKind.PROCORE_FAILED.value)
    assert ended.settled_later and "still shows the CCO linked" in ended.message
    assert is_linked(sandbox_data, linked)
    as_json = cco_unlink("--settings", str(settings), "audit", "--json")
    assert [json.loads(line)["phase"] for line in as_json.stdout.splitlines()] == [
        "started",
        "ended",
    ]
