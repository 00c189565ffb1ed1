"""Bad input of every kind ends in a clear message and a non-zero exit, with nothing changed and
no traceback: settings, URLs, secrets, ids, and garbage in each reply field the client reads."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cco_unlink import exit_codes
from sandbox import SandboxServer, inspect
from services.backend import Target
from tests.conftest import REPO_ROOT
from tests.helpers import demo_cco_id, is_linked
from tests.reliability.kit import headless_unlink

# Every field of Procore's answers that the client reads on the way to an unlink.
FIELDS_READ = (
    "login", "name", "project_number", "number", "title", "vendor", "contract_id",
    "grand_total", "origin_id", "origin_data", "synced_at", "updated_at", "line_items", "tools",
    "friendly_name", "user_access_level", "erp_integrated_accountant", "entities", "changed",
    "errors", "id",
)  # fmt: skip


def cco_unlink(
    *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cco_unlink", *arguments],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def _clean_failure(result: subprocess.CompletedProcess[str], status: int, words: str) -> None:
    assert result.returncode == status, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert words in result.stderr, result.stderr


def _remote(sandbox: SandboxServer) -> list[str]:
    return ["--procore-url", sandbox.base_url, "--connector-url", sandbox.connector_url]


SECRETS = {"PROCORE_CLIENT_SECRET": "sandbox", "QUICKBOOKS_CONNECTOR_TOKEN": "sandbox"}


def test_malformed_settings_are_named_with_their_line(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('[sandbox]\nfault_seed = "one"\n')
    _clean_failure(
        cco_unlink("--settings", str(settings), "list"), exit_codes.BAD_INPUT, "settings.toml:2"
    )
    settings.write_text("[sandbox]\nquickbooks_busy_percent = 150\n")
    _clean_failure(
        cco_unlink("--settings", str(settings), "list"), exit_codes.BAD_INPUT, "0 to 100"
    )


def test_a_bad_url_or_a_missing_secret_is_refused_before_any_connection() -> None:
    _clean_failure(
        cco_unlink("--procore-url", "ftp://x", "--connector-url", "http://127.0.0.1:9", "list",
                   env=SECRETS),
        exit_codes.BAD_INPUT,
        "must start with http:// or https://",
    )  # fmt: skip
    _clean_failure(
        cco_unlink("--procore-url", "http://127.0.0.1:9", "--connector-url", "http://127.0.0.1:9",
                   "list"),
        exit_codes.BAD_INPUT,
        "No Procore client secret",
    )  # fmt: skip


def test_an_unreachable_procore_is_a_clear_failure() -> None:
    result = cco_unlink(
        "--procore-url", "http://127.0.0.1:9", "--connector-url", "http://127.0.0.1:9", "list",
        env=SECRETS,
    )  # fmt: skip
    _clean_failure(result, exit_codes.PROCORE_FAILED, "cco-unlink: Procore")


def test_unknown_ids_change_nothing(sandbox: SandboxServer, sandbox_data: Path) -> None:
    before = [(c.id, is_linked(sandbox_data, c.id)) for c in inspect.synced_ccos(sandbox_data)]
    project = inspect.project_ids(sandbox_data, 5_200_001)[0]
    _clean_failure(
        cco_unlink(*_remote(sandbox), "unlink", "--project", "12345", "--cco", "1", env=SECRETS),
        exit_codes.BAD_INPUT,
        "There is no project 12345",
    )
    unknown_cco = cco_unlink(
        *_remote(sandbox), "unlink", "--project", str(project), "--cco", "777", env=SECRETS
    )
    assert unknown_cco.returncode == exit_codes.BAD_INPUT
    assert "no longer exists in Procore" in unknown_cco.stdout
    _clean_failure(
        cco_unlink(*_remote(sandbox), "unlink", "--project", "-3", "--cco", "x", env=SECRETS),
        2,
        "is not an id",
    )
    after = [(c.id, is_linked(sandbox_data, c.id)) for c in inspect.synced_ccos(sandbox_data)]
    assert after == before


@pytest.mark.parametrize("field", FIELDS_READ)
async def test_garbage_in_a_reply_field_is_never_taken_at_its_word(
    field: str, sandbox: SandboxServer, make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    project = next(c.project_id for c in inspect.synced_ccos(sandbox_data) if c.id == cco_id)
    sandbox.faults.garble_field = field

    run = await headless_unlink(make_target(), project, [cco_id])

    linked = is_linked(sandbox_data, cco_id)
    reported = [o["outcome"] for o in run.objects()]
    if run.status == 0:
        # Only fields of the unlink's own answer can be garbled after the change was made; the
        # report must then say what the backend holds.
        assert reported in (["unlinked"], ["already_unlinked"]) and not linked, run
    else:
        assert linked, run
        assert run.err.startswith("cco-unlink: ") or reported, run
    assert "Traceback" not in run.out + run.err
