"""The file setup writes: the keys it asks about, every other key kept, never a secret, checked
before it replaces anything, and the previous file kept."""

from __future__ import annotations

import stat
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.errors import SettingsError
from services.settings import Settings, load_settings, replace
from services.settings_writer import SETUP_KEYS, file_to_write, write_setup

NOW = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)


def answered(**procore: object) -> Settings:
    settings = Settings()
    return replace(
        settings,
        backend=replace(settings.backend, mode="remote"),
        procore=replace(
            settings.procore,
            **{
                "client_id": "my-app",
                "company_id": 42,
                "client_secret": "from-the-environment",
                **procore,
            },
        ),
        quickbooks=replace(
            settings.quickbooks,
            connector_url="https://qb.example.com/qbxml",
            token="token-from-the-environment",
        ),
    )


def test_every_key_setup_writes_is_a_settings_key() -> None:
    defaults = Settings()
    for section, keys in SETUP_KEYS.items():
        for key in keys:
            assert hasattr(getattr(defaults, section), key), f"[{section}] {key}"


def test_a_first_file_holds_the_answers_no_secret_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "settings.toml"
    written = write_setup(answered(), path, now=NOW)
    assert (written.backup, written.dropped_secrets) == (None, ())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "from-the-environment" not in text and "client_secret" not in text
    raw = tomllib.loads(text)
    assert "token" not in raw["quickbooks"]
    assert raw["quickbooks"]["token_env"] == "QUICKBOOKS_CONNECTOR_TOKEN"  # where it is instead
    loaded = load_settings(path)
    assert (loaded.procore.client_id, loaded.procore.company_id) == ("my-app", 42)
    assert loaded.quickbooks.connector_url == "https://qb.example.com/qbxml"
    assert [p.name for p in path.parent.iterdir()] == ["settings.toml"]


def test_an_answer_the_app_could_not_read_is_refused_and_nothing_changes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[ui]\ntheme = 'textual-light'\n")
    with pytest.raises(SettingsError, match="grant"):
        write_setup(answered(grant="password"), path, now=NOW)
    assert path.read_text() == "[ui]\ntheme = 'textual-light'\n"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.toml"]


def test_reruns_in_the_same_second_keep_every_backup(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[ui]\ntheme = 'textual-light'\n")
    first = write_setup(answered(), path, now=NOW)
    second = write_setup(answered(client_id="other-app"), path, now=NOW)
    assert first.backup is not None and second.backup is not None
    assert first.backup != second.backup
    assert first.backup.read_text() == "[ui]\ntheme = 'textual-light'\n"
    assert load_settings(second.backup).procore.client_id == "my-app"
    assert load_settings(path).procore.client_id == "other-app"
    assert load_settings(path).ui.theme == "textual-light"


def test_setup_writes_the_file_the_app_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert file_to_write("~/x.toml", tmp_path) == Path("~/x.toml").expanduser()
    assert file_to_write(None, tmp_path) == tmp_path / "settings.toml"
    monkeypatch.setenv("CCO_UNLINK_SETTINGS", str(tmp_path / "env.toml"))
    assert file_to_write(None, tmp_path) == tmp_path / "env.toml"
