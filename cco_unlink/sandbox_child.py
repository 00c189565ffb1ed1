"""The embedded sandbox, run as a child process for the length of one command.

This process binds the listening socket and hands it down, so the sandbox's address is known at
once and a request sent before the child is ready waits in the socket's queue: nothing here ever
waits for the sandbox to start. The child's start-up (Python, uvicorn, the demo data) runs on
another core while the app imports and paints, and answering requests never takes the app's
interpreter lock, as Procore answering on another machine would not. The child serves until its
standard input closes: when the command ends, or when this process dies without a word.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.errors import SettingsError

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0
# Windows cannot hand a listening socket down (pass_fds): the sandbox runs in-process there.
HANDS_DOWN_SOCKETS = sys.platform != "win32"


@dataclass(frozen=True)
class EmbeddedSandbox:
    base_url: str
    data_file: Path
    connector_url: str = ""
    """Where cco-unlink asks QuickBooks: "" = the sandbox's own qbXML endpoint (direct)."""


@contextmanager
def sandbox_child(
    host: str, port: int, config: dict[str, Any], *, reset: bool, log_path: Path
) -> Iterator[EmbeddedSandbox]:
    """Serve the sandbox `config` describes (see `SandboxConfig.from_plain`) on host:port in a
    child process, its data seeded afresh first when `reset`; its diagnostics go to `log_path`."""
    if not HANDS_DOWN_SOCKETS:
        with _sandbox_in_process(host, port, config, reset=reset) as sandbox:
            yield sandbox
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as child_log, _listen(host, port) as listener:
        child = subprocess.Popen(
            # -P: the sandbox package, never a module of the same name in the current folder.
            [sys.executable, "-P", "-m", "sandbox.child", str(listener.fileno())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=child_log,
            pass_fds=(listener.fileno(),),
            # Its own session: Ctrl-C or a hang-up at the terminal reaches this process, which
            # then stops the child in order, rather than both at once.
            start_new_session=True,
        )
        bound = listener.getsockname()
    # This process's copy of the socket is closed now: if the child dies, connecting fails
    # at once instead of waiting in a queue nobody reads.
    assert child.stdin is not None
    try:
        try:
            child.stdin.write(json.dumps({"config": config, "reset": reset}).encode() + b"\n")
            child.stdin.flush()
        except OSError:
            pass  # It died at once; the first request says it cannot connect, the log says why.
        url_host = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        yield EmbeddedSandbox(f"http://{url_host}:{bound[1]}", Path(config["data_file"]))
    finally:
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
