"""The embedded demo's real chain: cco-unlink → connector → simulated Web Connector →
the sandbox's simulated QuickBooks, all on this machine ([quickbooks] via = "web-connector").

The connector and the simulated Web Connector run in threads of this process, the sandbox in its
child: each speaks to the next over loopback HTTP exactly as on a real installation, so the demo
shows the whole path, its polling delay included.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cco_unlink.sandbox_target import CONNECTOR_PATH, SANDBOX_SECRET

POLL_EVERY_SECONDS = 1.0
POLL_WAIT_SECONDS = 5.0
ANSWER_WAIT_SECONDS = 20.0
USERNAME = "cco-unlink"


@contextmanager
def web_connector_chain(
    sandbox_url: str, journal_path: Path, *, every_seconds: float = POLL_EVERY_SECONDS
) -> Iterator[str]:
    """Run the connector and a simulated Web Connector in front of the sandbox at
    `sandbox_url`; yields the connector's qbXML URL, which takes the demo token."""
    from connector.config import ConnectorConfig
    from connector.credentials import Credentials, hash_secret
    from connector.server import ConnectorServer
    from sandbox.web_connector import SimulatedWebConnector

    demo_hash = hash_secret(SANDBOX_SECRET)
    config = ConnectorConfig(
        credentials=Credentials(password_hash=demo_hash, token_hash=demo_hash),
        username=USERNAME,
        journal_path=journal_path,
        poll_wait_seconds=max(POLL_WAIT_SECONDS, 3 * every_seconds),
        answer_wait_seconds=ANSWER_WAIT_SECONDS,
    )
    with (
        ConnectorServer(config) as server,
        SimulatedWebConnector(
            server.soap_url,
            sandbox_url + CONNECTOR_PATH,
            username=USERNAME,
            password=SANDBOX_SECRET,
            quickbooks_token=SANDBOX_SECRET,
            every_seconds=every_seconds,
        ),
    ):
        yield server.qbxml_url
