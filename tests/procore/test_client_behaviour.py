"""The Procore client against a sandbox with tiny limits: pacing, recovery, refresh, revocation."""

from __future__ import annotations

import asyncio
import stat
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from sandbox import SandboxServer, inspect
from services.errors import ProcoreSignInRequiredError, ProcoreUnavailableError
from services.procore.auth import AuthorizationCode, ClientCredentials
from services.procore.client import ProcoreClient
from services.procore.tokens import TokenPair, TokenStore
from services.procore.transport import ProcoreTransport, RateLimitState
from tests.clock import JumpingClock
from tests.procore.conftest import StartSandbox
from tests.procore.oauth_steps import approve

PACED_REQUESTS = 200


def _recording_http(statuses: Counter[int]) -> httpx.AsyncClient:
    async def record(response: httpx.Response) -> None:
        statuses[response.status_code] += 1

    return httpx.AsyncClient(timeout=10.0, event_hooks={"response": [record]})


async def test_a_paced_run_of_hundreds_of_requests_sees_no_429(
    start_sandbox: StartSandbox,
) -> None:
    clock = JumpingClock()
    server = start_sandbox(rate_limit_per_10s=50, rate_limit_spike_window_s=1.0, clock=clock.time)
    statuses: Counter[int] = Counter()
    async with _recording_http(statuses) as http:
        client = ProcoreClient(
            server.base_url, ClientCredentials("admin", "sandbox"), http=http, clock=clock
        )
        gate = asyncio.Semaphore(4)  # as the catalog loads: a few at once

        async def one() -> None:
            async with gate:
                await client.me()

        started = clock.time()
        await asyncio.wait_for(asyncio.gather(*(one() for _ in range(PACED_REQUESTS))), 60)
        elapsed = clock.time() - started
    assert statuses[429] == 0, statuses
    assert statuses[200] == PACED_REQUESTS + 1  # and the token grant
    # It did have to wait: 200 requests at 50 a second cannot finish in under 3 s.
    assert elapsed >= 3.0


async def test_recovers_from_a_forced_429_by_waiting_for_the_reset(
    start_sandbox: StartSandbox,
) -> None:
    clock = JumpingClock()
    server = start_sandbox(rate_limit_per_10s=5, rate_limit_spike_window_s=1.0, clock=clock.time)
    statuses: Counter[int] = Counter()
    async with _recording_http(statuses) as http:
        credentials = ClientCredentials("admin", "sandbox")
        client = ProcoreClient(server.base_url, credentials, http=http, clock=clock)
        token = await credentials.access_token(http, server.base_url)
        # Someone else spends the token's window behind the client's back.
        async with httpx.AsyncClient(base_url=server.base_url) as other:
            for _ in range(5):
                await other.get("/rest/v1.0/me", headers={"Authorization": f"Bearer {token}"})
        user = await client.me()
    assert user.login == "admin"
    assert statuses[429] >= 1 and statuses[200] >= 2
    assert clock.waited >= 1.0  # until the spent window freed up


async def test_recovers_from_503_and_does_not_repeat_an_unsafe_change(
    sandbox: SandboxServer,
) -> None:
    statuses: Counter[int] = Counter()
    # Procore comes back while the client waits out the Retry-After.
    clock = JumpingClock(on_sleep=lambda _: setattr(sandbox.faults, "procore_unavailable", False))
    async with _recording_http(statuses) as http:
        client = ProcoreClient(
            sandbox.base_url, ClientCredentials("admin", "sandbox"), http=http, clock=clock
        )
        await client.me()
        sandbox.faults.procore_unavailable = True
        assert (await client.me()).login == "admin"
        assert statuses[503] == 1
        assert clock.sleeps and clock.sleeps[0] >= 1.0  # it waited out the Retry-After

        sandbox.faults.procore_unavailable = True
        before = sum(statuses.values())
        with pytest.raises(ProcoreUnavailableError):
            await client.transport.patch(
                "/rest/v1.0/companies/5200001/external_data", company_id=5200001, body=[]
            )
        sandbox.faults.procore_unavailable = False
    assert sum(statuses.values()) == before + 1  # sent once: it may not be safe to repeat


async def _signed_in(server: SandboxServer, store: TokenStore) -> AuthorizationCode:
    credentials = AuthorizationCode("admin", "sandbox", server.base_url, store)
    async with httpx.AsyncClient() as http:
        await credentials.exchange(http, approve(credentials.authorize_url(), login="admin"))
    return credentials


