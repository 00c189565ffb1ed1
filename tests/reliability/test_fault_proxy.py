"""The chaos test's proxy does what each of its faults says, so a chaos run that counts a fault
has met it: checked here one fault at a time, against the shared sandbox."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import httpx
import pytest

from sandbox import SandboxServer, inspect
from sandbox.demo import SUMMIT_COMPANY_ID
from tests.helpers import demo_cco_id
from tests.reliability.fault_proxy import (
    Fault,
    FaultProxy,
    Kill,
    KillPlan,
    WireFaults,
    WireLog,
)

TOKEN = {"grant_type": "client_credentials", "client_id": "admin", "client_secret": "sandbox"}
# What the client sees of each fault on a sign-in (a POST that changes nothing in Procore's data).
SEEN: dict[Fault, str] = {
    Fault.NONE: "200 json",
    Fault.DROP_BEFORE: "RemoteProtocolError",
    Fault.UNAVAILABLE: "503 html",
    Fault.DROP_AFTER: "RemoteProtocolError",
    Fault.SILENCE: "ReadTimeout",
    Fault.TRUNCATED: "RemoteProtocolError",
    Fault.CORRUPTED: "200 not json",
    Fault.FALSE_GZIP: "DecodingError",
    Fault.DRIP: "200 json",
    Fault.BAD_GATEWAY: "502 html",
}


async def _seen(sandbox: SandboxServer, fault: Fault, log: WireLog) -> tuple[str, float]:
    faults = WireFaults(reads={fault: 100}, changes={}, drip_every_s=0.05, drip_for_s=0.6)
    async with (
        FaultProxy((sandbox.host, sandbox.port), faults, random.Random(1), log) as proxy,
        httpx.AsyncClient(base_url=proxy.url, timeout=0.4) as http,
    ):
        started = asyncio.get_running_loop().time()
        try:
            answer = await http.post("/oauth/token", data=TOKEN)
        except httpx.HTTPError as error:
            return type(error).__name__, asyncio.get_running_loop().time() - started
        elapsed = asyncio.get_running_loop().time() - started
    try:
        answer.json()
        body = "json"
    except ValueError:
        body = "html" if answer.headers["content-type"] == "text/html" else "not json"
    return f"{answer.status_code} {body}", elapsed


@pytest.mark.reads_only
@pytest.mark.parametrize("fault", list(Fault))
async def test_each_fault_reaches_the_client_as_itself(
    sandbox: SandboxServer, fault: Fault
) -> None:
    log = WireLog()
    seen, elapsed = await _seen(sandbox, fault, log)
    assert seen == SEEN[fault]
    assert log.faults == {fault: 1} and log.requests == 1
    if fault is Fault.DRIP:
        # Each read came within the 0.4 s timeout; the whole took longer than it.
        assert elapsed >= 0.5


def _header_linked(data_file: Path, cco_id: int) -> bool:
    return inspect.cco_link(data_file, cco_id)[0] is not None


async def test_a_lost_answer_to_an_applied_change_is_counted_and_a_kill_fires_on_the_change(
    sandbox: SandboxServer, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    path = f"/rest/v1.0/companies/{SUMMIT_COMPANY_ID}/external_data"
    body = [{"item_type": "change_order", "item_id": cco_id, "origin_id": None}]
    refused = [{"item_type": "Nope", "item_id": cco_id, "origin_id": None}]  # 422
    log = WireLog()
    kills: list[str] = []
    upstream = (sandbox.host, sandbox.port)
    calm = WireFaults(reads={}, changes={})
    lossy = WireFaults(reads={}, changes={Fault.DROP_AFTER: 100})
    kill = KillPlan(Kill.BEFORE_FORWARDING, at_change=True)
    async with (
        FaultProxy(upstream, lossy, random.Random(1), log) as losing,
        FaultProxy(
            upstream, calm, random.Random(1), log, kill=kill, on_kill=lambda: kills.append("")
        ) as killing,
        httpx.AsyncClient() as http,
    ):
        token = (await http.post(f"{losing.url}/oauth/token", data=TOKEN)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Procore-Company-Id": str(SUMMIT_COMPANY_ID)}
        # Killed as the change arrives: it never reaches Procore.
        assert (await http.get(f"{killing.url}/rest/v1.0/me", headers=headers)).is_success
        with pytest.raises(httpx.RemoteProtocolError):
            await http.patch(f"{killing.url}{path}", json=body, headers=headers)
        assert _header_linked(sandbox_data, cco_id) and kills == [""]
        # Applied, and its answer lost: counted, as a refused change is not.
        with pytest.raises(httpx.RemoteProtocolError):
            await http.patch(f"{losing.url}{path}", json=refused, headers=headers)
        assert log.lost_change_answers == []
        with pytest.raises(httpx.RemoteProtocolError):
            await http.patch(f"{losing.url}{path}", json=body, headers=headers)
    assert not _header_linked(sandbox_data, cco_id)  # applied
    assert log.lost_change_answers == [f"PATCH {path}"]
    assert log.kills == [f"before_forwarding PATCH {path}"]
