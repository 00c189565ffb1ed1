"""Fixtures shared by every test: an isolated home, the sandbox on loopback, and the qbXML schema.

Each test gets its own copy of the seeded demo data and its own sandbox server on a free loopback
port, so tests can change the backend and check what it holds afterwards without disturbing others.
A test marked `reads_only` gets the one sandbox shared by the whole run instead (no start, no
copy); afterwards its records and faults are checked to be as they were, so a test that changes
them while claiming to only read fails.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from cco_unlink.sandbox_target import sandbox_target
from sandbox import Faults, SandboxConfig, SandboxServer, demo
from services.backend import Backend, Target
from tests.helpers import records_digest

REPO_ROOT = Path(__file__).resolve().parent.parent


SPECS_DIR = REPO_ROOT.parent / "shared" / "specs"


def pytest_configure(config: pytest.Config) -> None:
    """Tests stop the processes they start as a person would, with Ctrl-C (SIGINT). A run started
    where SIGINT is ignored (under nohup, or as a background job of a script) hands that on to
    every child, which then never stops: the test times out and the child is left running."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Spare each test process most of Python's cycle collections: Textual makes and drops
    objects by the thousand, and each full collection walked every module, class and collected
    test again. What collecting made lives as long as the run (the app freezes what start-up
    made, cco_unlink.cli, for the same reason), and younger objects are looked at 14 times less
    often. Only CPU time changes: nothing a test proves rests on when cycles are freed."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test away from the real user's settings, data, logs and secrets."""
    home = tmp_path / "home"
    for variable, folder in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        monkeypatch.setenv(variable, str(home / folder))
    for variable in ("CCO_UNLINK_SETTINGS", "PROCORE_CLIENT_SECRET", "QUICKBOOKS_CONNECTOR_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    return home


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data, seeded once per run; each test copies it."""
    path = tmp_path_factory.mktemp("template") / "sandbox.sqlite3"
    demo.reset(path, SandboxConfig(data_file=path).seed)
    return path


@pytest.fixture(scope="session")
def shared_sandbox(
    tmp_path_factory: pytest.TempPathFactory, seeded_template: Path
) -> Iterator[SandboxServer]:
    """One sandbox for every test marked `reads_only`."""
    path = tmp_path_factory.mktemp("shared") / "sandbox.sqlite3"
    shutil.copyfile(seeded_template, path)
    with SandboxServer(SandboxConfig(data_file=path, faults=Faults())) as server:
        _copy_database(path, _pristine(path))  # as the started server made it
        yield server


def _pristine(data_file: Path) -> Path:
    return data_file.with_name("pristine.sqlite3")


def _copy_database(source: Path, target: Path) -> None:
    with (
        closing(sqlite3.connect(source, timeout=10)) as reading,
        closing(sqlite3.connect(target, timeout=10)) as writing,
    ):
        reading.backup(writing)


def reads_only(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("reads_only") is not None


@pytest.fixture
def read_only_sandbox(
    request: pytest.FixtureRequest, shared_sandbox: SandboxServer
) -> Iterator[SandboxServer]:
    """The shared sandbox, checked afterwards to hold the same records (Procore's and
    QuickBooks') and no faults; put back as it started, and the test failed, if it does not."""
    data_file = shared_sandbox.config.data_file
    before = records_digest(data_file)
    yield shared_sandbox
    if shared_sandbox.faults != Faults() or records_digest(data_file) != before:
        shared_sandbox.config.faults = Faults()
        _copy_database(_pristine(data_file), data_file)
        pytest.fail(
            f"{request.node.nodeid} is marked reads_only but changed the shared sandbox; "
            "it needs a sandbox of its own",
            pytrace=False,
        )


@pytest.fixture
def sandbox_data(request: pytest.FixtureRequest, tmp_path: Path, seeded_template: Path) -> Path:
    if reads_only(request):
        shared: SandboxServer = request.getfixturevalue("read_only_sandbox")
        return shared.config.data_file
    path = tmp_path / "sandbox.sqlite3"
    shutil.copyfile(seeded_template, path)
    return path


@pytest.fixture
def sandbox(request: pytest.FixtureRequest, sandbox_data: Path) -> Iterator[SandboxServer]:
    if reads_only(request):
        yield request.getfixturevalue("read_only_sandbox")
        return
    server = SandboxServer(SandboxConfig(data_file=sandbox_data, faults=Faults()))
    server.start()
    yield server
    server.stop(wait=False)  # the next test need not wait for uvicorn to wind down


@pytest.fixture
def make_target(sandbox: SandboxServer, tmp_path: Path) -> Callable[..., Target]:
    def make(user: str = "admin", **changes: Any) -> Target:
        changes = {"quickbooks_timeout": 5.0, "procore_timeout": 5.0, **changes}
        return sandbox_target(sandbox.base_url, tmp_path / "audit.jsonl", user=user, **changes)

    return make


@pytest.fixture
async def backend(make_target: Callable[..., Target]) -> Any:
    instance = Backend(make_target())
    yield instance
    await instance.aclose()


def shared_spec(relative: str) -> Path:
    """A file of Intuit's published specs, kept beside this clone in ../shared/specs.

    Without it the tests that check against it are skipped, saying why, on a developer's machine;
    under CI (CI=true) they fail instead, so a build can never pass by silently not checking.
    """
    path = SPECS_DIR / relative
    if not path.is_file():
        why = f"{path} is missing (the shared specs are not beside this clone)"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{why}; under CI the checks against it must run", pytrace=False)
        pytest.skip(why)
    return path


@pytest.fixture(scope="session")
def qbxml_schema() -> Any:
    """Intuit's qbXML 13.0 schema (see shared_spec for when it is missing)."""
    schema_file = shared_spec("qbxml/qbxmlops130.xsd")
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(schema_file)))
