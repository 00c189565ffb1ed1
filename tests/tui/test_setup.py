"""`cco-unlink setup` driven as a person would, against the sandbox on loopback: each answer
checked where it is given, nothing written before the end, and the file it writes opens the app."""

from __future__ import annotations

import socket
import sqlite3
import stat
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.content import Content
from textual.pilot import Pilot
from textual.style import Style
from textual.widgets import Input, OptionList, Static

from cco_unlink.cli import main
from cco_unlink.targets import target_for
from sandbox import SandboxServer, demo
from services.backend import Backend
from services.settings import SECRET_KEYS, load_settings
from services.settings_writer import WrittenSettings
from services.setup import SetupSignIn
from tests.procore.oauth_steps import approve
from tests.tui.conftest import screen_of, settle
from tui.app import CcoUnlinkApp
from tui.setup.app import SetupApp
from tui.setup.screen import SetupScreen

SECRET = "sandbox"  # the sandbox's demo secret and connector token, set in the environment


@pytest.fixture(autouse=True)
def secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCORE_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("QUICKBOOKS_CONNECTOR_TOKEN", SECRET)


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "settings.toml"


@asynccontextmanager
async def run_setup(path: Path) -> AsyncIterator[Pilot[WrittenSettings]]:
    current = load_settings(path if path.exists() else None)
    app = SetupApp(current, path, lambda settings: target_for(settings, None))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)  # type: ignore[arg-type]
        yield pilot


def setup_screen(pilot: Pilot[WrittenSettings]) -> SetupScreen:
    screen = pilot.app.screen
    assert isinstance(screen, SetupScreen), type(screen)
    return screen


def shown(pilot: Pilot[WrittenSettings], selector: str) -> str:
    return str(setup_screen(pilot).query_one(selector, Static).render())


async def pick(pilot: Pilot[WrittenSettings], selector: str, option_id: str) -> None:
    choice = setup_screen(pilot).query_one(selector, OptionList)
    assert choice.has_focus, f"{selector} should have the focus"
    choice.highlighted = choice.get_option_index(option_id)
    await pilot.press("enter")
    await settle(pilot)  # type: ignore[arg-type]


async def answer(pilot: Pilot[WrittenSettings], selector: str, text: str) -> None:
    field = setup_screen(pilot).query_one(selector, Input)
    assert field.has_focus, f"{selector} should have the focus"
    field.value = text
    await pilot.press("enter")
    await settle(pilot)  # type: ignore[arg-type]


async def to_connector_step(
    pilot: Pilot[WrittenSettings], sandbox: SandboxServer, client_id: str = "admin"
) -> None:
    await pick(pilot, "#environment-choice", "custom")
    await answer(pilot, "#base-url", sandbox.base_url)
    await pick(pilot, "#grant-choice", "client_credentials")
    await answer(pilot, "#client-id", client_id)
    assert setup_screen(pilot).step == "company", shown(pilot, "#setup-problem")
    await pick(pilot, "#company-choice", str(demo.SUMMIT_COMPANY_ID))
    assert setup_screen(pilot).step == "connector"


async def test_setup_writes_a_file_that_loads_and_the_app_opens_on_the_company_picked(
    sandbox: SandboxServer, settings_path: Path
) -> None:
    async with run_setup(settings_path) as pilot:
        await to_connector_step(pilot, sandbox)
        await answer(pilot, "#connector-url", sandbox.connector_url)
        assert setup_screen(pilot).step == "check"
        assert shown(pilot, "#procore-check").startswith("✓ Procore: signed in as")
        assert shown(pilot, "#quickbooks-check").startswith("✓ QuickBooks")
        assert not settings_path.exists()  # nothing written before the last step
        await pilot.press("enter")
        assert setup_screen(pilot).step == "review"
        assert str(settings_path) in shown(pilot, "#review-summary")
        await pilot.press("enter")
        await pilot.pause()
    written = pilot.app.return_value
    assert written is not None and written.path == settings_path and written.backup is None
    assert stat.S_IMODE(settings_path.stat().st_mode) == 0o600

    settings = load_settings(settings_path)
    assert settings.backend.mode == "remote"
    assert (settings.procore.environment, settings.procore.base_url) == (
        "custom",
        sandbox.base_url,
    )
    assert settings.procore.company_id == demo.SUMMIT_COMPANY_ID
    assert settings.quickbooks.connector_url == sandbox.connector_url

    app = CcoUnlinkApp(Backend(target_for(settings, None)))
    async with app.run_test(size=(120, 40)) as main:
        await settle(main)
        company = screen_of(main).backend.company
        assert company is not None and company.id == demo.SUMMIT_COMPANY_ID
        assert screen_of(main).table.row_count > 0


