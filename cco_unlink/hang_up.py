"""When the terminal goes away, the app goes too.

Over SSH a dropped connection hangs the terminal up, and the kernel sends SIGHUP to the terminal's
session: Python's default for it ends the process. A process started without a controlling
terminal (by a script, a test harness, a pty of its own) gets no SIGHUP; Textual then reads an
endless end of input, in a loop that takes a core, while its output thread has died on the
closed terminal, and the screen's next frames wait for it forever. Seen: an orphaned app using
three quarters of a core for twenty minutes.

So a thread looks at the terminal twice a second and, once it has hung up, ends the process as a
hang-up would. A change in flight then ends as after a kill: its "started" line is in the audit
log and the next start settles it (services/settle.py), as it does after SIGHUP or kill -9.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import threading
import time

log = logging.getLogger(__name__)

LOOK_EVERY_S = 0.5


def end_with_the_terminal(fd: int = 0) -> threading.Thread | None:
    """Watch terminal `fd` in a daemon thread; None when `fd` is not a terminal (or the
    platform cannot tell a hang-up)."""
    if not hasattr(select, "poll") or not _is_terminal(fd):
        return None
    watcher = threading.Thread(target=_watch, args=(fd,), name="terminal-hang-up", daemon=True)
    watcher.start()
    return watcher


def hung_up(fd: int) -> bool:
    """Whether terminal `fd` has hung up (or is gone), without reading from it."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    events = dict(poller.poll(0)).get(fd, 0)
    return bool(events & (select.POLLHUP | select.POLLERR | select.POLLNVAL))


def _watch(fd: int) -> None:
    while not hung_up(fd):
        time.sleep(LOOK_EVERY_S)
    log.warning("The terminal hung up; ending as a hang-up ends a program.")
    # SIGHUP as the kernel sends it to a terminal's session, unless the person asked for it to be
    # ignored (nohup): a screen with no terminal can do nothing, so then SIGTERM.
    ignored = signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    os.kill(os.getpid(), signal.SIGTERM if ignored else signal.SIGHUP)


def _is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False
