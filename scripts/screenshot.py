"""Render docs/screenshot.svg: the app at 100x30 on fresh demo data, right after a refusal (the
evidence: which PO still holds the CCO's lines) and a successful unlink.

Run with `uv run python scripts/screenshot.py`; the README shows the result.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from cco_unlink.sandbox_target import sandbox_target
from sandbox import SandboxConfig, SandboxServer, demo, inspect
from services.backend import Backend
from tui.app import CcoUnlinkApp
from tui.screens.change_orders import ChangeOrdersScreen

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "screenshot.svg"
SIZE = (100, 30)
"""A terminal a little wider than the 80 columns the screen is built for."""


async def render(server: SandboxServer, data_file: Path, workdir: Path) -> None:
    target = sandbox_target(server.base_url, workdir / "audit.jsonl")
    synced = inspect.synced_ccos(data_file)
    gone = min(c.id for c in synced if not c.in_quickbooks)
    present = min(c.id for c in synced if c.in_quickbooks)
    app = CcoUnlinkApp(Backend(target))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, ChangeOrdersScreen)
        for cco_id in (present, gone):
            screen.table.move_cursor(row=screen.table.get_row_index(cco_id))
            await pilot.press("u")
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
            await app.workers.wait_for_complete()
        # Below 120 columns the detail pane, opened with the next steps after the unlink,
        # covers the list: the picture is of the list.
        await pilot.press("escape")
        screen.table.move_cursor(row=screen.table.get_row_index(present))
        await pilot.pause(0.3)
        app.save_screenshot(filename=OUTPUT.name, path=str(OUTPUT.parent))


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        data_file = workdir / "sandbox.sqlite3"
        demo.reset(data_file, SandboxConfig(data_file=data_file).seed)
        with SandboxServer(SandboxConfig(data_file=data_file)) as server:
            asyncio.run(render(server, data_file, workdir))
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