async def test_a_rerun_edits_the_file_keeps_other_keys_backs_it_up_and_drops_secrets(
    sandbox: SandboxServer, settings_path: Path
) -> None:
    settings_path.parent.mkdir(parents=True)
    before = (
        "[backend]\nmode = 'remote'\n"
        f"[procore]\nenvironment = 'custom'\nbase_url = '{sandbox.base_url}'\n"
        "client_id = 'admin'\nclient_secret = 'kept-in-a-file'\n"
        f"company_id = {demo.SUMMIT_COMPANY_ID}\ntimeout_seconds = 12.0\n"
        f"[quickbooks]\nconnector_url = '{sandbox.connector_url}'\ntoken = 'file-token'\n"
        "[ui]\ntheme = 'textual-light'\n[keys]\nunlink = 'u,ctrl+u'\n"
    )
    settings_path.write_text(before)
    settings_path.chmod(0o600)
    async with run_setup(settings_path) as pilot:
        screen = setup_screen(pilot)
        # Pre-filled from the file: Enter through every step keeps each answer.
        assert screen.query_one("#environment-choice", OptionList).highlighted == (
            screen.query_one("#environment-choice", OptionList).get_option_index("custom")
        )
        await pick(pilot, "#environment-choice", "custom")
        assert screen.query_one("#base-url", Input).value == sandbox.base_url
        await answer(pilot, "#base-url", sandbox.base_url)
        await pick(pilot, "#grant-choice", "client_credentials")
        assert screen.query_one("#client-id", Input).value == "admin"
        await answer(pilot, "#client-id", "admin")
        choice = screen.query_one("#company-choice", OptionList)
        assert choice.highlighted == choice.get_option_index(str(demo.SUMMIT_COMPANY_ID))
        await pick(pilot, "#company-choice", str(demo.SUMMIT_COMPANY_ID))
        assert screen.query_one("#connector-url", Input).value == sandbox.connector_url
        await answer(pilot, "#connector-url", sandbox.connector_url)
        await pilot.press("enter")
        review = shown(pilot, "#review-summary")
        assert "procore.client_secret, quickbooks.token" in review
        await pilot.press("enter")
        await pilot.pause()
    written = pilot.app.return_value
    assert written is not None and written.backup is not None
    assert written.dropped_secrets == ("procore.client_secret", "quickbooks.token")
    assert written.backup.read_text() == before
    assert stat.S_IMODE(written.backup.stat().st_mode) == 0o600

    raw = tomllib.loads(settings_path.read_text())
    for section, key in SECRET_KEYS:
        assert key not in raw.get(section, {})
    assert "kept-in-a-file" not in settings_path.read_text()
    assert "file-token" not in settings_path.read_text()
    assert SECRET not in settings_path.read_text()  # nor the environment's
    settings = load_settings(settings_path)
    assert settings.ui.theme == "textual-light"
    assert settings.keys == {"unlink": "u,ctrl+u"}
    assert settings.procore.timeout_seconds == 12.0


async def test_a_person_signs_in_with_a_code_and_the_written_file_holds_no_secret(
    sandbox: SandboxServer, settings_path: Path
) -> None:
    async with run_setup(settings_path) as pilot:
        await pick(pilot, "#environment-choice", "custom")
        await answer(pilot, "#base-url", sandbox.base_url)
        await pick(pilot, "#grant-choice", "authorization_code")
        await answer(pilot, "#client-id", "admin")  # the sandbox's apps are its users
        screen = setup_screen(pilot)
        address = shown(pilot, "#authorize-url")
        assert address.startswith(f"{sandbox.base_url}/oauth/authorize?")

        await answer(pilot, "#sign-in-code", "not-a-code")
        assert screen.step == "sign-in"
        assert "refused the code" in shown(pilot, "#setup-problem")
        assert shown(pilot, "#authorize-url") == address  # the one the person may have open

        await answer(pilot, "#sign-in-code", approve(address, login="admin"))
        assert screen.step == "company", shown(pilot, "#setup-problem")
        await pick(pilot, "#company-choice", str(demo.SUMMIT_COMPANY_ID))
        await answer(pilot, "#connector-url", sandbox.connector_url)
        assert shown(pilot, "#procore-check").startswith("✓ Procore: signed in as Dana")
        await pilot.press("enter", "enter")
        await pilot.pause()
    assert pilot.app.return_value is not None
    text = settings_path.read_text()
    assert 'grant = "authorization_code"' in text
    assert SECRET not in text and "secret" not in text and "token =" not in text

    # The sign-in setup made is the app's: it opens on the list, not on a sign-in screen.
    app = CcoUnlinkApp(Backend(target_for(load_settings(settings_path), None)))
    async with app.run_test(size=(120, 40)) as main:
        await settle(main)
        company = screen_of(main).backend.company
        assert company is not None and company.id == demo.SUMMIT_COMPANY_ID


