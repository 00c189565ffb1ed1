"""`cco-unlink connector`: serve the QuickBooks Web Connector's SOAP service and cco-unlink's
qbXML endpoint; `connector qwc` writes the file the Web Connector takes; `set-password` and
`set-token` keep the two secrets, hashed.

The connector reads the same settings file as the rest of cco-unlink ([connector] there), so one
documented file configures an installation; the connector package itself never sees the settings
machinery: this module hands it plain values.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cco_unlink import exit_codes
from services import locations
from services.errors import SettingsError
from services.settings import ConnectorSettings, Settings, replace
from services.urls import is_loopback

if TYPE_CHECKING:
    from connector.config import ConnectorConfig
    from connector.state import ConnectorState

COMMAND = "connector"
MIN_SECRET_LENGTH = 12
QWC_DESCRIPTION = (
    "Lets cco-unlink ask QuickBooks Desktop whether a Procore CCO is still on its purchase "
    "order, and delete its lines when asked."
)

log = logging.getLogger(__name__)


def add_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        COMMAND,
        help="serve the QuickBooks Web Connector (on the QuickBooks machine)",
        description=(
            "Serve the service the QuickBooks Web Connector polls, and the qbXML endpoint "
            "cco-unlink asks, until Ctrl-C. Set the password and token first."
        ),
    )
    parser.add_argument("--host", help="address to listen on (default [connector] host)")
    parser.add_argument("--port", type=int, help="port (default [connector] port)")
    parser.add_argument("--cert", metavar="PEM", help="certificate: serve https")
    parser.add_argument("--key", metavar="PEM", help="the certificate's private key")
    actions = parser.add_subparsers(dest="connector_action", metavar="ACTION")
    qwc = actions.add_parser(
        "qwc",
        help="write the .qwc file to add to the QuickBooks Web Connector",
        description="Write the .qwc file; its OwnerID and FileID stay the same from run to run.",
    )
    qwc.add_argument(
        "--output", "-o", metavar="FILE", default="cco-unlink.qwc", help="'-' for stdout"
    )
    actions.add_parser(
        "set-password",
        help="set the password the Web Connector signs in with (kept hashed)",
        description="Type the password twice; it is kept as an scrypt hash, never in clear.",
    )
    actions.add_parser(
        "set-token",
        help="set the token cco-unlink presents (kept hashed)",
        description=(
            "Type the token twice; give cco-unlink the same one (QUICKBOOKS_CONNECTOR_TOKEN). "
            "It is kept as an scrypt hash, never in clear."
        ),
    )


def run(settings: Settings, arguments: argparse.Namespace) -> int:
    action = arguments.connector_action
    if action in ("set-password", "set-token"):
        return _set_secret(action)
    configured = _with_flags(settings.connector, arguments)
    if action == "qwc":
        return _write_qwc(configured, arguments.output)
    return _serve(configured)


def _with_flags(configured: ConnectorSettings, arguments: argparse.Namespace) -> ConnectorSettings:
    changes = {
        key: value
        for key, value in (
            ("host", arguments.host),
            ("port", arguments.port),
            ("cert_file", arguments.cert),
            ("key_file", arguments.key),
        )
        if value is not None
    }
    configured = replace(configured, **changes)
    if not 0 <= configured.port <= 65535:
        raise SettingsError(f"--port must be from 0 to 65535, not {configured.port}.")
    if bool(configured.cert_file) != bool(configured.key_file):
        raise SettingsError("https needs both a certificate and its key (--cert and --key).")
    for path in (configured.cert_file, configured.key_file):
        if path and not Path(path).expanduser().is_file():
            raise SettingsError(f"No such file: {path}")
    return configured


def _state() -> ConnectorState:
    from connector import state

    try:
        return state.load(locations.connector_state_file())
    except state.StateFileError as error:
        raise SettingsError(str(error)) from None


def _set_secret(action: str) -> int:
    from connector import state
    from connector.credentials import hash_secret

    what = "password" if action == "set-password" else "token"
    secret = _read_secret(what)
    current = _state()
    hashed = hash_secret(secret)
    updated = (
        # The connector's own state is a dataclass (connector/state.py), not a settings Struct.
        dataclasses.replace(current, password_hash=hashed)
        if what == "password"
        else dataclasses.replace(current, token_hash=hashed)
    )
    state.save(locations.connector_state_file(), updated)
    log.info("The connector's %s was changed", what)
    print(f"The connector's {what} is set (kept hashed in {locations.connector_state_file()}).")
    return exit_codes.OK


def _read_secret(what: str) -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(f"New {what}: ")
        if getpass.getpass(f"The {what} again: ") != first:
            raise SettingsError(f"The two {what}s differ; nothing was changed.")
    else:
        first = sys.stdin.readline().rstrip("\r\n")
    if len(first) < MIN_SECRET_LENGTH or first.strip() != first:
        raise SettingsError(
            f"The {what} must be at least {MIN_SECRET_LENGTH} characters, without spaces at "
            "either end; nothing was changed."
        )
    return first


def _app_url(configured: ConnectorSettings) -> str:
    from connector.config import SOAP_PATH

    if configured.app_url:
        return configured.app_url
    scheme = "https" if configured.cert_file else "http"
    # The Web Connector takes plain http for "localhost" only.
    host = "localhost" if is_loopback(configured.host) else configured.host
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{configured.port}{SOAP_PATH}"


def _write_qwc(configured: ConnectorSettings, output: str) -> int:
    from connector import state
    from connector.config import SOAP_PATH, SUPPORT_PATH
    from connector.qwc import QwcFile

    app_url = _app_url(configured)
    if app_url.startswith("http://") and "//localhost" not in app_url:
        raise SettingsError(
            f"The Web Connector calls http only on localhost, not {app_url}: serve https "
            "([connector] cert_file and key_file, or --cert/--key) or set [connector] app_url."
        )
    current = _state()
    kept = current.with_ids()
    if kept != current:
        state.save(locations.connector_state_file(), kept)
    qwc = QwcFile(
        app_name=configured.app_name,
        app_url=app_url,
        app_description=QWC_DESCRIPTION,
        app_support=configured.app_support or app_url.removesuffix(SOAP_PATH) + SUPPORT_PATH,
        username=configured.username,
        owner_id=configured.owner_id or kept.owner_id,
        file_id=configured.file_id or kept.file_id,
        run_every_seconds=configured.run_every_seconds,
    )
    document = qwc.document()
    if output == "-":
        sys.stdout.write(document.decode())
    else:
        Path(output).expanduser().write_bytes(document)
        print(f"Wrote {output}: add it to the QuickBooks Web Connector (Add an application).")
    return exit_codes.OK


def connector_config(configured: ConnectorSettings, current: ConnectorState) -> ConnectorConfig:
    from connector.config import ConnectorConfig
    from connector.credentials import Credentials

    return ConnectorConfig(
        credentials=Credentials(current.password_hash, current.token_hash),
        username=configured.username,
        journal_path=locations.connector_journal_file(configured.journal),
        poll_wait_seconds=configured.poll_wait_seconds,
        answer_wait_seconds=configured.answer_wait_seconds,
        company_file=configured.company_file,
        qbxml_version=configured.qbxml_version,
    )


def _serve(configured: ConnectorSettings) -> int:
    from connector.server import ConnectorServer

    current = _state()
    missing = [
        (what, f"'cco-unlink connector {command}'")
        for what, command, value in (
            ("password", "set-password", current.password_hash),
            ("token", "set-token", current.token_hash),
        )
        if not value
    ]
    if missing:
        whats, commands = zip(*missing, strict=True)
        raise SettingsError(
            f"The connector has no {' and no '.join(whats)} yet: run "
            f"{' and '.join(commands)} first."
        )
    if not configured.cert_file and not is_loopback(configured.host):
        raise SettingsError(
            f"Serving on {configured.host}, beyond this machine, needs https: the password and "
            "token would cross the network in clear. Give --cert and --key (README, TLS)."
        )
    config = connector_config(configured, current)
    server = ConnectorServer(
        config,
        configured.host,
        configured.port,
        cert_file=Path(configured.cert_file).expanduser() if configured.cert_file else None,
        key_file=Path(configured.key_file).expanduser() if configured.key_file else None,
    )
    try:
        server.bind()
    except OSError as error:
        raise SettingsError(
            f"The connector cannot listen on {configured.host} port {configured.port}: "
            f"{error.strerror or error}."
        ) from None
    _log_warnings_to_stderr()
    for orphan in server.broker.orphans:
        print(
            f"Request {orphan} was with QuickBooks when the connector last stopped: its outcome "
            "is unknown and it will not be sent again (see the journal).",
            file=sys.stderr,
        )
    print(f"Web Connector service: {server.soap_url}", flush=True)
    print(f"cco-unlink's connector_url: {server.qbxml_url}", flush=True)
    print(f"Journal: {config.journal_path}. Ctrl-C stops.", flush=True)
    server.serve_forever()
    return exit_codes.OK


def _log_warnings_to_stderr() -> None:
    """A service's operator watches its console: warnings (no poll, QuickBooks closed) show."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.getLogger("connector").addHandler(handler)
