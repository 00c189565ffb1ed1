"""Cancellation cannot lose credentials: a refresh token is single-use and a code is good once, so
a caller cancelled while either is in flight must not leave the new pair unsaved."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable
from pathlib import Path

import httpx

from sandbox import SandboxServer, inspect
from services.backend import Backend, Target
from services.procore.auth import AuthorizationCode
from services.procore.client import ProcoreClient
from services.procore.endpoints import TOKEN
from services.procore.tokens import TokenStore
from tests.procore.oauth_steps import approve
from tests.tui.conftest import settle
from tui.app import CcoUnlinkApp
from tui.screens.sign_in import SignInScreen


class SlowTokenAnswers(httpx.AsyncBaseTransport):
    """Lets each token request reach the sandbox (which spends the old refresh token or the
    code at once), then holds its answer back a moment: the window in which a caller is
    cancelled."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.token_sent = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path == TOKEN:
            await response.aread()
            self.token_sent.set()
            await asyncio.sleep(0.3)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _signed_in(sandbox: SandboxServer, store: TokenStore) -> AuthorizationCode:
    credentials = AuthorizationCode("admin", "sandbox", sandbox.base_url, store)
    async with httpx.AsyncClient() as http:
        await credentials.exchange(http, approve(credentials.authorize_url()))
    return credentials


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_refresh_whose_caller_is_cancelled_keeps_the_person_signed_in(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    await _signed_in(sandbox, store)
    spent = store.load("admin")
    assert spent is not None
    store.save(dataclasses.replace(spent, expires_at=0.0))  # due for a refresh
    credentials = AuthorizationCode("admin", "sandbox", sandbox.base_url, store)
    wire = SlowTokenAnswers()
    client = ProcoreClient(sandbox.base_url, credentials, http=httpx.AsyncClient(transport=wire))
    try:
        caller = asyncio.ensure_future(client.me())
        await wire.token_sent.wait()  # Procore has spent the old refresh token
        caller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await caller
        assert caller.cancelled()  # the case was met: cancelled with the answer in flight

        await _until(lambda: credentials.refreshes == 1)
        kept = store.load("admin")
        assert kept is not None and kept.refresh_token != spent.refresh_token
        me = await client.me()  # still signed in: no sign-in asked for
    finally:
        await client.aclose()
    assert me.login == "admin"
    assert credentials.refreshes == 1
    assert len(inspect.issued_pairs(sandbox.config.data_file)) == 2


async def test_callers_at_once_share_one_refresh_even_when_one_is_cancelled(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    await _signed_in(sandbox, store)
    spent = store.load("admin")
    assert spent is not None
    store.save(dataclasses.replace(spent, expires_at=0.0))
    credentials = AuthorizationCode("admin", "sandbox", sandbox.base_url, store)
    wire = SlowTokenAnswers()
    client = ProcoreClient(sandbox.base_url, credentials, http=httpx.AsyncClient(transport=wire))
    try:
        first = asyncio.ensure_future(client.me())
        second = asyncio.ensure_future(client.companies())
        await wire.token_sent.wait()
        first.cancel()
        companies = await second
    finally:
        await client.aclose()
    assert first.cancelled() and companies
    assert credentials.refreshes == 1
    assert len(inspect.issued_pairs(sandbox.config.data_file)) == 2


async def test_a_code_exchange_whose_caller_is_cancelled_still_keeps_the_sign_in(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    credentials = AuthorizationCode("admin", "sandbox", sandbox.base_url, store)
    wire = SlowTokenAnswers()
    async with httpx.AsyncClient(transport=wire) as http:
        caller = asyncio.ensure_future(
            credentials.exchange(http, approve(credentials.authorize_url()))
        )
        await wire.token_sent.wait()  # the code is spent
        caller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await caller
        assert caller.cancelled()
        await _until(lambda: store.load("admin") is not None)
    assert credentials.signed_in


async def test_enter_pressed_again_while_signing_in_does_not_spend_the_code_twice(
    sandbox: SandboxServer, make_target: Callable[..., Target], tmp_path: Path
) -> None:
    token_file = tmp_path / "tokens" / "embedded-sandbox.json"
    backend = Backend(make_target(grant="authorization_code", token_file=token_file))
    app = CcoUnlinkApp(backend)
    async with app.run_test(size=(180, 40)) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, SignInScreen)
        code = approve(
            str(screen.query_one("#sign-in-code").parent.query_one("#sign-in-url").render())
        )
        field = screen.query_one("#sign-in-code")
        field.value = code  # type: ignore[attr-defined]
        await pilot.press("enter")
        assert field.disabled  # Enter is off while the code is exchanged
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, SignInScreen)
    assert len(inspect.issued_pairs(sandbox.config.data_file)) == 1
    assert TokenStore(token_file).load("admin") is not None
