"""A clean command line: a closed pipe ends quietly, no Python warning or traceback reaches the
person, any malformed settings file is one line and exit 2, flags are checked as the file's keys
are, and the standalone sandbox says a client hung up in one line."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from cco_unlink import exit_codes
from services.audit import AuditRecord
from tests.conftest import REPO_ROOT
from tests.reliability.test_bad_input import cco_unlink


def _one_clean_line(result: subprocess.CompletedProcess[str], status: int, words: str) -> None:
    assert result.returncode == status, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "details are in" not in result.stderr


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    records = [
        AuditRecord(AuditRecord.now(), "admin", 1, 2, n, "001", "", "unlinked", "ok")
        for n in range(3_000)  # far more than a pipe holds
    ]
    audit.write_text("".join(json.dumps(asdict(record)) + "\n" for record in records))
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[audit]\npath = "{audit}"\n')
    process = subprocess.Popen(
        [sys.executable, "-m", "cco_unlink", "--settings", str(settings), "audit"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # as `head -1` does, then it goes away
    process.stdout.close()
    errors = process.stderr.read()
    assert process.wait(timeout=30) == exit_codes.BROKEN_PIPE
    assert b"(id 0)" in first
    assert errors == b""


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"[procore]\nx = " + b"[" * 5_000 + b"]" * 5_000 + b"\n", "nested too deeply"),
        (b"[procore]\n# " + b"x" * (1024 * 1024 + 10) + b"\n", "not a settings file"),
        (b'[procore]\nclient_id = "\xff\xfe"\n', "settings.toml:2: not UTF-8 text"),
        (b"[procore]\ntimeout_seconds = inf\n", "must be a finite number"),
        (b"[sandbox]\nquickbooks_busy_percent = 150\n", "0 to 100"),
    ],
)
def test_any_malformed_settings_file_is_one_line_and_exit_2(
    tmp_path: Path, content: bytes, words: str
) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_bytes(content)
    _one_clean_line(cco_unlink("--settings", str(settings), "list"), exit_codes.BAD_INPUT, words)


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--company-id", "-3", "list"], "--company-id: must not be negative"),
        (["--company-id", "abc", "list"], "--company-id: must be a whole number, not 'abc'"),
        (["sandbox", "--port", "http"], "--port: must be a whole number, not 'http'"),
        (["sandbox", "--latency-ms", "1.5"], "--latency-ms: must be a whole number, not '1.5'"),
        (["--client-id", "", "list"], "--client-id: must not be empty"),
        (["sandbox", "--port", "70000"], "--port: must be at most 65535"),
        (["sandbox", "--procore-error-percent", "500"], "--procore-error-percent: a share in"),
        (["sandbox", "--latency-ms", "-1"], "--latency-ms: must not be negative"),
    ],
)
def test_flags_are_checked_as_strictly_as_the_same_keys_in_the_file(
    flags: list[str], words: str
) -> None:
    _one_clean_line(cco_unlink(*flags), exit_codes.BAD_INPUT, words)


def test_no_python_warning_reaches_the_person(tmp_path: Path) -> None:
    # Development mode turns on every warning Python has (ResourceWarning, never-awaited
    # coroutines, deprecations): none may reach the terminal, whatever the command meets.
    env = {"PYTHONDEVMODE": "1", "PYTHONWARNINGS": "always"}
    result = cco_unlink("--client-id", "nobody", "list", env=env)
    _one_clean_line(result, exit_codes.PROCORE_FAILED, "refused the sign-in of client 'nobody'")


def test_the_standalone_sandbox_logs_a_client_hanging_up_in_one_line(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "cco_unlink", "sandbox", "--port", "0",
         "--data", str(tmp_path / "served.sqlite3")],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        found = re.search(r"http://127\.0\.0\.1:(\d+)", process.stdout.readline())
        assert found
        # A request whose body never comes: the client hangs up after 10 of 1000 bytes.
        with socket.create_connection(("127.0.0.1", int(found[1]))) as client:
            client.sendall(
                b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 1000\r\n\r\ngrant_type"
            )
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=15)
    assert "Traceback" not in errors
    said = [line for line in errors.splitlines() if "disconnected" in line]
    assert len(said) == 1 and "A client disconnected before its request was read" in said[0]
