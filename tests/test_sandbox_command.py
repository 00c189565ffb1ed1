"""`cco-unlink sandbox` serves the sandbox alone and prints where, until interrupted."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx


def test_the_sandbox_command_prints_both_urls_and_serves_them(tmp_path: Path) -> None:
    data_file = tmp_path / "served.sqlite3"
    process = subprocess.Popen(
        [sys.executable, "-m", "cco_unlink", "sandbox", "--port", "0", "--data", str(data_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
    )
    try:
        assert process.stdout is not None
        procore_line = process.stdout.readline()
        connector_line = process.stdout.readline()
        procore_url = re.search(r"(http://127\.0\.0\.1:\d+)\s*$", procore_line)
        connector_url = re.search(r"(http://127\.0\.0\.1:\d+/quickbooks/qbxml)\s*$", connector_line)
        assert procore_url and connector_url, (procore_line, connector_line)

        token = httpx.post(
            f"{procore_url[1]}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "admin",
                "client_secret": "sandbox",
            },
        )
        assert token.status_code == 200
        refused = httpx.post(connector_url[1], content=b"<QBXML/>")
        assert refused.status_code == 401
        assert data_file.is_file()
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "Traceback" not in errors
