"""Running the sandbox app under uvicorn, in a background thread or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

from starlette.applications import Starlette
from uvicorn.config import Config
from uvicorn.server import Server

from sandbox.app import create_app
from sandbox.config import Faults, SandboxConfig
from sandbox.rate_limit import RateLimiter

STARTUP_TIMEOUT_S = 10.0


class SandboxServer:
    """The sandbox on a loopback socket it binds itself, so port 0 yields a known free port; or on
    `listener`, a socket already listening that a parent process handed over."""

    def __init__(
        self,
        config: SandboxConfig,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        listener: socket.socket | None = None,
    ) -> None:
        self.config = config
        self.host = host
        self._requested_port = port
        self._listener = listener
        self._socket: socket.socket | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.port = port
        self.app: Starlette | None = None

    def requests_counted(self) -> int:
        """Requests with an access token that reached the API within the rate limiter's hour:
        what clients sent, counted on this side (a killed client cannot say)."""
        if self.app is None:
            return 0
        limiter: RateLimiter = self.app.state.limiter
        return limiter.counted()

    @property
    def faults(self) -> Faults:
        """The live Faults object: change a field and the next request obeys."""
        return self.config.faults

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def connector_url(self) -> str:
        return self.base_url + "/quickbooks/qbxml"

    def _prepare(self) -> tuple[Server, socket.socket]:
        if self._server is not None:
            raise RuntimeError("the sandbox server is already running")
        if self._listener is not None:
            sock = self._listener
            self.host = str(sock.getsockname()[0])
        else:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
            sock.listen(128)
        # Accepted connections inherit this. Without it, uvicorn's separate writes of headers
        # and body meet Nagle plus delayed ACK on keep-alive connections: ~40 ms per request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self.port = int(sock.getsockname()[1])
        self.app = create_app(self.config)
        config = Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self._socket = sock
        self._server = Server(config)
        return self._server, sock

    def start(self) -> None:
        """Serve in a daemon thread; returns once uvicorn accepts connections."""
        server, sock = self._prepare()
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="sandbox-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)

    def stop(self, *, wait: bool = True) -> None:
        """Stop serving. uvicorn takes a tenth of a second or two to wind down; with wait=False
        that happens in the background (for a caller discarding the server, such as a test
        suite stopping hundreds of them), and this server object is not to be started again."""
        if self._server is not None:
            self._server.should_exit = True
        if wait:
            self._finish()
        else:
            threading.Thread(target=self._finish, name="sandbox-stop", daemon=True).start()

    def _finish(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=STARTUP_TIMEOUT_S)
        self._close()

    def _close(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self._socket = None
        self._server = None
        self._thread = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
