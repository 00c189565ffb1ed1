"""A person's sign-in end to end: the sign-in screen after a revoked sign-in, and `cco-unlink
login` / `logout` on the command line, each against the sandbox on loopback."""

from __future__ import annotations

import argparse
import io
import re
import stat
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from textual.content import Content
from textual.style import Style

from cco_unlink import exit_codes, headless
from cco_unlink.login import run_login_command
from sandbox import SandboxServer, inspect
from services import messages
from services.backend import Backend, Target
from services.errors import SettingsError
from services.procore.tokens import TokenStore
from services.settings import SandboxSettings, Settings, replace
from tests.helpers import is_linked
from tests.procore.oauth_steps import approve
from tests.tui.conftest import notifications, screen_of, settle, unlink
from tui.app import CcoUnlinkApp
from tui.screens.sign_in import SignInScreen
from tui.widgets.app_header import AppHeader


async def test_a_revoked_sign_in_opens_the_sign_in_screen_and_signing_in_loads_the_list(
    sandbox: SandboxServer, make_target: Callable[..., Target], tmp_path: Path
) -> None:
    token_file = tmp_path / "tokens" / "embedded-sandbox.json"
    target = make_target(grant="authorization_code", token_file=token_file)
    backend = Backend(target)
    assert backend.sign_in is not None
    async with httpx.AsyncClient() as http:
        await backend.sign_in.exchange(http, approve(backend.sign_in.authorize_url()))
        kept = TokenStore(token_file).load("admin")
        assert kept is not None
        await http.post(f"{sandbox.base_url}/oauth/revoke", data={"token": kept.refresh_token})

    app = CcoUnlinkApp(backend)
    async with app.run_test(size=(180, 40), notifications=True) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, SignInScreen)  # not a crash, not a dead-end toast
        shown = str(screen.query_one("#sign-in-url").render())
        assert shown.startswith(f"{sandbox.base_url}/oauth/authorize?")
        assert "redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob" in shown
        assert "expired or was revoked" in str(screen.query_one("#sign-in-reason").render())

        # A wrong code keeps the screen open and says why.
        await pilot.click("#sign-in-code")
        await pilot.press(*"not-a-code", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SignInScreen)
        assert "refused the code" in str(pilot.app.screen.query_one("#sign-in-problem").render())

        code = approve(shown, login="admin")
        screen.query_one("#sign-in-code").value = code  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        list_screen = screen_of(pilot)
        assert list_screen.table.row_count == len(
            [c for c in inspect.synced_ccos(sandbox.config.data_file) if c.company_id == 5200001]
        )
        assert "admin" in list_screen.query_one(AppHeader).account
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    pairs = inspect.issued_pairs(sandbox.config.data_file)
    assert [p.user_login for p in pairs] == ["admin", "admin"]
    assert pairs[0].access_revoked and pairs[0].refresh_revoked and not pairs[1].access_revoked


def test_login_and_logout_on_the_command_line(sandbox_data: Path, tmp_path: Path) -> None:
    settings = Settings(sandbox=SandboxSettings(data_file=str(sandbox_data)))
    settings = replace(settings, procore=replace(settings.procore, grant="authorization_code"))
    said: list[str] = []

    def ask(prompt: str) -> str:
        url = next(line.strip() for line in said if "/oauth/authorize?" in line)
        return approve(url, login="no-push")

    status = run_login_command(
        settings, argparse.Namespace(command="login", code=None), ask=ask, say=said.append
    )
    assert status == 0, said
    assert any("as No Push" in line or "(no-push)" in line for line in said), said
    kept_line = next(line for line in said if "kept in" in line)
    token_file = Path(re.search(r"kept in (\S+),", kept_line)[1])  # type: ignore[index]
    assert token_file.name == "embedded-sandbox.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert "access_token" not in " ".join(said)  # the tokens are never printed

    status = run_login_command(settings, argparse.Namespace(command="logout"), say=said.append)
    assert status == 0
    assert said[-1].startswith("Signed out:") and "revoked at Procore" in said[-1]
    assert not token_file.exists()
    assert all(p.access_revoked for p in inspect.issued_pairs(sandbox_data))


def test_login_with_a_bad_code_fails_clearly(sandbox_data: Path) -> None:
    settings = Settings(sandbox=SandboxSettings(data_file=str(sandbox_data)))
    settings = replace(settings, procore=replace(settings.procore, grant="authorization_code"))
    said: list[str] = []
    status = run_login_command(
        settings, argparse.Namespace(command="login", code="wrong"), say=said.append
    )
    assert status == 1
    assert said[-1].startswith("Not signed in: Procore refused the code")


