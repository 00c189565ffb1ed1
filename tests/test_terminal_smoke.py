"""One run in a real terminal: tmux starts `cco-unlink` on the embedded sandbox, keys are typed,
and the captured screen and the sandbox's data both show the CCO unlinked."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from sandbox import inspect
from tests.helpers import is_linked

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _tmux(*arguments: str) -> str:
    return subprocess.run(
        ["tmux", *arguments], capture_output=True, text=True, check=True, timeout=30
    ).stdout


def _wait_for(session: str, text: str, seconds: float = 30.0) -> str:
    deadline = time.monotonic() + seconds
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


def launch(home: Path, session: str, width: int, height: int, *arguments: str) -> None:
    """Start `cco-unlink` (its data and settings under `home`) in a detached tmux session of
    exactly `width` x `height`."""
    environment = " ".join(
        f"{name}={shlex.quote(str(home / folder))}"
        for name, folder in (
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_DATA_HOME", "data"),
            ("XDG_STATE_HOME", "state"),
        )
    )
    command = " ".join(
        [
            f"env {environment} TERM=xterm-256color {shlex.quote(sys.executable)} -m cco_unlink",
            *(shlex.quote(argument) for argument in arguments),
        ]
    )
    size = ("-x", str(width), "-y", str(height))
    _tmux("new-session", "-d", "-s", session, *size, command)
    # A detached session may still take the server's default size; pin it.
    _tmux("set-option", "-t", session, "window-size", "manual")
    _tmux("resize-window", "-t", session, *size)


def test_unlink_in_a_real_terminal(isolated_home: Path, seeded_template: Path) -> None:
    data_file = isolated_home / "data" / "cco-unlink" / "sandbox.sqlite3"
    data_file.parent.mkdir(parents=True)
    shutil.copyfile(seeded_template, data_file)
    synced = inspect.synced_ccos(data_file)
    titles = Counter(c.title for c in synced)
    target = next(c for c in synced if not c.in_quickbooks and titles[c.title] == 1)

    session = f"cco-unlink-{uuid.uuid4().hex[:8]}"
    launch(isolated_home, session, 200, 50)
    try:
        _wait_for(session, "synced CCOs")
        screen = _tmux("capture-pane", "-p", "-t", session)
        assert "Commitment Change Orders" in screen
        assert "Successfully Synced with QuickBooks® Desktop" in screen

        _tmux("send-keys", "-t", session, "/")
        _tmux("send-keys", "-t", session, "-l", target.title)
        _tmux("send-keys", "-t", session, "Enter")
        _wait_for(session, "1 shown")
        _tmux("send-keys", "-t", session, "u")
        _wait_for(session, "Unlink CCO")
        _tmux("send-keys", "-t", session, "y")
        _wait_for(session, "Successfully Unlinked")
        assert not is_linked(data_file, target.id)

        _tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(
                ["tmux", "has-session", "-t", session], capture_output=True
            ).returncode:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("cco-unlink did not quit on q")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
