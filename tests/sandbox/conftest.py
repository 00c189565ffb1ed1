"""Fixtures for the sandbox's conformance tests: a real server on loopback, httpx clients."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandbox_testkit import ServerFactory, auth_headers

from sandbox import SandboxConfig, SandboxServer
from tests.conftest import reads_only


@pytest.fixture
def sbx_factory(tmp_path: Path, seeded_template: Path) -> Iterator[ServerFactory]:
    """Start servers with config overrides, on the test's own copy of the demo data (made on the
    first start); all are stopped at teardown."""
    started: list[SandboxServer] = []

    def make(**overrides: Any) -> SandboxServer:
        data_file = overrides.setdefault("data_file", tmp_path / "sandbox.sqlite3")
        if not data_file.exists():
            shutil.copyfile(seeded_template, data_file)
        server = SandboxServer(SandboxConfig(**overrides))
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop(wait=False)


@pytest.fixture
def sbx(request: pytest.FixtureRequest) -> SandboxServer:
    """The test's own sandbox; or, for a test marked `reads_only`, the shared one."""
    if reads_only(request):
        shared: SandboxServer = request.getfixturevalue("read_only_sandbox")
        return shared
    server: SandboxServer = request.getfixturevalue("sbx_factory")()
    return server


@pytest.fixture
def http(sbx: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sbx.base_url, timeout=10.0) as client:
        yield client


@pytest.fixture
def admin(http: httpx.Client) -> dict[str, str]:
    return auth_headers(http, "admin")
