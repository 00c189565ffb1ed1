"""Helpers for the reliability tests: run the headless commands in-process, and put the demo's
links back between rounds so that one data set serves hundreds of attempts.

Each command runs on a clock of its own that skips the waits between retries (tests.clock): the
sandbox's faults are drawn per request, not per second, so the waits decide nothing here.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from cco_unlink import headless
from services.backend import Backend, Target
from tests.clock import JumpingClock


@dataclass(frozen=True)
class CommandRun:
    status: int
    out: str
    err: str

    def objects(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


async def headless_unlink(target: Target, project_id: int, cco_ids: list[int]) -> CommandRun:
    """`cco-unlink unlink --project P --cco C... --json`, in this process, as a fresh command."""
    backend = Backend(target, JumpingClock())
    out, err = io.StringIO(), io.StringIO()
    try:
        status = await headless.unlink_command(backend, project_id, cco_ids, True, out, err)
    finally:
        await backend.aclose()
    return CommandRun(status, out.getvalue(), err.getvalue())


async def headless_list(target: Target, project_id: int | None = None) -> CommandRun:
    backend = Backend(target, JumpingClock())
    out, err = io.StringIO(), io.StringIO()
    try:
        status = await headless.list_command(backend, project_id, True, out, err)
    finally:
        await backend.aclose()
    return CommandRun(status, out.getvalue(), err.getvalue())
