"""The embedded demo's real chain: the client → the connector → the simulated Web Connector
(sandbox/web_connector.py) → the sandbox's simulated QuickBooks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cco_unlink.targets import embedded_sandbox, target_for
from cco_unlink.web_connector_chain import web_connector_chain
from sandbox import SandboxServer, inspect
from services.backend import Backend, Target
from services.models import OutcomeKind
from services.settings import Settings, replace
from tests.helpers import demo_cco_id, is_linked, load_rows


async def test_unlinking_through_the_chain_checks_quickbooks_via_the_web_connector(
    sandbox: SandboxServer, make_target: Callable[..., Target], sandbox_data: Path, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    present = demo_cco_id(sandbox_data, in_quickbooks=True)
    with web_connector_chain(sandbox.base_url, journal, every_seconds=0.1) as connector_url:
        backend = Backend(make_target(connector_url=connector_url))
        try:
            rows = await load_rows(backend)
            refused = await backend.unlink(rows[present])
            unlinked = await backend.unlink(rows[gone])
        finally:
            await backend.aclose()
    assert refused.kind is OutcomeKind.STILL_IN_QUICKBOOKS
    assert unlinked.kind is OutcomeKind.UNLINKED
    assert is_linked(sandbox_data, present) and not is_linked(sandbox_data, gone)
    events = [json.loads(line)["event"] for line in journal.read_text().splitlines()]
    assert events == ["sent", "answered", "sent", "answered"]


async def test_quickbooks_closed_behind_the_web_connector_fails_closed(
    sandbox: SandboxServer, make_target: Callable[..., Target], sandbox_data: Path, tmp_path: Path
) -> None:
    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    sandbox.faults.quickbooks_closed = True
    with web_connector_chain(
        sandbox.base_url, tmp_path / "journal.jsonl", every_seconds=0.1
    ) as connector_url:
        backend = Backend(make_target(connector_url=connector_url))
        try:
            outcome = await backend.unlink((await load_rows(backend))[gone])
        finally:
            await backend.aclose()
    assert outcome.kind is OutcomeKind.QUICKBOOKS_UNREACHABLE
    assert "Could not start QuickBooks" in outcome.message
    assert "0x80040408" in outcome.message
    assert is_linked(sandbox_data, gone)


async def test_via_web_connector_the_embedded_sandbox_puts_the_chain_in_front(
    sandbox_data: Path,
) -> None:
    settings = Settings()
    settings = replace(
        settings,
        quickbooks=replace(settings.quickbooks, via="web-connector"),
        sandbox=replace(settings.sandbox, data_file=str(sandbox_data)),
    )
    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    with embedded_sandbox(settings, reset=False) as sandbox:
        assert sandbox is not None
        target = target_for(settings, sandbox)
        assert target.connector_url == sandbox.connector_url
        assert not target.connector_url.startswith(sandbox.base_url)
        backend = Backend(target)
        try:
            outcome = await backend.unlink((await load_rows(backend))[gone])
        finally:
            await backend.aclose()
    assert outcome.kind is OutcomeKind.UNLINKED
    assert inspect.cco_link(sandbox_data, gone) == (None, None)
    journal = sandbox_data.with_name("sandbox-connector-journal.jsonl")
    assert '"event":"answered"' in journal.read_text()
