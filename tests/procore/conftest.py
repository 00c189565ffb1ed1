"""Servers with tight limits for the Procore conformance and client tests, on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox import SandboxConfig, SandboxServer

StartSandbox = Callable[..., SandboxServer]


@pytest.fixture
def start_sandbox(sandbox_data: Path) -> Iterator[StartSandbox]:
    """Start a sandbox on the test's own data with config overrides; stopped at teardown."""
    started: list[SandboxServer] = []

    def start(**overrides: Any) -> SandboxServer:
        server = SandboxServer(SandboxConfig(data_file=sandbox_data, **overrides))
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop(wait=False)
