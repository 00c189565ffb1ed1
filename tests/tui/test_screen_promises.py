"""The screen keeps its promises while changes are out: a reload cannot drop what it is working
on, r waits its turn, q asks and a forced quit lets the change in flight end and be recorded, and
a failed delete in QuickBooks never leaves its row stuck."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from sandbox import SandboxServer, inspect
from services import messages
from services.audit import Action, AuditLog, AuditRecord, Subject, Who
from tests.helpers import is_linked
from tests.tui.conftest import (
    AppRunner,
    delete_in_quickbooks,
    notifications,
    screen_of,
    select,
    settle,
    unlink,
    wait_until,
)
from tui.screens.confirm import ConfirmScreen
from tui.screens.typed_confirm import TypedConfirmScreen
from tui.screens.unlink_actions import DELETING, UNLINKING, WAITING


def _gone(sandbox_data: Path, count: int) -> list[int]:
    ids = sorted(
        c.id
        for c in inspect.synced_ccos(sandbox_data)
        if not c.in_quickbooks and c.company_id == 5_200_001
    )
    assert len(ids) >= count
    return ids[:count]


async def _start_batch(pilot: Pilot[None], ids: list[int]) -> None:
    for cco_id in ids:
        select(pilot, cco_id)
        await pilot.press("space")
    await pilot.press("u")
    await pilot.pause()
    await pilot.press("y")
    await pilot.pause(0.1)
    assert screen_of(pilot).running is not None  # the case is met: the batch is under way


def _records(path: Path) -> list[AuditRecord]:
    return [e for e in AuditLog(path).read() if isinstance(e, AuditRecord)]


async def test_r_during_a_batch_refuses_and_no_reload_drops_a_busy_mark(
    run_app: AppRunner, sandbox: SandboxServer, sandbox_data: Path, tmp_path: Path
) -> None:
    ids = _gone(sandbox_data, 3)
    sandbox.faults.quickbooks_delay_ms = 800  # each unlink takes a while
    async with run_app() as pilot:
        screen = screen_of(pilot)
        await _start_batch(pilot, ids)

        await pilot.press("r")
        await pilot.pause()
        assert any(messages.REFRESH_WAITS in n.message for n in notifications(pilot))

        # A reload that does not come from r (a sign-in, say) keeps the marks all the same.
        last = ids[-1]
        screen.load(full=True)
        # The reload clears the list and brings each project's rows back as they come: wait
        # for this CCO's row, however long a busy machine takes, then read its mark.
        await wait_until(pilot, lambda: screen.table.records.get(last) is not None)
        assert screen.table.status.get(last) in (WAITING, UNLINKING)
        select(pilot, last)
        await pilot.press("u")  # not a second unlink of a CCO waiting in the batch
        await pilot.pause()
        assert any("already being worked on" in n.message for n in notifications(pilot))
        await settle(pilot)
    started = [r.cco_id for r in _records(tmp_path / "audit.jsonl") if r.started]
    assert sorted(started) == sorted(ids)  # each CCO sent once
    assert not any(is_linked(sandbox_data, cco_id) for cco_id in ids)


async def test_q_during_a_batch_asks_and_a_forced_quit_records_what_the_backend_holds(
    run_app: AppRunner, sandbox: SandboxServer, sandbox_data: Path, tmp_path: Path
) -> None:
    ids = _gone(sandbox_data, 4)
    sandbox.faults.quickbooks_delay_ms = 400
    async with run_app() as pilot:
        await _start_batch(pilot, ids)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)  # asked, not gone
        question = pilot.app.screen.query_one("#confirm-question", Static).render()
        assert messages.QUIT_WHILE_CHANGING in str(question)
        await pilot.press("y")
        async with asyncio.timeout(20):
            while pilot.app.is_running:
                await asyncio.sleep(0.05)

    records = _records(tmp_path / "audit.jsonl")
    started = {r.attempt: r for r in records if r.started}
    ended = {r.attempt: r for r in records if not r.started}
    assert started and set(started) == set(ended)  # every change sent was recorded
    sent = {r.cco_id for r in started.values()}
    assert sent < set(ids)  # the quit stopped the batch: not every CCO was started
    for record in ended.values():
        assert record.outcome == "unlinked"
        assert not is_linked(sandbox_data, record.cco_id)  # the record matches the backend
    for cco_id in set(ids) - sent:
        assert is_linked(sandbox_data, cco_id)


async def _quit_anyway(
    pilot: Pilot[None], answer: asyncio.Event, still_out: Callable[[], bool], ends_first: bool
) -> None:
    """q while a change waits for its `answer`, and "quit anyway": the app leaves once the
    change has ended, whether it ends after the yes or while the question is open."""
    await pilot.press("q")
    # Asked, not gone: the question comes from a worker, a moment later on a busy machine.
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    assert pilot.app.is_running
    assert messages.QUIT_WHILE_CHANGING in str(
        pilot.app.screen.query_one("#confirm-question", Static).render()
    )
    if ends_first:
        answer.set()
        await wait_until(pilot, lambda: not still_out())
    await pilot.press("y")
    if not ends_first:
        await pilot.pause(0.2)
        assert pilot.app.is_running and still_out()  # waiting for the change in flight
        answer.set()
    async with asyncio.timeout(20):
        while pilot.app.is_running:
            await asyncio.sleep(0.05)


def _phases(audit: Path, action: Action) -> list[tuple[str, str]]:
    return [(r.phase, r.outcome) for r in _records(audit) if r.action == action.value]


ENDS = pytest.mark.parametrize("ends_first", [False, True], ids=["ends-after-yes", "ends-first"])


@ENDS
async def test_q_during_a_delete_in_quickbooks_lets_it_end_and_be_recorded(
    run_app: AppRunner, sandbox_data: Path, tmp_path: Path, ends_first: bool
) -> None:
    cco_id = min(c.id for c in inspect.synced_ccos(sandbox_data) if c.in_quickbooks)
    answer = asyncio.Event()
    async with run_app() as pilot:
        screen = screen_of(pilot)
        link = screen.rows[cco_id].link
        assert link is not None
        connector = screen.backend.quickbooks
        real = connector._exchange

        async def held_answer(document: bytes) -> bytes:
            reply = await real(document)
            if b"PurchaseOrderQueryRq" not in document:
                await answer.wait()  # QuickBooks made the change; its answer is on its way
            return reply

        connector._exchange = held_answer  # type: ignore[method-assign]
        select(pilot, cco_id)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TypedConfirmScreen))
        await pilot.press(*(inspect.po_ref_number(sandbox_data, link.po_txn_id) or ""), "enter")
        await wait_until(pilot, lambda: screen.working.get(cco_id) == DELETING)
        await _quit_anyway(pilot, answer, lambda: cco_id in screen.working, ends_first)

    assert _phases(tmp_path / "audit.jsonl", Action.QUICKBOOKS_DELETE) == [
        ("started", ""),
        ("ended", "deleted_in_quickbooks"),
    ]
    assert not set(link.txn_line_ids) & set(inspect.po_line_ids(sandbox_data, link.po_txn_id) or [])


@ENDS
async def test_q_during_a_delete_in_procore_asks_and_lets_it_end_and_be_recorded(
    run_app: AppRunner,
    sandbox_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ends_first: bool,
) -> None:
    cco_id = _gone(sandbox_data, 1)[0]
    answer = asyncio.Event()
    async with run_app() as pilot:
        screen = screen_of(pilot)
        number = screen.rows[cco_id].number
        await unlink(pilot, cco_id)
        client = screen.backend.procore
        real = client.delete_change_order

        async def held_answer(*args: object) -> None:
            await real(*args)  # type: ignore[arg-type]
            await answer.wait()  # Procore deleted it; its answer is on its way

        monkeypatch.setattr(client, "delete_change_order", held_answer)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TypedConfirmScreen))
        await pilot.press(*number, "enter")
        await wait_until(pilot, lambda: screen.work_under_way)
        await _quit_anyway(pilot, answer, lambda: screen.work_under_way, ends_first)

    assert _phases(tmp_path / "audit.jsonl", Action.PROCORE_DELETE) == [
        ("started", ""),
        ("ended", "deleted"),
    ]


async def test_a_quit_with_nothing_under_way_does_not_ask(run_app: AppRunner) -> None:
    async with run_app() as pilot:
        await pilot.press("q")
        async with asyncio.timeout(5):
            while pilot.app.is_running:
                await asyncio.sleep(0.02)


async def test_any_error_deleting_in_quickbooks_restores_the_row(
    run_app: AppRunner, sandbox_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cco_id = min(c.id for c in inspect.synced_ccos(sandbox_data) if c.in_quickbooks)
    async with run_app() as pilot:
        screen = screen_of(pilot)
        before = screen.table.status.get(cco_id, "")

        async def broken(cco: object, confirmed: object = None) -> str:
            assert screen.table.status.get(cco_id) == DELETING
            raise RuntimeError("a bug")

        monkeypatch.setattr(screen.backend, "delete_in_quickbooks", broken)
        await delete_in_quickbooks(pilot, cco_id, sandbox_data)
        assert screen.table.status.get(cco_id, "") == before
        assert cco_id not in screen.working
        assert any(messages.UNEXPECTED_DELETE in n.message for n in notifications(pilot))
        assert pilot.app.is_running


async def test_an_error_reading_the_order_before_a_delete_says_nothing_was_deleted(
    run_app: AppRunner, sandbox_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cco_id = min(c.id for c in inspect.synced_ccos(sandbox_data) if c.in_quickbooks)
    async with run_app() as pilot:
        screen = screen_of(pilot)
        before = screen.table.status.get(cco_id, "")
        read: list[object] = []

        async def broken(cco: object) -> None:
            read.append(cco)
            raise RuntimeError("a bug")

        monkeypatch.setattr(screen.backend, "plan_quickbooks_delete", broken)
        select(pilot, cco_id)
        await pilot.press("x")
        await settle(pilot)
        assert read  # the case met
        assert screen.table.status.get(cco_id, "") == before
        said = [n.message for n in notifications(pilot)]
        assert messages.UNEXPECTED_QUICKBOOKS_READ in said
        assert "nothing was deleted" in messages.UNEXPECTED_QUICKBOOKS_READ
        assert not any("sandbox" in message for message in said)
        assert pilot.app.is_running


async def test_the_app_settles_a_change_a_killed_run_left_open_and_says_so(
    run_app: AppRunner, sandbox_data: Path, tmp_path: Path
) -> None:
    linked = _gone(sandbox_data, 1)[0]
    project = next(c.project_id for c in inspect.synced_ccos(sandbox_data) if c.id == linked)
    audit = AuditLog(tmp_path / "audit.jsonl")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    who, subject = Who("admin", 7), Subject(5_200_001, project, linked, "1")
    with audit.attempt(Action.UNLINK, who, subject, "killed-run"):
        pass  # a run killed after its started line, before its request
    text = audit.path.read_text().replace(f'"pid":{os.getpid()}', f'"pid":{dead.pid}')
    audit.path.write_text(text)

    async with run_app() as pilot:
        assert any("read back from Procore and recorded" in n.message for n in notifications(pilot))
    ended = _records(audit.path)[-1]
    assert (ended.attempt, ended.outcome, ended.settled_later) == (
        "killed-run",
        "procore_failed",
        True,
    )
    assert is_linked(sandbox_data, linked)