async def test_a_refresh_that_races_is_done_once(sandbox: SandboxServer, tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens" / "embedded-sandbox.json")
    await _signed_in(sandbox, store)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    pair = store.load("admin")
    assert pair is not None
    # Make the kept access token look spent, then let two "processes" (two credential objects on
    # one store) and many tasks in each ask for a token at once.
    store.save(TokenPair("admin", pair.access_token, pair.refresh_token, time.time() - 1, 0.0))
    first = AuthorizationCode("admin", "sandbox", sandbox.base_url, store)
    second = AuthorizationCode("admin", "sandbox", sandbox.base_url, store)
    clients = [ProcoreClient(sandbox.base_url, c) for c in (first, second)]
    users = await asyncio.gather(*(clients[i % 2].me() for i in range(20)))
    for client in clients:
        await client.aclose()
    assert {u.login for u in users} == {"admin"}
    assert first.refreshes + second.refreshes == 1
    pairs = inspect.issued_pairs(sandbox.config.data_file)
    assert len(pairs) == 2  # the sign-in and one refresh
    kept = store.load("admin")
    assert kept is not None and kept.refresh_token != pair.refresh_token


async def test_a_revoked_sign_in_asks_to_sign_in_again(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    credentials = await _signed_in(sandbox, store)
    client = ProcoreClient(sandbox.base_url, credentials)
    assert (await client.me()).login == "admin"
    kept = store.load("admin")
    assert kept is not None
    async with httpx.AsyncClient() as http:
        await http.post(f"{sandbox.base_url}/oauth/revoke", data={"token": kept.access_token})
    with pytest.raises(ProcoreSignInRequiredError):
        await client.me()
    await client.aclose()
    assert not store.path.exists()  # a dead refresh token is not kept


async def test_with_no_sign_in_the_client_asks_for_one(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    credentials = AuthorizationCode(
        "admin", "sandbox", sandbox.base_url, TokenStore(tmp_path / "none.json")
    )
    client = ProcoreClient(sandbox.base_url, credentials)
    with pytest.raises(ProcoreSignInRequiredError):
        await client.me()
    await client.aclose()
    assert inspect.issued_pairs(sandbox.config.data_file) == []


class _FixedToken:
    async def access_token(self, http: httpx.AsyncClient, base_url: str) -> str:
        return "token"

    def forget(self, access_token: str) -> None:
        pass


async def test_a_request_held_back_goes_as_soon_as_an_answer_makes_room(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every answer takes a moment and says 5 requests are left in a window resetting in a minute.
    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.2)
        reset = str(int(time.time()) + 60)
        headers = {
            "X-Rate-Limit-Limit": "10",
            "X-Rate-Limit-Remaining": "5",
            "X-Rate-Limit-Reset": reset,
        }
        return httpx.Response(200, json={}, headers=headers)

    # Without the wake-up a request held back behind a probe would wait this long.
    monkeypatch.setattr(RateLimitState, "PROBE_SECONDS", 30.0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        transport = ProcoreTransport("http://procore.test", _FixedToken(), http=http)
        # The window was used up and its reset has just passed: the next request probes it.
        transport.rate_limit.update(
            httpx.Headers(
                {
                    "X-Rate-Limit-Limit": "10",
                    "X-Rate-Limit-Remaining": "0",
                    "X-Rate-Limit-Reset": str(time.time() - 1),
                }
            )
        )
        probe = asyncio.create_task(transport.get("/rest/v1.0/me", company_id=None))
        await asyncio.sleep(0)
        held_back = asyncio.create_task(transport.get("/rest/v1.0/me", company_id=None))
        await asyncio.wait_for(asyncio.gather(probe, held_back), timeout=10)


def _window(remaining: int, reset: float) -> httpx.Headers:
    return httpx.Headers(
        {
            "X-Rate-Limit-Limit": "25",
            "X-Rate-Limit-Remaining": str(remaining),
            "X-Rate-Limit-Reset": str(reset),
        }
    )


def test_only_the_probes_own_answer_lets_the_next_request_go() -> None:
    state = RateLimitState()
    state.update(_window(1, reset=100.0))
    assert state.reserve(50.0) == 0  # the window's last request, slow to answer
    assert state.reserve(101.0) == 0  # the reset has passed: this one probes the window
    assert state.probing
    # The slow answer comes first: it describes the old window, nothing left. A sliding window
    # may have freed a single slot at the reset, which the probe has taken: a second request
    # now would be refused with a 429.
    state.finished(_window(0, reset=100.0))
    assert state.reserve(101.01) > 0
    assert state.in_flight == 1
    # The probe's answer tells the new window's budget.
    state.finished(_window(3, reset=110.0), probe=True)
    assert not state.probing
    assert state.reserve(101.2) == 0
