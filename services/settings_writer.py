"""Write the keys `cco-unlink setup` asks about into a settings file, keeping everything else.

Rerunning setup edits the file in place: sections and keys it does not ask about stay as they were
(their comments do not: TOML is written back by tomli-w). Secrets never go in: a client secret or
connector token found in the file is left out, and the backup keeps it. The new text is checked
exactly as the app will read it before anything is written; the old file is copied aside first,
then the new one replaces it in one step, readable by its owner alone.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from services.errors import SettingsError
from services.settings import (
    SECRET_KEYS,
    Settings,
    find_settings_file,
    parse_settings,
    replace,
    write_private_file,
)

SETUP_KEYS: dict[str, tuple[str, ...]] = {
    "backend": ("mode",),
    "procore": ("environment", "base_url", "login_url", "grant", "client_id", "company_id"),
    "quickbooks": ("connector_url", "token_env"),
}
"""The (section → keys) setup answers; each names a field of that section in services.settings."""


@dataclass(frozen=True)
class WrittenSettings:
    path: Path
    backup: Path | None
    """Where the previous file was copied, or None when there was none."""
    dropped_secrets: tuple[str, ...]
    """"section.key" of each secret the previous file held and the new one leaves out."""


def file_to_write(explicit: str | None, config_dir: Path) -> Path:
    """The file setup writes: the one the app would read (--settings, $CCO_UNLINK_SETTINGS, the
    user's config), whether or not it exists yet."""
    return find_settings_file(explicit, config_dir) or config_dir / "settings.toml"


def without_secrets(settings: Settings) -> Settings:
    """The settings with every secret emptied: setup takes secrets from the environment only."""
    for section, key in SECRET_KEYS:
        settings = replace(settings, **{section: replace(getattr(settings, section), **{key: ""})})
    return settings


def setup_document(settings: Settings, existing: dict[str, Any]) -> dict[str, Any]:
    """The file's TOML table: `existing` with setup's keys set from `settings`, secrets left out."""
    document = {
        section: dict(values) if isinstance(values, dict) else values
        for section, values in existing.items()
    }
    for section, keys in SETUP_KEYS.items():
        table = document.setdefault(section, {})
        for key in keys:
            table[key] = getattr(getattr(settings, section), key)
    for section, key in SECRET_KEYS:
        table = document.get(section)
        if isinstance(table, dict):
            table.pop(key, None)
    return document


def secrets_in(existing: dict[str, Any]) -> tuple[str, ...]:
    """ "section.key" of every secret a settings table holds."""
    return tuple(
        f"{section}.{key}"
        for section, key in SECRET_KEYS
        if isinstance(existing.get(section), dict) and existing[section].get(key)
    )


def read_existing(path: Path) -> dict[str, Any]:
    """The settings file's table as written, {} when there is no file yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"cannot read settings file ({error})", file=str(path)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"not valid TOML: {error}", file=str(path)) from None


def backup_path(path: Path, now: datetime) -> Path:
    """Beside the file, named by the time and never an existing file: no rerun overwrites the
    backup of an earlier one."""
    stem = f"{path.name}.{now.strftime('%Y%m%d-%H%M%S')}"
    candidate, number = path.with_name(f"{stem}.bak"), 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{stem}-{number}.bak")
    return candidate


def write_setup(settings: Settings, path: Path, *, now: datetime | None = None) -> WrittenSettings:
    """Write setup's answers into `path`: checked first, old file backed up, replaced atomically."""
    existing = read_existing(path)
    text = tomli_w.dumps(setup_document(settings, existing))
    parse_settings(text, str(path))  # what the app will read; raises before anything is written
    backup = None
    if path.exists():
        backup = backup_path(path, now or datetime.now(UTC))
        write_private_file(backup, path.read_bytes(), private=True)
    write_private_file(path, text.encode("utf-8"), private=True)
    return WrittenSettings(path=path, backup=backup, dropped_secrets=secrets_in(existing))
