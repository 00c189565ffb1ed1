"""`cco-unlink serve`: the same app in a web browser, through textual-serve.

Each browser tab that connects gets an app process of its own, started with the same settings
file and flags as this command. The server has no sign-in of its own: whoever reaches its port
uses cco-unlink with this machine's Procore sign-in and connector token. So it listens on loopback
unless told otherwise twice (--host and --allow-remote), and it refuses a WebSocket opened by a
page from any other origin, which would otherwise let any web site the person visits drive the
app through their browser (cross-site WebSocket hijacking).
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from typing import Any, ClassVar
from urllib.parse import urlsplit

from services.errors import SettingsError
from services.settings import Settings
from services.urls import check_url, is_loopback

COMMAND = "serve"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
TITLE = "cco-unlink"


def add_command(commands: Any) -> None:
    serve = commands.add_parser(
        COMMAND,
        help="serve the app to a web browser (loopback only unless --allow-remote)",
        description=(
            "Serve cco-unlink to a web browser until Ctrl-C. Each browser tab runs its own app "
            "with these settings. It listens on this machine only; from elsewhere, use an SSH "
            "tunnel: ssh -L 8000:127.0.0.1:8000 HOST, then open http://127.0.0.1:8000."
        ),
    )
    serve.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (8000)")
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host beyond loopback: anyone who reaches it acts as you, unencrypted",
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use, when not http://HOST:PORT (a tunnel's other port)",
    )


def app_command(settings: Settings, arguments: argparse.Namespace) -> str:
    """The command each browser session runs: this Python, this package, the same settings."""
    words = [sys.executable, "-m", "cco_unlink"]
    if settings.source:
        words += ["--settings", settings.source]
    for flag in ("procore_url", "connector_url", "client_id", "company_id"):
        value = getattr(arguments, flag)
        if value is not None:
            words += [f"--{flag.replace('_', '-')}", str(value)]
    return shlex.join(words)


def public_url(arguments: argparse.Namespace) -> str:
    if arguments.public_url:
        check_url("--public-url", arguments.public_url, carries_secrets=False)
        return str(arguments.public_url).rstrip("/")
    host = f"[{arguments.host}]" if ":" in arguments.host else arguments.host
    return f"http://{host}:{arguments.port}"


def origin_allowed(origin: str | None, public: str) -> bool:
    """Whether a WebSocket opened from a page at `origin` may drive the app.

    Browsers always send Origin with a WebSocket; a client that sends none is no web page. The
    page this server hands out is at `public`; on loopback, localhost and 127.0.0.1 are one.
    """
    if origin is None:
        return True
    try:
        asked, served = urlsplit(origin), urlsplit(public)
        asked_port = asked.port or (443 if asked.scheme == "https" else 80)
        served_port = served.port or (443 if served.scheme == "https" else 80)
    except ValueError:
        return False
    if (asked.scheme, asked_port) != (served.scheme, served_port):
        return False
    if asked.hostname == served.hostname:
        return True
    return bool(
        asked.hostname
        and served.hostname
        and is_loopback(asked.hostname)
        and is_loopback(served.hostname)
    )


def check_address(arguments: argparse.Namespace) -> None:
    if not 0 < arguments.port < 65536:
        raise SettingsError(f"--port must be from 1 to 65535, not {arguments.port}.")
    if is_loopback(arguments.host):
        return
    if not arguments.allow_remote:
        raise SettingsError(
            f"--host {arguments.host} reaches beyond this machine, and whoever connects acts as "
            "you in Procore, with no password. Use an SSH tunnel instead (README), or add "
            "--allow-remote to mean it."
        )
    print(
        f"cco-unlink: warning: serving on {arguments.host}:{arguments.port}, beyond this "
        "machine. Anyone who can reach it uses cco-unlink with this machine's Procore sign-in "
        "and QuickBooks connector token, with no password, over unencrypted HTTP.",
        file=sys.stderr,
    )


def run(settings: Settings, arguments: argparse.Namespace) -> int:
    check_address(arguments)
    url = public_url(arguments)
    from aiohttp import web
    from textual_serve.server import Server

    class CcoUnlinkServer(Server):
        sessions: ClassVar[set[asyncio.Task[object]]] = set()

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            if not origin_allowed(request.headers.get("Origin"), self.public_url):
                raise web.HTTPForbidden(text="This page's origin may not open cco-unlink.")
            session = asyncio.current_task()
            assert session is not None
            self.sessions.add(session)
            try:
                return await super().handle_websocket(request)
            finally:
                self.sessions.discard(session)

        async def on_shutdown(self, app: web.Application) -> None:
            # Ctrl-C with tabs open: end each session's app (the handler tells it to quit and
            # waits for it) while the event loop still runs, so no child outlives its loop.
            for session in list(self.sessions):
                session.cancel()
            if self.sessions:
                await asyncio.wait(self.sessions, timeout=10)

    server = CcoUnlinkServer(
        app_command(settings, arguments),
        host=arguments.host,
        port=arguments.port,
        title=TITLE,
        public_url=url,
    )
    print(f"cco-unlink: open {url} in a browser; Ctrl-C stops.", file=sys.stderr, flush=True)
    server.serve()
    return 0
