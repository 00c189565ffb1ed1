"""The audit log survives torn lines and names them; no secret reaches a log or an audit line;
files are for their owner alone; the sandbox stays on loopback unless a flag says otherwise."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

from cco_unlink import exit_codes
from sandbox import SandboxServer, inspect
from services import locations
from services.audit import AuditLog, AuditRecord, DamagedLine
from tests.helpers import demo_cco_id
from tests.reliability.test_bad_input import SECRETS, _clean_failure, _remote, cco_unlink


def _record(cco_id: int) -> AuditRecord:
    return AuditRecord(AuditRecord.now(), "admin", 1, 2, cco_id, "001", "", "unlinked", "ok")


def test_a_torn_line_damages_only_itself_and_the_command_names_it(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.append(_record(1))
    with path.open("ab") as handle:  # a crash in the middle of a write
        handle.write(b'{"time": "2026-03-01T10:00:00Z", "user": "adm')
    log.append(_record(2))
    with path.open("ab") as handle:
        handle.write(b'["not", "a record"]\n{"time": 5}\n\xff\xfe\n')
    log.append(_record(3))

    entries = list(log.read())

    assert [e.cco_id for e in entries if isinstance(e, AuditRecord)] == [1, 2, 3]
    assert [e.line_number for e in entries if isinstance(e, DamagedLine)] == [2, 4, 5, 6]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    settings = tmp_path / "settings.toml"
    settings.write_text(f'[audit]\npath = "{path}"\n')
    shown = cco_unlink("--settings", str(settings), "audit")
    assert shown.returncode == exit_codes.OK
    assert shown.stdout.count("\n") == 3 and "Traceback" not in shown.stderr
    assert f"{path} line 2: not a complete JSON record" in shown.stderr
    as_json = cco_unlink("--settings", str(settings), "audit", "--json")
    assert [json.loads(line)["cco_id"] for line in as_json.stdout.splitlines()] == [1, 2, 3]


def test_no_secret_reaches_the_log_or_the_audit(sandbox: SandboxServer, sandbox_data: Path) -> None:
    secret = "pc-SECRET-7d41f0c2b9"
    with sqlite3.connect(sandbox_data) as conn:  # arrange: the admin's client secret
        conn.execute("UPDATE users SET client_secret = ? WHERE login = 'admin'", (secret,))
    sandbox.faults.drop_after_change_percent = 50
    sandbox.faults.qbxml_invalid_percent = 30
    env = {**SECRETS, "PROCORE_CLIENT_SECRET": secret}
    for in_quickbooks in (False, True):
        cco_id = demo_cco_id(sandbox_data, in_quickbooks=in_quickbooks)
        project_id = next(c.project_id for c in inspect.synced_ccos(sandbox_data) if c.id == cco_id)
        ran = cco_unlink(
            *_remote(sandbox), "unlink", "--project", str(project_id), "--cco", str(cco_id),
            env=env,
        )  # fmt: skip
        assert ran.returncode in (0, 3, 5), ran.stderr
    assert cco_unlink(*_remote(sandbox), "--client-id", "nobody", "list", env=env).returncode

    with sqlite3.connect(sandbox_data) as conn:
        tokens = [row[0] for row in conn.execute("SELECT token FROM tokens")]
    assert tokens
    log = locations.log_file().read_text()
    audit = locations.audit_file("").read_text()
    for text in (log, audit):
        for needle in (secret, "Bearer ", *tokens):
            assert needle not in text
    assert stat.S_IMODE(locations.audit_file("").stat().st_mode) == 0o600
    assert stat.S_IMODE(locations.log_file().stat().st_mode) == 0o600


def test_the_sandbox_leaves_loopback_only_on_an_explicit_flag(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('[sandbox]\nhost = "0.0.0.0"\n')
    for command in (["list"], ["sandbox"]):
        _clean_failure(
            cco_unlink("--settings", str(settings), *command),
            exit_codes.BAD_INPUT,
            "must be a loopback address",
        )
    # A documentation-only address (RFC 5737): the warning is printed, and binding then fails
    # cleanly, so nothing ever listens beyond this machine during the test.
    result = cco_unlink("sandbox", "--host", "192.0.2.1", "--port", "0")
    assert "warning: the sandbox will listen on 192.0.2.1" in result.stderr
    assert result.returncode == exit_codes.FAILURE and "Traceback" not in result.stderr
