"""A terminal that hangs up ends the app, also when no SIGHUP comes: started without a controlling
terminal, the app used to be left reading an endless end of input, a core's worth of CPU, for as
long as nobody killed it."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cco_unlink.hang_up import hung_up

pytestmark = pytest.mark.skipif(not hasattr(select, "poll"), reason="no poll() to see a hang-up")

ROOT = Path(__file__).resolve().parents[1]


def test_a_terminal_is_seen_to_hang_up_when_its_other_side_closes() -> None:
    terminal, program_side = pty.openpty()
    try:
        assert not hung_up(program_side)
        os.write(terminal, b"q")  # input waiting is not a hang-up
        assert not hung_up(program_side)
        os.close(terminal)
        assert hung_up(program_side)
    finally:
        os.close(program_side)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_the_app_ends_when_its_terminal_hangs_up_without_a_sighup(tmp_path: Path) -> None:
    terminal, program_side = pty.openpty()
    environment = {
        **os.environ,
        "TERM": "xterm-256color",
        **{
            name: str(tmp_path / name)
            for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")
        },
    }
    # A session of its own and the terminal handed over as open files: the terminal is not its
    # controlling terminal, so closing the other side sends it no SIGHUP.
    app = subprocess.Popen(
        [sys.executable, "-m", "cco_unlink"],
        stdin=program_side,
        stdout=program_side,
        stderr=program_side,
        env=environment,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(program_side)
    try:
        seen = b""
        deadline = time.monotonic() + 30
        while b"synced CCOs" not in seen:
            assert time.monotonic() < deadline, f"the list never showed: {seen[-300:]!r}"
            if select.select([terminal], [], [], 0.5)[0]:
                seen += os.read(terminal, 65536)
        sandbox_children = _children(app.pid)
        assert sandbox_children, "the embedded sandbox's child should be running"

        os.close(terminal)  # the terminal goes away
        terminal = -1
        status = app.wait(timeout=10)
        assert status == -signal.SIGHUP  # ended as a hang-up ends a program
        deadline = time.monotonic() + 10
        while any(_alive(child) for child in sandbox_children):
            assert time.monotonic() < deadline, "the sandbox's child outlived the app"
            time.sleep(0.1)
    finally:
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGKILL)
            app.wait()
        if terminal >= 0:
            os.close(terminal)
