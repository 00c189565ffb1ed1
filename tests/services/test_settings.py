"""Settings: the documented defaults are the real ones; bad files are named, line and column."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.pretty import pretty_repr

from services.errors import SettingsError
from services.settings import Settings, load_settings, replace, save_settings
from services.urls import check_url
from tests.conftest import REPO_ROOT


def test_the_shipped_settings_file_documents_the_defaults() -> None:
    shipped = REPO_ROOT / "settings.toml"
    loaded = load_settings(shipped)
    assert loaded.source == str(shipped)
    assert replace(loaded, source="") == Settings()


def test_every_key_in_the_shipped_file_has_a_comment() -> None:
    lines = (REPO_ROOT / "settings.toml").read_text().splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            assert lines[number - 1].lstrip().startswith("#"), f"line {number + 1} has no comment"


@pytest.mark.parametrize(
    ("text", "line", "column", "says"),
    [
        ("[procore]\nclient_id = \n", 2, 13, "not valid TOML"),
        ("[procore]\nclient_idd = 'x'\n", 2, 1, "unknown key 'client_idd'"),
        ("[procore]\ntimeout_seconds = 'soon'\n", 2, 1, "must be a number"),
        ("[backend]\nmode = 'cloud'\n", 2, 1, 'must be one of "sandbox", "remote"'),
        ("\n[proxy]\nurl = 'x'\n", 2, 1, "unknown section [proxy]"),
        ("[sandbox]\n  port = -1\n", 2, 3, "must not be negative"),
        ("[keys]\nunlink = ''\n", 2, 1, "must be keys"),
    ],
)
def test_a_bad_file_is_named_with_line_and_column(
    tmp_path: Path, text: str, line: int, column: int, says: str
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert caught.value.message.startswith(f"{path}:{line}:{column}: ")
    assert says in caught.value.message


def test_secrets_from_the_environment_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCORE_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("QUICKBOOKS_CONNECTOR_TOKEN", "t0ken")
    settings = load_settings(None)
    assert (settings.procore.client_secret, settings.quickbooks.token) == ("s3cret", "t0ken")
    assert "s3cret" not in repr(settings) and "t0ken" not in repr(settings)
    # Rich's own way, which Textual's traceback of a crash prints its locals with.
    shown = pretty_repr(settings)
    assert "s3cret" not in shown and "t0ken" not in shown and "client_secret='***'" in shown


def test_saving_a_secret_writes_the_file_for_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "settings.toml"
    settings = replace(Settings(), procore=replace(Settings().procore, client_secret="s3cret"))
    save_settings(settings, path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_settings(path).procore.client_secret == "s3cret"
    assert [p.name for p in path.parent.iterdir()] == ["settings.toml"]


def test_the_command_reports_a_bad_file_in_one_line_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[ui]\ntheme = \n")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    result = subprocess.run(
        [sys.executable, "-m", "cco_unlink", "--settings", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith(f"cco-unlink: {path}:2:")
    assert "Traceback" not in result.stderr + result.stdout


def test_remote_mode_without_a_url_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "remote.toml"
    path.write_text("[backend]\nmode = 'remote'\n")
    result = subprocess.run(
        [sys.executable, "-m", "cco_unlink", "--settings", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
        timeout=60,
    )
    assert result.returncode == 2
    # Procore's URL now comes from [procore] environment (production by default); the connector's
    # has no default.
    assert "needs the QuickBooks connector's URL" in result.stderr


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://[::1", "not a valid URL"),
        ("https://192.168.1.256:8443/qbxml", "not a valid URL"),
        ("https://procore.example.com:443:443", "not a valid URL"),
        ("https://[::1]x/", "not a valid URL"),
        ("https://procore.example.com:\uff18\uff14\uff14\uff13", "not a valid URL"),  # 8443, wide
        ("http://127.0.0.1:99999/x", "port 99999"),
        ("ftp://example.com", "must start with http:// or https://"),
        ("http://procore.example.com", "must use https:// beyond this machine"),
    ],
)
def test_urls_that_cannot_work_or_would_leak_secrets_are_refused(url: str, says: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(says)):
        check_url("Procore URL", url)


@pytest.mark.parametrize(
    "url", ["https://api.procore.com", "http://127.0.0.1:8765", "http://[::1]:1"]
)
def test_https_and_loopback_urls_pass(url: str) -> None:
    check_url("Procore URL", url)
