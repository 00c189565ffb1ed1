"""Where cco-unlink keeps its files on this machine (XDG directories on Linux)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "cco-unlink"


def config_dir() -> Path:
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def log_dir() -> Path:
    return platformdirs.user_log_path(APP_NAME, appauthor=False)


def sandbox_data_file(configured: str) -> Path:
    return Path(configured).expanduser() if configured else data_dir() / "sandbox.sqlite3"


def audit_file(configured: str) -> Path:
    return Path(configured).expanduser() if configured else data_dir() / "audit.jsonl"


def list_cache_file() -> Path:
    """The last loaded list of each user and company, shown at once on the next start."""
    return data_dir() / "list-cache.sqlite3"


def log_file() -> Path:
    return log_dir() / "cco-unlink.log"


def token_file(environment_key: str) -> Path:
    """A person's Procore sign-in for one environment (tokens do not carry across them)."""
    return data_dir() / "tokens" / f"{environment_key}.json"


def connector_state_file() -> Path:
    """The connector's password and token hashes and its .qwc GUIDs (mode 0600)."""
    return data_dir() / "connector.json"


def connector_journal_file(configured: str) -> Path:
    return Path(configured).expanduser() if configured else data_dir() / "connector-journal.jsonl"
