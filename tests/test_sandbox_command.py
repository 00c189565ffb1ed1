"""`cco-unlink sandbox` serves the sandbox alone and prints where, until interrupted."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cco_unlink import cli
from sandbox import bulk_seed, demo, formats


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


def test_the_sandbox_can_apply_procores_limits_on_a_faster_clock(tmp_path: Path) -> None:
    data_file = tmp_path / "served.sqlite3"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "cco_unlink", "sandbox", "--port", "0", "--data", str(data_file),
            "--limits", "procore", "--time-scale", "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        procore_url = re.search(r"(http://127\.0\.0\.1:\d+)\s*$", process.stdout.readline())
        process.stdout.readline()
        limits_line = process.stdout.readline()
        assert procore_url, limits_line
        assert "600 an hour, 25 per 10 s, windows 60x faster" in limits_line
        answer = httpx.post(
            f"{procore_url[1]}/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "admin", "client_secret": "x"},
        )
        assert answer.headers["X-Rate-Limit-Limit"] == "25"
        # A 10-s window of a clock 60 times faster frees a slot within a sixth of a second.
        reset = float(answer.headers["X-Rate-Limit-Reset"])
        assert "." in answer.headers["X-Rate-Limit-Reset"]
        assert -1 < reset - time.time() <= 10 / 60 + 0.5
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "Traceback" not in errors


def test_the_sandbox_help_says_which_limits_are_which() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "cco_unlink", "sandbox", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(shown.split())
    assert (
        "'procore' applies the examples of Procore's rate-limiting page, 600 requests an hour "
        "and 25 per 10 s" in flat
    )
    assert "'generous' (the default, and the embedded demo's)" in flat
    assert "--time-scale N" in flat


def test_a_time_scale_out_of_range_is_refused_clearly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cco_unlink", "sandbox", "--time-scale", "0"],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
        timeout=30,
    )
    assert result.returncode != 0
    assert "--time-scale must be above 0" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_seed_command_builds_a_big_company_dated_up_to_now_never_after(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_file = tmp_path / "big.sqlite3"
    status = cli.main(
        [
            "sandbox",
            "seed",
            "--projects",
            "10",
            "--ccos-per-project",
            "30",
            "--synced-share",
            "30%",
            "--data",
            str(data_file),
        ]
    )
    assert status == 0
    assert "10 projects (3 synced with QuickBooks Desktop)" in capsys.readouterr().out
    with sqlite3.connect(data_file) as conn:
        synced = conn.execute("SELECT COUNT(*) FROM ccos WHERE origin_id IS NOT NULL").fetchone()
    assert synced == (90,)

    # A company too big for a minute between CCOs since the first one: closer, never ahead.
    now = demo.CCO_START_EPOCH + 3 * demo.DAY
    bulk_seed.reset_bulk(data_file, projects=20, ccos_per_project=500, now=now)
    with sqlite3.connect(data_file) as conn:
        (latest,) = conn.execute("SELECT MAX(synced_at) FROM ccos").fetchone()
    assert formats.procore_time(now - 2 * demo.DAY) < latest <= formats.procore_time(now)


def test_the_seed_command_refuses_a_share_beyond_the_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["sandbox", "seed", "--projects", "2", "--ccos-per-project", "1",
                  "--synced-share", "1.5", "--data", str(tmp_path / "x")])  # fmt: skip
    assert "a share is from 0 to 1" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_seed_writes_the_file_named_by_the_sandbox_command_s_own_data_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cco-unlink sandbox --data FILE seed …`, as `sandbox --help` lists --data: that FILE is
    seeded, and the embedded sandbox's own data (the person's demo) is left alone."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("CCO_UNLINK_SETTINGS", raising=False)
    data_file = tmp_path / "big.sqlite3"
    status = cli.main(
        ["sandbox", "--data", str(data_file), "seed", "--projects", "2", "--ccos-per-project", "3"]
    )
    assert status == 0
    assert str(data_file) in capsys.readouterr().out
    with sqlite3.connect(data_file) as conn:
        assert conn.execute("SELECT COUNT(*) FROM ccos").fetchone() == (6,)
    assert not list((tmp_path / "data").rglob("*.sqlite3"))  # the demo's file was not wiped
