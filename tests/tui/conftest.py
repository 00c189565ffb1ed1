"""Drive the real app with Textual's Pilot against the sandbox on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.notifications import Notification
from textual.pilot import Pilot

from sandbox import inspect
from services.backend import Backend, Target
from tui.app import CcoUnlinkApp
from tui.screens.change_orders import ChangeOrdersScreen
from tui.screens.typed_confirm import TypedConfirmScreen

AppRunner = Callable[..., Any]


@pytest.fixture
def run_app(make_target: Callable[..., Target]) -> AppRunner:
    @asynccontextmanager
    async def run(user: str = "admin", **target_changes: Any) -> AsyncIterator[Pilot[None]]:
        app = CcoUnlinkApp(Backend(make_target(user, **target_changes)))
        async with app.run_test(size=(180, 40), notifications=True) as pilot:
            await settle(pilot)
            yield pilot

    return run


async def settle(pilot: Pilot[None]) -> None:
    """Let every worker finish and the screen repaint."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 5.0
) -> None:
    """Let the app run until `condition` holds: a busy machine may take longer than a fixed
    pause, and a test must not pass or fail by how loaded the machine is."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the screen never got there"
        await pilot.pause(0.02)


def screen_of(pilot: Pilot[None]) -> ChangeOrdersScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ChangeOrdersScreen), type(screen)
    return screen


def select(pilot: Pilot[None], cco_id: int) -> None:
    table = screen_of(pilot).table
    table.move_cursor(row=table.get_row_index(cco_id))


def notifications(pilot: Pilot[None]) -> list[Notification]:
    return list(pilot.app._notifications)


async def unlink(pilot: Pilot[None], cco_id: int, answer: str = "y") -> None:
    select(pilot, cco_id)
    await pilot.press("u")
    await pilot.pause()
    await pilot.press(answer)
    await settle(pilot)


async def delete_in_quickbooks(
    pilot: Pilot[None], cco_id: int, data_file: Path, typed: str | None = None
) -> TypedConfirmScreen:
    """Press x on the CCO and type the purchase order's number (or `typed`) and Enter."""
    select(pilot, cco_id)
    cco = screen_of(pilot).selected()
    assert cco is not None and cco.link is not None
    await pilot.press("x")
    # Not settle(): the worker waits for this very dialog. It opens once the order is read.
    for _ in range(500):
        if isinstance(pilot.app.screen, TypedConfirmScreen):
            break
        await pilot.pause(0.01)
    dialog = pilot.app.screen
    assert isinstance(dialog, TypedConfirmScreen), type(dialog)
    ref_number = inspect.po_ref_number(data_file, cco.link.po_txn_id)
    assert ref_number and dialog.expected == ref_number
    await pilot.press(*(typed if typed is not None else ref_number), "enter")
    await pilot.pause()
    if pilot.app.screen is not dialog:  # else the worker still waits for its answer
        await settle(pilot)
    return dialog
