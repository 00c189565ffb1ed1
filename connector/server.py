"""Running the connector under uvicorn: in the foreground (the `cco-unlink connector` command),
or in a background thread (the embedded demo chain and the tests)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from connector.app import create_app
from connector.broker import Broker
from connector.config import QBXML_PATH, SOAP_PATH, ConnectorConfig

STARTUP_TIMEOUT_S = 10.0


class ConnectorServer:
    def __init__(
        self,
        config: ConnectorConfig,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        cert_file: Path | None = None,
        key_file: Path | None = None,
    ) -> None:
        self.config = config
        self.host = host
        self.port = port
        self._tls = cert_file is not None
        app = create_app(config)
        self.broker: Broker = app.state.broker
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                lifespan="off",
                # Requests waiting for the Web Connector are cut short at a stop, not waited out:
                # they are settled as unknown (see Broker.ask).
                timeout_graceful_shutdown=1,
                ssl_certfile=str(cert_file) if cert_file else None,
                ssl_keyfile=str(key_file) if key_file else None,
            )
        )
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self._tls else 'http'}://{host}:{self.port}"

    @property
    def soap_url(self) -> str:
        return self.base_url + SOAP_PATH

    @property
    def qbxml_url(self) -> str:
        return self.base_url + QBXML_PATH

    def bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.create_server((self.host, self.port), family=family, backlog=128)
        # See the sandbox's server: without it, keep-alive answers meet Nagle plus delayed ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self.port = int(sock.getsockname()[1])
        self._socket = sock
        return sock

    def serve_forever(self) -> None:
        """Serve in this thread until Ctrl-C or SIGTERM."""
        self._server.run(sockets=[self._socket or self.bind()])

    def start(self) -> None:
        """Serve in a daemon thread; returns once connections are accepted."""
        sock = self._socket or self.bind()
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="connector", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the connector did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=STARTUP_TIMEOUT_S)
        if self._socket is not None:
            self._socket.close()
        self._socket = None
        self._thread = None

    def __enter__(self) -> ConnectorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