async def test_a_sign_in_revoked_before_an_unlink_opens_the_sign_in_then_the_unlink_goes_through(
    sandbox: SandboxServer, make_target: Callable[..., Target], tmp_path: Path
) -> None:
    token_file = tmp_path / "tokens" / "embedded-sandbox.json"
    backend = Backend(make_target(grant="authorization_code", token_file=token_file))
    assert backend.sign_in is not None
    data_file = sandbox.config.data_file
    gone = min(c.id for c in inspect.synced_ccos(data_file) if not c.in_quickbooks)
    async with httpx.AsyncClient() as http:
        await backend.sign_in.exchange(http, approve(backend.sign_in.authorize_url()))

    app = CcoUnlinkApp(backend)
    async with app.run_test(size=(180, 40), notifications=True) as pilot:
        await settle(pilot)
        kept = TokenStore(token_file).load("admin")
        assert kept is not None
        async with httpx.AsyncClient() as http:
            await http.post(f"{sandbox.base_url}/oauth/revoke", data={"token": kept.refresh_token})

        await unlink(pilot, gone)
        [toast] = notifications(pilot)
        assert toast.severity == "error" and "Nothing was changed" in toast.message
        assert isinstance(pilot.app.screen, SignInScreen)
        assert is_linked(data_file, gone)

        url = str(pilot.app.screen.query_one("#sign-in-url").render())
        pilot.app.screen.query_one("#sign-in-code").value = approve(url)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        await unlink(pilot, gone)
        assert notifications(pilot)[-1].message.startswith("Successfully Unlinked\n")
    assert not is_linked(data_file, gone)


async def test_a_persons_cached_list_is_never_shown_to_the_next_person(
    make_target: Callable[..., Target], tmp_path: Path
) -> None:
    cache = tmp_path / "list-cache.sqlite3"
    token_file = tmp_path / "tokens" / "embedded-sandbox.json"

    async def signed_in_as(login: str) -> Backend:
        backend = Backend(
            make_target(grant="authorization_code", token_file=token_file, cache_path=cache)
        )
        assert backend.sign_in is not None
        async with httpx.AsyncClient() as http:
            await backend.sign_in.exchange(http, approve(backend.sign_in.authorize_url(), login))
        return backend

    first = await signed_in_as("admin")
    try:
        await first.connect()
        assert [cco async for batch, _ in first.synced_ccos() for cco in batch]
        assert await first.cached_list() is not None
    finally:
        await first.aclose()

    second = await signed_in_as("no-push")
    try:
        assert await second.cached_list() is None  # before signing in: nobody's list
        await second.connect()
        assert await second.cached_list() is None  # signed in as someone else: not admin's
    finally:
        await second.aclose()


def test_login_refuses_to_send_the_secret_over_plain_http_beyond_this_machine() -> None:
    settings = Settings()
    settings = replace(
        settings,
        backend=replace(settings.backend, mode="remote"),
        procore=replace(
            settings.procore,
            environment="custom",
            base_url="http://procore.example.com",
            client_secret="not-to-be-sent",
        ),
        quickbooks=replace(
            settings.quickbooks, connector_url="https://qb.example.com/qbxml", token="t"
        ),
    )
    said: list[str] = []
    with pytest.raises(SettingsError, match="must use https:// beyond this machine"):
        run_login_command(settings, argparse.Namespace(command="login", code="x"), say=said.append)
    assert said == []  # nothing was sent, nothing was asked


async def test_a_headless_command_without_a_sign_in_says_to_run_login(
    make_target: Callable[..., Target], tmp_path: Path
) -> None:
    """There is no address to open and nowhere to paste a code in `list`: it names the command."""
    target = make_target(grant="authorization_code", token_file=tmp_path / "none.json")
    backend = Backend(target)
    out, err = io.StringIO(), io.StringIO()
    try:
        status = await headless.list_command(backend, None, False, out, err)
    finally:
        await backend.aclose()
    assert status == exit_codes.PROCORE_FAILED
    said = err.getvalue()
    assert "cco-unlink login" in said, said
    assert "paste the code" not in said and "address shown" not in said
    assert out.getvalue() == ""


async def test_with_no_sign_in_yet_the_screen_asks_with_the_address_as_a_link(
    make_target: Callable[..., Target], tmp_path: Path
) -> None:
    """At 80 columns the address wraps; as a link (OSC 8) the terminal still opens it whole."""
    backend = Backend(make_target(grant="authorization_code", token_file=tmp_path / "none.json"))
    async with CcoUnlinkApp(backend).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, SignInScreen)
        assert messages.SIGN_IN_NEEDED in str(screen.query_one("#sign-in-reason").render())
        content = screen.query_one("#sign-in-url").render()
        assert isinstance(content, Content)
        address = str(content)
        assert "/oauth/authorize?" in address
        assert {span.style.link for span in content.spans if isinstance(span.style, Style)} == {
            address
        }
