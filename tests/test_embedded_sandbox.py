"""The embedded sandbox runs in a child process: usable at once, and gone with its parent."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from cco_unlink import sandbox_child as sandbox_child_module
from cco_unlink.sandbox_child import sandbox_child
from cco_unlink.sandbox_target import SANDBOX_SECRET, sandbox_target
from sandbox import demo
from sandbox.config import DEFAULT_SEED
from services import locations
from services.backend import Backend
from services.errors import ProcoreUnreachableError, SettingsError
from tests.conftest import REPO_ROOT

ADMIN = {"grant_type": "client_credentials", "client_id": "admin", "client_secret": SANDBOX_SECRET}


def _token_status(base_url: str) -> int:
    return httpx.post(f"{base_url}/oauth/token", data=ADMIN, timeout=30).status_code


def _refuses_connections(base_url: str, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            httpx.get(base_url, timeout=2)
        except httpx.TransportError:
            return True
        time.sleep(0.1)
    return False


def test_a_request_sent_before_the_child_is_ready_is_answered(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.sqlite3"
    with sandbox_child(
        "127.0.0.1", 0, {"data_file": str(data)}, reset=False, log_path=tmp_path / "log"
    ) as sandbox:
        # Sent at once: the child has not even imported uvicorn yet.
        assert _token_status(sandbox.base_url) == 200
        assert sandbox.data_file == data
        assert data.is_file()  # the child seeded the demo data
    assert _refuses_connections(sandbox.base_url, within_s=1)


def test_a_deferred_child_starts_when_asked_and_what_was_sent_early_waits_for_it(
    tmp_path: Path,
) -> None:
    data = tmp_path / "sandbox.sqlite3"
    with (
        sandbox_child(
            "127.0.0.1",
            0,
            {"data_file": str(data)},
            reset=False,
            log_path=tmp_path / "log",
            deferred=True,
        ) as sandbox,
        ThreadPoolExecutor(max_workers=1) as sender,
    ):
        early = sender.submit(_token_status, sandbox.base_url)
        time.sleep(0.3)
        assert not early.done()  # queued on the bound socket, no child to answer it
        assert not data.exists()  # nor has any child seeded the demo data
        sandbox.start()
        sandbox.start()  # a second call starts no second child
        assert early.result(timeout=30) == 200
    assert _refuses_connections(sandbox.base_url, within_s=1)


def test_a_deferred_child_never_asked_for_never_starts(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.sqlite3"
    with sandbox_child(
        "127.0.0.1",
        0,
        {"data_file": str(data)},
        reset=False,
        log_path=tmp_path / "log",
        deferred=True,
    ) as sandbox:
        pass
    sandbox.start()  # too late: the socket is closed, nothing starts
    assert _refuses_connections(sandbox.base_url, within_s=1)
    assert not data.exists()


def test_a_deferred_child_that_cannot_start_leaves_nothing_waiting(tmp_path: Path) -> None:
    unwritable_log = tmp_path / "log"
    unwritable_log.mkdir()  # its diagnostics cannot be written: the child is not started
    with sandbox_child(
        "127.0.0.1",
        0,
        {"data_file": str(tmp_path / "sandbox.sqlite3")},
        reset=False,
        log_path=unwritable_log,
        deferred=True,
    ) as sandbox:
        sandbox.start()  # no exception: the first request tells, as it cannot connect
        assert _refuses_connections(sandbox.base_url, within_s=1)


def test_the_backend_starts_a_deferred_sandbox_before_its_first_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    config = {"data_file": str(tmp_path / "sandbox.sqlite3")}
    starts: list[float] = []
    with sandbox_child(
        "127.0.0.1", 0, config, reset=False, log_path=tmp_path / "log", deferred=True
    ) as sandbox:

        def start() -> None:
            starts.append(time.monotonic())
            sandbox.start()

        backend = Backend(
            sandbox_target(sandbox.base_url, tmp_path / "audit.jsonl"), before_connecting=start
        )
        assert backend.cached_list_at_hand() is None and starts == []  # nothing sent yet

        async def connect_twice() -> str:
            try:
                user, _ = await backend.connect()
                await backend.connect()
                return user.login
            finally:
                await backend.aclose()

        assert asyncio.run(connect_twice()) == "admin"
    assert len(starts) == 1


def test_the_child_loads_the_server_without_uvicorn_s_command_line() -> None:
    # What sandbox/child.py leaves out of its start, the server's Config and Server still there
    # for uvicorn's own modules to import from the package.
    probe = (
        "import sys, sandbox.child, uvicorn; "
        "print(sorted(m for m in ('click', 'uvicorn.main') if m in sys.modules), "
        "uvicorn.Config.__module__, uvicorn.Server.__module__)"
    )
    result = subprocess.run(
        [sys.executable, "-P", "-c", probe], capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert result.stdout.split() == ["[]", "uvicorn.config", "uvicorn.server"], result.stderr


def test_the_child_stops_when_its_parent_dies_without_a_word(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from cco_unlink.sandbox_child import sandbox_child\n"
            "with sandbox_child('127.0.0.1', 0, {'data_file': sys.argv[1]}, reset=False,\n"
            "                   log_path=Path(sys.argv[2])) as sandbox:\n"
            "    print(sandbox.base_url, flush=True)\n"
            "    time.sleep(120)\n",
            str(tmp_path / "sandbox.sqlite3"),
            str(tmp_path / "log"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        assert parent.stdout is not None
        base_url = parent.stdout.readline().strip()
        assert _token_status(base_url) == 200
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        assert _refuses_connections(base_url, within_s=10)
    finally:
        parent.kill()
        parent.wait()


def test_a_child_that_cannot_start_fails_requests_at_once_and_logs_why(tmp_path: Path) -> None:
    log = tmp_path / "log"
    broken = {"data_file": str(tmp_path / "sandbox.sqlite3"), "no_such_setting": 1}
    with sandbox_child("127.0.0.1", 0, broken, reset=False, log_path=log) as sandbox:
        started = time.monotonic()
        with pytest.raises(httpx.TransportError):
            _token_status(sandbox.base_url)
        assert time.monotonic() - started < 20  # refused or reset, not left waiting
    assert "no_such_setting" in log.read_text()


def test_reset_seeds_the_demo_data_afresh(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.sqlite3"
    demo.reset(data, DEFAULT_SEED)
    with sqlite3.connect(data) as conn:
        conn.execute("UPDATE companies SET name = 'Renamed'")
    with sandbox_child(
        "127.0.0.1", 0, {"data_file": str(data)}, reset=True, log_path=tmp_path / "log"
    ) as sandbox:
        assert _token_status(sandbox.base_url) == 200
        with sqlite3.connect(data) as conn:
            names = {name for (name,) in conn.execute("SELECT name FROM companies")}
    assert "Renamed" not in names
    assert "Summit Ridge Builders" in names


def test_the_child_stops_when_the_command_fails_inside(tmp_path: Path) -> None:
    config = {"data_file": str(tmp_path / "sandbox.sqlite3")}
    with (
        pytest.raises(RuntimeError, match="the command failed"),
        sandbox_child("127.0.0.1", 0, config, reset=False, log_path=tmp_path / "log") as sandbox,
    ):
        assert _token_status(sandbox.base_url) == 200
        raise RuntimeError("the command failed")
    assert _refuses_connections(sandbox.base_url, within_s=1)


def test_where_sockets_cannot_be_handed_down_the_sandbox_runs_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox_child_module, "HANDS_DOWN_SOCKETS", False)
    config = {"data_file": str(tmp_path / "sandbox.sqlite3")}
    with sandbox_child("127.0.0.1", 0, config, reset=False, log_path=tmp_path / "log") as sandbox:
        assert _token_status(sandbox.base_url) == 200
        assert not (tmp_path / "log").exists()  # no child, so no child's log
    assert _refuses_connections(sandbox.base_url, within_s=1)


def test_a_sandbox_that_stopped_is_named_with_the_log_that_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    with socket.create_server(("127.0.0.1", 0)) as nobody_answers:
        dead_url = f"http://127.0.0.1:{nobody_answers.getsockname()[1]}"
    backend = Backend(sandbox_target(dead_url, tmp_path / "audit.jsonl"))

    async def connect() -> None:
        try:
            await backend.connect()
        finally:
            await backend.aclose()

    with pytest.raises(ProcoreUnreachableError) as refused:
        asyncio.run(connect())
    assert "The sandbox may have stopped" in refused.value.message
    assert str(locations.log_file()) in refused.value.message


@pytest.mark.parametrize("hands_down_sockets", [True, False])
def test_a_port_in_use_is_a_clear_settings_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hands_down_sockets: bool
) -> None:
    monkeypatch.setattr(sandbox_child_module, "HANDS_DOWN_SOCKETS", hands_down_sockets)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with (
            pytest.raises(SettingsError, match=rf"cannot listen on 127\.0\.0\.1 port {port}"),
            sandbox_child(
                "127.0.0.1",
                port,
                {"data_file": str(tmp_path / "sandbox.sqlite3")},
                reset=False,
                log_path=tmp_path / "log",
            ),
        ):
            pass
