"""The whole real chain, driven from the screen: cco-unlink (the real client and app) → the
connector → a Web Connector made by zeep from Intuit's WSDL → the sandbox's simulated QuickBooks.
Every qbXML request QuickBooks is handed is checked against Intuit's schema."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from connector.config import ConnectorConfig
from connector.server import ConnectorServer
from sandbox import SandboxServer, inspect
from services import messages
from services.backend import Backend, Target
from tests.connector.conftest import PASSWORD, TOKEN
from tests.connector.zeep_web_connector import QuickBooks, ZeepWebConnector, simulated_quickbooks
from tests.helpers import demo_cco_id, is_linked
from tests.tui.conftest import delete_in_quickbooks, notifications, screen_of, settle, unlink
from tui.app import CcoUnlinkApp


@pytest.fixture
def chain_connector(make_config: Callable[..., ConnectorConfig]) -> Iterator[ConnectorServer]:
    with ConnectorServer(make_config(poll_wait_seconds=1.0)) as server:
        yield server


def _checked(quickbooks: QuickBooks, schema: Any, handed: list[str]) -> QuickBooks:
    def ask(request: str) -> tuple[str, str, str]:
        document = etree.fromstring(request.encode("utf-8"))
        assert schema.validate(document), schema.error_log
        handed.append(document.find("QBXMLMsgsRq")[0].tag)
        return quickbooks(request)

    return ask


async def test_refused_then_deleted_then_unlinked_through_the_web_connector(
    sandbox: SandboxServer,
    sandbox_data: Path,
    chain_connector: ConnectorServer,
    make_target: Callable[..., Target],
    qbxml_schema: Any,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    isolated_home: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    demo = next(c for c in inspect.synced_ccos(sandbox_data) if c.id == cco_id)
    handed: list[str] = []
    web_connector = ZeepWebConnector(chain_connector.soap_url, password=PASSWORD)
    quickbooks = _checked(simulated_quickbooks(sandbox.connector_url), qbxml_schema, handed)
    target = make_target(connector_url=chain_connector.qbxml_url, connector_token=TOKEN)
    app = CcoUnlinkApp(Backend(target))
    with web_connector.polling(quickbooks, every=0.1):
        async with app.run_test(size=(180, 40), notifications=True) as pilot:
            await settle(pilot)
            await unlink(pilot, cco_id)
            assert notifications(pilot)[-1].message.startswith(messages.STILL_IN_QUICKBOOKS)
            assert notifications(pilot)[-1].severity == "error"
            assert is_linked(sandbox_data, cco_id)

            await delete_in_quickbooks(pilot, cco_id, sandbox_data)
            assert notifications(pilot)[-1].message.startswith("Deleted in QuickBooks® Desktop")

            await unlink(pilot, cco_id)
            assert notifications(pilot)[-1].message.startswith("Successfully Unlinked")
            assert not screen_of(pilot).table.has_row(cco_id)

    # Procore: unlinked. QuickBooks: the CCO's lines are off its purchase order.
    assert not is_linked(sandbox_data, cco_id)
    remaining = inspect.po_line_ids(sandbox_data, demo.po_txn_id) or []
    assert not set(demo.txn_line_ids) & set(remaining)
    assert "PurchaseOrderModRq" in handed or "TxnDelRq" in handed
    journal = [
        json.loads(line) for line in chain_connector.config.journal_path.read_text().splitlines()
    ]
    sent = [entry for entry in journal if entry["event"] == "sent"]
    assert len(sent) == len(handed)  # each request went to QuickBooks once
    assert {entry["event"] for entry in journal} == {"sent", "answered"}
    audit = target.audit_path.read_text()
    assert '"action":"quickbooks_delete"' in audit and '"outcome":"unlinked"' in audit

    # Neither the Web Connector's password nor cco-unlink's token shows anywhere.
    output = capsys.readouterr()
    # zeep and its HTTP library log the Web Connector's own messages: that side types the password.
    ours = [r for r in caplog.records if not r.name.startswith(("zeep", "urllib3"))]
    assert any(r.name.startswith("connector") for r in ours)
    places = {
        "logs": "\n".join(r.getMessage() for r in ours),
        "output": output.out + output.err,
        "audit log": audit,
        "journal": chain_connector.config.journal_path.read_text(),
        **{str(path): path.read_text(errors="replace") for path in _files(isolated_home)},
    }
    for secret in (PASSWORD, TOKEN):
        for place, text in places.items():
            assert secret not in text, f"a secret shows in {place}"


def _files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


async def test_with_the_web_connector_stopped_the_unlink_fails_closed_within_the_poll_wait(
    sandbox_data: Path,
    chain_connector: ConnectorServer,
    make_target: Callable[..., Target],
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)  # would be unlinked if QuickBooks said
    target = make_target(connector_url=chain_connector.qbxml_url, connector_token=TOKEN)
    app = CcoUnlinkApp(Backend(target))
    async with app.run_test(size=(180, 40), notifications=True) as pilot:
        await settle(pilot)
        started = time.monotonic()
        await unlink(pilot, cco_id)
        took = time.monotonic() - started
        [toast] = [n for n in notifications(pilot) if n.severity == "error"]
        assert "has not polled since the connector started" in toast.message
        assert "so nothing was changed" in toast.message
        assert screen_of(pilot).table.has_row(cco_id)
    assert took < chain_connector.config.poll_wait_seconds + 3
    assert is_linked(sandbox_data, cco_id)
    assert not chain_connector.config.journal_path.exists()  # nothing went to QuickBooks
