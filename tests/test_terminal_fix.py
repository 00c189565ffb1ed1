"""The detail pane, check and stopping a run, in a real 80x24 terminal: tmux runs `cco-unlink` on
the embedded sandbox, whose QuickBooks answers slowly, so that a run can be stopped mid-way."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from sandbox import inspect
from tests.helpers import is_linked
from tests.test_terminal_smoke import _tmux, _wait_for, launch

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

# Each QuickBooks answer takes this long: the CCO in progress is still in progress when Esc comes.
QUICKBOOKS_DELAY_MS = 700


def _escape(session: str) -> None:
    """Esc, then a pause: a key right behind it would read as Alt+key (ESC starts sequences)."""
    _tmux("send-keys", "-t", session, "Escape")
    time.sleep(0.5)


def test_pane_check_and_stop_at_80x24(isolated_home: Path, seeded_template: Path) -> None:
    data_file = isolated_home / "data" / "cco-unlink" / "sandbox.sqlite3"
    data_file.parent.mkdir(parents=True)
    shutil.copyfile(seeded_template, data_file)
    synced = inspect.synced_ccos(data_file)
    titles = Counter(c.title for c in synced)
    there = next(c for c in synced if c.in_quickbooks and titles[c.title] == 1)
    settings = isolated_home / "settings.toml"
    settings.write_text(f"[sandbox]\nquickbooks_delay_ms = {QUICKBOOKS_DELAY_MS}\n")

    session = f"cco-unlink-fix-{uuid.uuid4().hex[:8]}"
    launch(isolated_home, session, 80, 24, "--settings", str(settings))
    try:
        _wait_for(session, "synced CCOs")

        # Enter: the pane covers the list at 80 columns and shows what QuickBooks still holds.
        _tmux("send-keys", "-t", session, "/")
        _tmux("send-keys", "-t", session, "-l", there.title)
        _tmux("send-keys", "-t", session, "Enter")
        _wait_for(session, "1 shown")
        _tmux("send-keys", "-t", session, "Enter")
        screen = _wait_for(session, "still on PO")
        assert f"CCO #{there.number}" in screen

        # Esc closes the pane; c checks the row and marks it, changing nothing.
        _escape(session)
        _wait_for(session, "1 shown")
        _tmux("send-keys", "-t", session, "c")
        screen = _wait_for(session, "Checked 1 in QuickBooks")
        row = next(
            line
            for line in screen.splitlines()
            if there.title[:20] in line and f" {there.number} " in line
        )
        assert row.lstrip().startswith("✗"), row
        assert is_linked(data_file, there.id)

        # Every row picked, u, y: Esc while the first CCO is in progress stops the run there.
        _escape(session)
        _wait_for(session, f"{len(synced_in_company(synced, there.company_id))} synced CCOs")
        _tmux("send-keys", "-t", session, "a")
        _wait_for(session, "picked")
        _tmux("send-keys", "-t", session, "u")
        _wait_for(session, "Unlink in Procore")
        _tmux("send-keys", "-t", session, "y")
        _wait_for(session, "Unlinking 1 of")
        _escape(session)
        screen = _wait_for(session, "Stopped after the CCO in progress")
        total = len(synced_in_company(synced, there.company_id))
        flat = " ".join(re.sub("[█▌▎▊]", " ", screen).split())  # the dialog's text, unwrapped
        assert f"{total - 1} not tried" in flat, screen
        changed = [c.id for c in synced if not is_linked(data_file, c.id)]
        assert len(changed) <= 1  # the CCO in progress, if it was gone from QuickBooks

        _escape(session)
        _tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done = subprocess.run(["tmux", "has-session", "-t", session], capture_output=True)
            if done.returncode:
                break
            time.sleep(0.2)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def synced_in_company(synced: list[inspect.DemoCco], company_id: int) -> list[inspect.DemoCco]:
    return [c for c in synced if c.company_id == company_id]