async def test_each_bad_answer_is_explained_where_it_is_given_and_nothing_is_written(
    sandbox: SandboxServer, settings_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with run_setup(settings_path) as pilot:
        screen = setup_screen(pilot)
        await pick(pilot, "#environment-choice", "custom")
        for bad, says in (
            ("ftp://procore.example.com", "must start with http:// or https://"),
            ("http://procore.example.com", "must use https:// beyond this machine"),
            ("https://[::1", "not a valid URL"),
        ):
            await answer(pilot, "#base-url", bad)
            assert screen.step == "environment"
            assert says in shown(pilot, "#setup-problem")
        await answer(pilot, "#base-url", sandbox.base_url)
        await pick(pilot, "#grant-choice", "client_credentials")

        await answer(pilot, "#client-id", "")
        assert "Paste the client id" in shown(pilot, "#setup-problem")
        await answer(pilot, "#client-id", "nobody")
        assert screen.step == "sign-in"
        assert "refused the sign-in of client 'nobody'" in shown(pilot, "#setup-problem")
        await pilot.press("escape")
        assert screen.step == "client"
        await answer(pilot, "#client-id", "admin")
        await pick(pilot, "#company-choice", str(demo.SUMMIT_COMPANY_ID))

        await answer(pilot, "#connector-url", "http://qb.example.com/qbxml")
        assert "must use https:// beyond this machine" in shown(pilot, "#setup-problem")
        await answer(pilot, "#connector-url", f"http://127.0.0.1:{closed_port()}/qbxml")
        assert screen.step == "check"
        assert shown(pilot, "#procore-check").startswith("✓ Procore")
        assert "cannot be reached" in shown(pilot, "#quickbooks-check")
        await pilot.press("enter")  # tests again, still failing: no way on to writing
        await settle(pilot)  # type: ignore[arg-type]
        assert screen.step == "check"
        assert "cannot be reached" in shown(pilot, "#quickbooks-check")
        await pilot.press("escape")
        assert screen.step == "connector"

    assert not settings_path.exists()


async def test_a_wrong_connector_token_is_shown_at_the_test_and_nothing_is_written(
    sandbox: SandboxServer, settings_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUICKBOOKS_CONNECTOR_TOKEN", "not-the-token")
    async with run_setup(settings_path) as pilot:
        await to_connector_step(pilot, sandbox)
        await answer(pilot, "#connector-url", sandbox.connector_url)
        assert "refused the token" in shown(pilot, "#quickbooks-check")
        assert "QUICKBOOKS_CONNECTOR_TOKEN" in shown(pilot, "#quickbooks-check")
        await pilot.press("enter")
        await settle(pilot)  # type: ignore[arg-type]
        assert setup_screen(pilot).step == "check"
    assert pilot.app.return_value is None
    assert not settings_path.exists()


async def test_secrets_missing_from_the_environment_are_asked_for_before_signing_in(
    sandbox: SandboxServer, settings_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROCORE_CLIENT_SECRET")
    monkeypatch.delenv("QUICKBOOKS_CONNECTOR_TOKEN")
    async with run_setup(settings_path) as pilot:
        assert "PROCORE_CLIENT_SECRET: NOT SET" in shown(pilot, "#secret-status")
        await pick(pilot, "#environment-choice", "custom")
        await answer(pilot, "#base-url", sandbox.base_url)
        await pick(pilot, "#grant-choice", "client_credentials")
        await answer(pilot, "#client-id", "admin")
        assert setup_screen(pilot).step == "client"
        assert "export PROCORE_CLIENT_SECRET" in shown(pilot, "#setup-problem")
        await pilot.press("escape", "escape", "escape")
        assert setup_screen(pilot).step == "environment"
        assert "nothing has been written" in shown(pilot, "#setup-problem")
    assert not settings_path.exists()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_setup_over_a_broken_file_says_where_and_starts_nothing(
    settings_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_path.parent.mkdir(parents=True)
    settings_path.write_text("[procore]\ngrant = 'password'\n")
    assert main(["--settings", str(settings_path), "setup"]) == 2
    assert f"{settings_path}:2:" in capsys.readouterr().err
    assert settings_path.read_text() == "[procore]\ngrant = 'password'\n"


def test_snapshot_a_bad_address_explained_on_its_step_at_80x24(
    snap_compare: Any, settings_path: Path
) -> None:
    app = SetupApp(load_settings(None), settings_path, lambda settings: target_for(settings, None))
    keys = ["down", "down", "down", "enter", *"ftp://x", "enter"]
    assert snap_compare(app, terminal_size=(80, 24), press=keys)
    assert not settings_path.exists()


async def test_the_token_can_live_in_another_variable_which_the_file_names(
    sandbox: SandboxServer, settings_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUICKBOOKS_CONNECTOR_TOKEN")
    monkeypatch.setenv("QB_TOKEN_SUMMIT", SECRET)
    async with run_setup(settings_path) as pilot:
        screen = setup_screen(pilot)
        await to_connector_step(pilot, sandbox)
        screen.query_one("#connector-url", Input).value = sandbox.connector_url
        await answer(pilot, "#connector-url", sandbox.connector_url)
        assert screen.step == "connector"
        assert "QUICKBOOKS_CONNECTOR_TOKEN is not set" in shown(pilot, "#setup-problem")
        await pilot.press("tab")
        await answer(pilot, "#token-env", "not a name")
        assert "not the name of an environment variable" in shown(pilot, "#setup-problem")
        await answer(pilot, "#token-env", "QB_TOKEN_SUMMIT")
        assert shown(pilot, "#token-status") == "QB_TOKEN_SUMMIT: set in this environment."
        assert screen.step == "check"
        assert shown(pilot, "#quickbooks-check").startswith("✓ QuickBooks")
        await pilot.press("enter", "enter")
        await pilot.pause()
    settings = load_settings(settings_path)
    assert settings.quickbooks.token_env == "QB_TOKEN_SUMMIT"
    assert settings.quickbooks.token == SECRET  # read from the variable the file names
    assert SECRET not in settings_path.read_text()


async def test_a_company_name_holding_brackets_is_offered_as_written(
    sandbox: SandboxServer, sandbox_data: Path, settings_path: Path
) -> None:
    name = "Summit [/] Builders [bold]"  # as markup it would not even render
    with sqlite3.connect(sandbox_data) as conn:
        conn.execute("UPDATE companies SET name = ? WHERE id = ?", (name, demo.SUMMIT_COMPANY_ID))
    async with run_setup(settings_path) as pilot:
        await to_connector_step(pilot, sandbox)
        await answer(pilot, "#connector-url", sandbox.connector_url)
        assert f"company {name} ({demo.SUMMIT_COMPANY_ID})" in shown(pilot, "#procore-check")


async def test_the_sign_in_address_is_a_link_so_a_wrapped_address_still_opens_whole(
    sandbox: SandboxServer, settings_path: Path
) -> None:
    """At 80 columns the address takes two lines; copied by hand it breaks in two. As a link
    (OSC 8) the terminal opens or copies it whole, even over SSH."""
    async with run_setup(settings_path) as pilot:
        await pick(pilot, "#environment-choice", "custom")
        await answer(pilot, "#base-url", sandbox.base_url)
        await pick(pilot, "#grant-choice", "authorization_code")
        await answer(pilot, "#client-id", "admin")
        address = shown(pilot, "#authorize-url")
        assert address.startswith(f"{sandbox.base_url}/oauth/authorize?")
        content = setup_screen(pilot).query_one("#authorize-url", Static).render()
        assert isinstance(content, Content)
        links = {span.style.link for span in content.spans if isinstance(span.style, Style)}
        assert links == {address}
        assert all(span.end - span.start == len(address) for span in content.spans)


async def test_a_failure_closing_the_previous_sign_in_does_not_stop_setup(
    sandbox: SandboxServer, settings_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[str] = []

    async def fails(self: SetupSignIn) -> None:
        closed.append("tried")
        raise RuntimeError("the connection pool broke while closing")

    monkeypatch.setattr(SetupSignIn, "aclose", fails)
    async with run_setup(settings_path) as pilot:
        screen = setup_screen(pilot)
        await pick(pilot, "#environment-choice", "custom")
        await answer(pilot, "#base-url", sandbox.base_url)
        await pick(pilot, "#grant-choice", "client_credentials")
        await answer(pilot, "#client-id", "nobody")
        assert screen.step == "sign-in"
        await pilot.press("escape")
        await answer(pilot, "#client-id", "admin")
        assert closed == ["tried"]
        assert pilot.app.is_running and pilot.app.return_value is None
        assert screen.step == "company", shown(pilot, "#setup-problem")
        assert shown(pilot, "#setup-problem") == ""
        monkeypatch.undo()
