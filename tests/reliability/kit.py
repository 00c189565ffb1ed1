"""Helpers for the reliability tests: run the headless commands in-process, and put the demo's
links back between rounds so that one data set serves hundreds of attempts.

Each command runs on a clock of its own that skips the waits between retries (tests.clock): the
sandbox's faults are drawn per request, not per second, so the waits decide nothing here.
"""

from __future__ import annotations

import io
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cco_unlink import headless
from services.backend import Backend, Target
from tests.clock import JumpingClock

LinkSnapshot = dict[int, tuple[Any, ...]]


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


def snapshot_links(data_file: Path) -> LinkSnapshot:
    """Every CCO's and line item's link as it is now, to restore between rounds."""
    with sqlite3.connect(data_file) as conn:
        ccos = conn.execute("SELECT id, origin_id, origin_data, synced_at FROM ccos").fetchall()
        lines = conn.execute("SELECT id, origin_id FROM cco_line_items").fetchall()
    snapshot: LinkSnapshot = {row[0]: ("cco", *row[1:]) for row in ccos}
    snapshot.update({row[0]: ("line", row[1]) for row in lines})
    return snapshot


def restore_links(data_file: Path, snapshot: LinkSnapshot) -> None:
    """Arrange a round: the links as the snapshot holds them (ids of CCOs and lines never clash)."""
    conn = sqlite3.connect(data_file, timeout=10)
    try:
        with conn:
            for item_id, saved in snapshot.items():
                if saved[0] == "cco":
                    conn.execute(
                        "UPDATE ccos SET origin_id = ?, origin_data = ?, synced_at = ?"
                        " WHERE id = ?",
                        (*saved[1:], item_id),
                    )
                else:
                    conn.execute(
                        "UPDATE cco_line_items SET origin_id = ? WHERE id = ?", (saved[1], item_id)
                    )
    finally:
        conn.close()
