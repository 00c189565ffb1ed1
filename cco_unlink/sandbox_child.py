"""The embedded sandbox, run as a child process for the length of one command.

This process binds the listening socket and hands it down, so the sandbox's address is known at
once and a request sent before the child is ready waits in the socket's queue: nothing here ever
waits for the sandbox to start. The child's start-up (Python, uvicorn, the demo data) runs on
another core, and answering requests never takes the app's interpreter lock, as Procore answering
on another machine would not. The child serves until its standard input closes: when the command
ends, or when this process dies without a word.

A start that asks nothing of the sandbox before its first frame (the app's, every time) has the
child started later, `deferred`, by `EmbeddedSandbox.start`: when the app makes its first frame or
connects (Backend.start_target), so that its start-up does not compete with the app's for the
machine's cores while the app imports. The socket is bound at once all the same, so the address
is known and nothing sent early is lost.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.errors import SettingsError

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0
# Windows cannot hand a listening socket down (pass_fds): the sandbox runs in-process there.
HANDS_DOWN_SOCKETS = sys.platform != "win32"


def _started() -> None:
    """The start of a sandbox already running: nothing to do."""


@dataclass(frozen=True)
class EmbeddedSandbox:
    base_url: str
    data_file: Path
    connector_url: str = ""
    """Where cco-unlink asks QuickBooks: "" = the sandbox's own qbXML endpoint (direct)."""
    start: Callable[[], None] = _started
    """Starts a child that was deferred; once it runs (or has stopped), does nothing."""


@contextmanager
def sandbox_child(
    host: str,
    port: int,
    config: dict[str, Any],
    *,
    reset: bool,
    log_path: Path,
    deferred: bool = False,
) -> Iterator[EmbeddedSandbox]:
    """Serve the sandbox `config` describes (see `SandboxConfig.from_plain`) on host:port in a
    child process, its data seeded afresh first when `reset`; its diagnostics go to `log_path`.
    `deferred`: the child starts when `EmbeddedSandbox.start` is called, not at once."""
    if not HANDS_DOWN_SOCKETS:
        with _sandbox_in_process(host, port, config, reset=reset) as sandbox:
            yield sandbox
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    child = _Child(_listen(host, port), log_path, {"config": config, "reset": reset})
    try:
        if not deferred:
            child.start()
        url_host = f"[{child.bound[0]}]" if ":" in child.bound[0] else child.bound[0]
        yield EmbeddedSandbox(
            f"http://{url_host}:{child.bound[1]}", Path(config["data_file"]), start=child.start
        )
    finally:
        child.stop()


class _Child:
    """The sandbox's process on a socket bound for it, started once, at most."""

    def __init__(self, listener: socket.socket, log_path: Path, order: dict[str, Any]) -> None:
        self._listener = listener
        self.bound: tuple[str, int] = listener.getsockname()[:2]
        self._log_path = log_path
        self._order = json.dumps(order).encode() + b"\n"
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._process is not None or self._listener.fileno() == -1:
                return  # running, or stopped before it was needed
            try:
                with self._log_path.open("ab") as child_log, self._listener:
                    self._process = subprocess.Popen(
                        # -P: the sandbox package, never a module of the same name in the
                        # current folder.
                        [sys.executable, "-P", "-m", "sandbox.child", str(self._listener.fileno())],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.DEVNULL,
                        stderr=child_log,
                        pass_fds=(self._listener.fileno(),),
                        # Its own session: Ctrl-C or a hang-up at the terminal reaches this
                        # process, which then stops the child in order, rather than both at once.
                        start_new_session=True,
                    )
            except OSError:
                # Called as the first request goes out: that request then cannot connect and
                # says so, at once, rather than waiting on a socket nobody will read.
                log.exception("The embedded sandbox could not be started")
                self._listener.close()
                return
            # This process's copy of the socket is closed now: if the child dies, connecting
            # fails at once instead of waiting in a queue nobody reads.
            assert self._process.stdin is not None
            try:
                self._process.stdin.write(self._order)
                self._process.stdin.flush()
            except OSError:
                pass  # It died at once; the first request cannot connect, the log says why.

    def stop(self) -> None:
        with self._lock:
            self._listener.close()  # never started: what was sent early is refused, not kept
            child, self._process = self._process, None
        if child is None:
            return
        assert child.stdin is not None
        with suppress(OSError):
            child.stdin.close()
        try:
            child.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.returncode:
            log.warning("The embedded sandbox ended with exit status %s", child.returncode)


@contextmanager
def _sandbox_in_process(
    host: str, port: int, config: dict[str, Any], *, reset: bool
) -> Iterator[EmbeddedSandbox]:
    from sandbox import SandboxConfig, SandboxServer, demo

    sandbox_config = SandboxConfig.from_plain(config)
    if reset:
        demo.reset(sandbox_config.data_file, sandbox_config.seed)
    with (
        _listen(host, port) as listener,
        SandboxServer(sandbox_config, listener=listener) as server,
    ):
        yield EmbeddedSandbox(server.base_url, sandbox_config.data_file)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        listener = socket.create_server((host, port), family=family, backlog=128)
    except OSError as error:
        raise SettingsError(
            f"The embedded sandbox cannot listen on {host} port {port}: "
            f"{error.strerror or error}. Set [sandbox] port to a free port, or 0 for any."
        ) from error
    # Connections accepted later inherit it: see SandboxServer.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return listener
