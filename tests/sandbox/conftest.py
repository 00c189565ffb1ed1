"""Fixtures for the sandbox's conformance tests: a real server on loopback, httpx clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandbox_testkit import ServerFactory, auth_headers

from sandbox import SandboxConfig, SandboxServer


@pytest.fixture
def sbx_factory(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start servers with config overrides; all are stopped at teardown."""
    started: list[SandboxServer] = []

    def make(**overrides: Any) -> SandboxServer:
        overrides.setdefault("data_file", tmp_path / "sandbox.sqlite3")
        server = SandboxServer(SandboxConfig(**overrides))
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def sbx(sbx_factory: ServerFactory) -> SandboxServer:
    server: SandboxServer = sbx_factory()
    return server


@pytest.fixture
def http(sbx: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sbx.base_url, timeout=10.0) as client:
        yield client


@pytest.fixture
def admin(http: httpx.Client) -> dict[str, str]:
    return auth_headers(http, "admin")
