"""Start-up to first painted row, against the start-up of an empty Textual app, as a person at a
terminal sees it.

Each start is a fresh process on a pseudo-terminal, timed from its launch to the moments what a
person waits for reaches the terminal: for cco-unlink (`python -m cco_unlink`, exactly as a person
starts it: settings, the embedded sandbox with its demo data in its child process, the backend and
the app), the first frame holding the header and a progress line ("Connecting to Procore…", what
a first start shows while its rows are on their way), and the frame holding the first CCO rows;
for an empty Textual app, its first whole frame (the line drawn last, the terminal's bottom one).
Interpreter start-up and imports count in both. The caller points the XDG directories at a
scratch home: with a list cache there (every start after the first) the rows come from it;
without one they come from the sandbox.

`python benchmarks/startup.py` runs the empty app itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from textual.app import App

ROOT = Path(__file__).resolve().parent.parent
COLUMNS, LINES = 160, 40
# What each start is waiting for, each a set of texts that must all have reached the terminal.
# cco-unlink: its header and the line saying it is connecting (a start with nothing cached: a
# restart shows its cached rows instead); the first demo project, in the first row of the list
# however it is sorted. The empty app: the move to the bottom line, which a whole frame draws last.
FIRST_FRAME: tuple[bytes, ...] = (b"Commitment Change Orders", "Connecting to Procore…".encode())
FIRST_ROWS: tuple[bytes, ...] = (b"Cedar Hollow",)
WHOLE_FRAME: tuple[bytes, ...] = (f"\x1b[{LINES};1H".encode(),)
QUIT_KEYS = {"app": b"q", "empty": b"\x11"}  # cco-unlink's q; Textual's ctrl+q


def on_pty(
    command: list[str], env: dict[str, str], size: tuple[int, int] = (COLUMNS, LINES)
) -> tuple[int, subprocess.Popen[bytes], float]:
    """`command` started on a fresh pseudo-terminal of `size` (columns, lines), in a session of
    its own: the terminal's side to read and write, the process, and when it was launched."""
    columns, lines = size
    terminal, child_side = pty.openpty()
    fcntl.ioctl(child_side, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    launched = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=child_side,
        stdout=child_side,
        stderr=child_side,
        env={**env, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(lines)},
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(child_side)
    return terminal, process, launched


def timed_start(kind: str, env: dict[str, str], timeout_s: float = 60.0) -> float:
    """Seconds from launching `kind` ("app" or "empty") on a fresh terminal to its first row
    (cco-unlink) or its first whole frame (the empty app)."""
    wanted = {"shown": FIRST_ROWS if kind == "app" else WHOLE_FRAME}
    return timed_marks(kind, env, wanted, timeout_s)["shown"]


def timed_marks(
    kind: str, env: dict[str, str], marks: dict[str, tuple[bytes, ...]], timeout_s: float = 60.0
) -> dict[str, float]:
    """Seconds from launching `kind` ("app" or "empty") on a fresh terminal until each of
    `marks` (a name, and texts that must all have reached the terminal) was seen; and, as
    "<name> cpu", the CPU time the process (all its threads; not the sandbox's child) had used
    by then, which a busy machine disturbs less than the wall time (NaN where /proc is not)."""
    command = [sys.executable, "-m", "cco_unlink"] if kind == "app" else [sys.executable, __file__]
    terminal, process, launched = on_pty(command, env)
    seen_at: dict[str, float] = {}
    try:
        seen = bytearray()
        deadline = launched + timeout_s
        while any(name not in seen_at for name in marks):
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([terminal], [], [], left)[0]:
                missing = [name for name in marks if name not in seen_at]
                raise TimeoutError(f"{kind}: no {missing} within {timeout_s} s")
            try:
                seen += os.read(terminal, 65536)
            except OSError as error:  # the terminal closed: the program ended
                raise RuntimeError(f"{kind} ended before painting: {seen[-500:]!r}") from error
            now = time.perf_counter()
            for name, texts in marks.items():
                if name not in seen_at and all(text in seen for text in texts):
                    seen_at[name] = now - launched
                    seen_at[f"{name} cpu"] = cpu_seconds(process.pid)
        os.write(terminal, QUIT_KEYS[kind])
        _drain_until_exit(terminal, process)
        return seen_at
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(terminal)


def cpu_seconds(pid: int) -> float:
    """The CPU time process `pid` has used so far, all its threads, to the nanosecond (Linux's
    schedstat; the clock ticks of /proc/PID/stat are 10 ms)."""
    total = 0
    try:
        for thread in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):  # a thread that ended meanwhile
                total += int(Path(f"/proc/{pid}/task/{thread}/schedstat").read_text().split()[0])
    except OSError:
        return math.nan
    return total / 1e9


def _drain_until_exit(terminal: int, process: subprocess.Popen[bytes]) -> None:
    """Keep reading, so the program never blocks writing its last frames, until it ends."""
    deadline = time.perf_counter() + 15
    while process.poll() is None and time.perf_counter() < deadline:
        if select.select([terminal], [], [], 0.05)[0]:
            try:
                os.read(terminal, 65536)
            except OSError:
                break
    process.wait(timeout=max(0.1, deadline - time.perf_counter()))


if __name__ == "__main__":
    App[None]().run()
