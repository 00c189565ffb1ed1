"""Snapshots of the main screen (SVGs under __snapshots__/, reviewed like code): at 80x24,
120x40 and 200x50, and under NO_COLOR with a refusal and a success on screen. The data is the
seeded demo company and nothing on the screen reads a clock, so the pictures are the same on
every run. Update them with `uv run pytest tests/tui/test_snapshots.py --snapshot-update`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from services.backend import Backend, Target
from tests.helpers import demo_cco_id
from tests.tui.conftest import screen_of, select, settle
from tui.app import CcoUnlinkApp


async def loaded(pilot: Pilot[None]) -> None:
    """The demo list, in id order: projects load side by side, so their rows arrive in an
    order of their own each run."""
    await settle(pilot)
    table = screen_of(pilot).table
    assert table.row_count > 20
    table.replace_rows(sorted(table.records.values(), key=lambda cco: cco.id))
    table.move_cursor(row=0)
    await settle(pilot)


@pytest.mark.reads_only
@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
def test_the_list_at(
    snap_compare: Any, make_target: Callable[..., Target], size: tuple[int, int]
) -> None:
    app = CcoUnlinkApp(Backend(make_target()))
    assert snap_compare(app, terminal_size=size, run_before=loaded)


def test_no_color_tells_refusal_from_success_by_sign(
    snap_compare: Any,
    make_target: Callable[..., Target],
    sandbox_data: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    present = demo_cco_id(sandbox_data, in_quickbooks=True)
    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    app = CcoUnlinkApp(Backend(make_target()))
    assert app.no_color

    async def refuse_one_unlink_another(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        for cco_id in (present, gone):
            select(pilot, cco_id)
            await pilot.press("u")
            await pilot.pause()
            await pilot.press("y")
            await settle(pilot)
        # The detail pane opens on the unlinked CCO with what comes next; it has snapshots of
        # its own (and reads the clock), this one is of the list.
        await pilot.press("escape")
        select(pilot, present)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=refuse_one_unlink_another)
