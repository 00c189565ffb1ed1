"""The keys around an unlink, as a person presses them: the detail pane, check, copy, stop a run,
the run's summary, and deleting in Procore. What the screen shows and what the sandbox holds."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from sandbox import SandboxServer, inspect
from services import messages
from services.audit import Action, AuditLog, AuditRecord, Phase
from services.backend import Target
from services.models import DeleteKind
from tests.helpers import demo_cco_id, is_linked
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
from tui.screens.batch_summary import BatchSummaryScreen
from tui.screens.change_orders import ChangeOrdersScreen
from tui.screens.confirm_unlink_many import ConfirmUnlinkManyScreen
from tui.screens.fix_actions import GONE_FROM_QUICKBOOKS
from tui.screens.typed_confirm import TypedConfirmScreen
from tui.widgets.detail_pane import Failed


def _text(pilot: Pilot[None], selector: str) -> str:
    """What a part of the screen says, as plain text (rich renderables included)."""
    content = screen_of(pilot).query_one(selector, Static).content
    if isinstance(content, str):
        return content
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


def _gone_ids(data_file: Path, count: int) -> list[int]:
    ids = sorted(c.id for c in inspect.synced_ccos(data_file) if not c.in_quickbooks)
    assert len(ids) >= count
    return ids[:count]


async def test_enter_opens_the_pane_with_the_live_quickbooks_evidence_and_esc_closes_it(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    async with run_app() as pilot:
        screen = screen_of(pilot)
        cco = screen.rows[cco_id]
        select(pilot, cco_id)
        await pilot.press("enter")
        await settle(pilot)

        assert screen.pane.is_open and screen.pane.cco == cco
        assert screen.has_class("-detail-beside")  # 180 columns: beside the list
        assert f"CCO #{cco.number}" in _text(pilot, "#detail-title")
        header = _text(pilot, "#detail-header")
        assert cco.vendor in header and "approved (read " in header
        assert "Dana Whitfield" in header  # who created it, as Procore says
        assert screen.backend.web_address(cco).split("/")[-1] in header.replace("\n", "")
        quickbooks = _text(pilot, "#detail-quickbooks")
        assert "still on PO" in quickbooks and "(read " in quickbooks
        lines = _text(pilot, "#detail-lines")
        detail = screen.pane.detail
        assert detail is not None and not isinstance(detail, Failed) and detail.lines
        for line in detail.lines:  # each with its amount and cost code
            assert line.cost_code in lines and line.description in lines
        assert f"still on PO {cco.po_reference}" in lines
        assert is_linked(sandbox_data, cco_id)  # reading changed nothing

        await pilot.press("escape")
        assert not screen.pane.is_open
        assert screen.focused is screen.table


async def test_a_read_that_fails_says_why_in_the_pane(
    run_app: AppRunner, sandbox: SandboxServer, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    async with run_app() as pilot:
        sandbox.faults.quickbooks_closed_percent = 100
        select(pilot, cco_id)
        await pilot.press("enter")
        await settle(pilot)
        quickbooks = _text(pilot, "#detail-quickbooks")
        assert "not read" in quickbooks or "could not be asked" in quickbooks
        assert "still on PO" not in quickbooks and "Gone from" not in quickbooks


async def test_y_and_o_copy_the_id_and_the_procore_address(
    run_app: AppRunner, sandbox_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,1,0")
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    async with run_app() as pilot:
        screen = screen_of(pilot)
        select(pilot, cco_id)
        await pilot.press("y")
        assert pilot.app.clipboard == str(cco_id)
        await pilot.press("o")
        address = screen.backend.web_address(screen.rows[cco_id])
        assert pilot.app.clipboard == address
        assert address.endswith(f"/commitments/change_orders/{cco_id}")
        toast = notifications(pilot)[-1]
        assert "OSC 52" in toast.message and address in toast.message
        assert "may not accept OSC 52" in toast.message  # under tmux, it says so


async def test_c_checks_the_picked_ccos_and_marks_each_row_changing_nothing(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    there = demo_cco_id(sandbox_data, in_quickbooks=True)
    async with run_app() as pilot:
        screen = screen_of(pilot)
        for cco_id in (gone, there):
            select(pilot, cco_id)
            await pilot.press("space")
        await pilot.press("c")
        await settle(pilot)

        assert screen.table.get_cell(gone, "status") == GONE_FROM_QUICKBOOKS
        assert screen.table.get_cell(there, "status").startswith("✗ In QBD (")
        toast = notifications(pilot)[-1]
        assert "1 gone" in toast.message and "1 still in" in toast.message
        assert "Nothing was changed" in toast.message

        # The marks are what the person learned: a full reload keeps them.
        await pilot.press("r")
        await settle(pilot)
        assert screen.table.get_cell(gone, "status") == GONE_FROM_QUICKBOOKS
        assert screen.table.get_cell(there, "status").startswith("✗ In QBD (")
    assert is_linked(sandbox_data, gone) and is_linked(sandbox_data, there)


async def test_the_confirm_dialog_lists_the_picks_counts_the_hidden_and_starts_on_cancel(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    first, second = _gone_ids(sandbox_data, 2)
    async with run_app() as pilot:
        screen = screen_of(pilot)
        for cco_id in (first, second):
            select(pilot, cco_id)
            await pilot.press("space")
        title = screen.rows[first].title
        assert title != screen.rows[second].title
        await pilot.press("slash")
        screen.filter_input.value = title.lower()  # typed at once: the filter's own tests type
        await pilot.press("enter")
        await settle(pilot)
        assert screen.table.has_row(first) and not screen.table.has_row(second)

        await pilot.press("u")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmUnlinkManyScreen)
        hidden = str(dialog.query_one("#many-hidden", Static).render())
        assert "1 of them is hidden by the filter" in hidden
        listed = str(dialog.query_one("#many-list Static", Static).render())
        assert screen.rows[first].title in listed and screen.rows[second].title in listed
        assert isinstance(dialog.focused, Button) and dialog.focused.id == "confirm-no"
        assert "Unlink in Procore" in str(dialog.query_one("#confirm-yes", Button).label)
        await pilot.press("enter")  # Enter alone: Cancel
        await settle(pilot)
        assert pilot.app.screen is screen
    assert is_linked(sandbox_data, first) and is_linked(sandbox_data, second)


def _in_progress(screen: ChangeOrdersScreen) -> int | None:
    """The id of the CCO an unlink of many is working on, if one is."""
    current = screen.running.current if screen.running is not None else None
    return None if current is None else current.id


async def test_esc_stops_a_run_after_the_cco_in_progress_and_R_shows_every_outcome(
    run_app: AppRunner,
    sandbox: SandboxServer,
    sandbox_data: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    ids = _gone_ids(sandbox_data, 3)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    async with run_app() as pilot:
        screen = screen_of(pilot)
        for cco_id in ids:
            select(pilot, cco_id)
            await pilot.press("space")
        # QuickBooks is slow: the first is still in progress when Esc comes, with room to spare
        # on a busy machine (with less, the first was done and the second under way by then).
        sandbox.faults.connector_delay_s = 1.5
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: _in_progress(screen) is not None)
        assert _in_progress(screen) == ids[0]
        await pilot.press("escape")
        assert messages.BATCH_STOPPING in _text(pilot, "#status-line")
        await settle(pilot)

        summary = pilot.app.screen
        assert isinstance(summary, BatchSummaryScreen)  # opened at the end of the run
        words = [r.words for r in summary.unlinks.results]
        assert words == ["unlinked", messages.NOT_TRIED, messages.NOT_TRIED]
        assert messages.BATCH_STOPPED in str(summary.query_one("#summary-line", Static).render())
        await pilot.press("s")
        saved = list((tmp_path / "data" / "cco-unlink" / "reports").glob("unlink-*.csv"))
        assert len(saved) == 1
        with saved[0].open(newline="", encoding="utf-8") as handle:
            outcomes = [row["outcome"] for row in csv.DictReader(handle)]
        assert outcomes == ["unlinked", "not_tried", "not_tried"]
        await pilot.press("escape")
        assert pilot.app.screen is screen

        # The rows not tried are back to plain rows; R reopens the summary.
        assert all(screen.table.get_cell(cco_id, "status") == "" for cco_id in ids[1:])
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(pilot.app.screen, BatchSummaryScreen)
        # Enter on the unlinked CCO opens it in the pane, with step 3 of the fix at hand.
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen and screen.pane.cco is not None
        assert screen.pane.cco.id == ids[0]
        assert messages.UNLINKED_NOW in _text(pilot, "#detail-quickbooks")
        assert "d delete in Procore" in _text(pilot, "#detail-keys")
    assert not is_linked(sandbox_data, ids[0])
    assert is_linked(sandbox_data, ids[1]) and is_linked(sandbox_data, ids[2])


async def test_d_refuses_a_linked_cco_and_deletes_an_unlinked_one_after_its_number_is_typed(
    run_app: AppRunner, sandbox_data: Path, make_target: Callable[..., Target]
) -> None:
    linked = demo_cco_id(sandbox_data, in_quickbooks=True)
    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    async with run_app() as pilot:
        screen = screen_of(pilot)
        select(pilot, linked)
        await pilot.press("d")
        await pilot.pause()
        assert pilot.app.screen is screen  # nothing asked
        assert notifications(pilot)[-1].message == messages.DELETE_STILL_LINKED
        assert is_linked(sandbox_data, linked)

        cco = screen.rows[gone]
        await unlink(pilot, gone)
        # The pane shows the unlinked CCO and what the fix asks next.
        assert screen.pane.is_open and screen.pane.cco == cco
        assert messages.NEXT_STEP in _text(pilot, "#detail-next")
        assert "d delete in Procore" in _text(pilot, "#detail-keys")

        await pilot.press("d")
        await pilot.pause()
        assert isinstance(pilot.app.screen, TypedConfirmScreen)
        await pilot.press(*"999", "enter")
        assert "nothing was deleted" in str(pilot.app.screen.query_one("#typed-problem").render())
        pilot.app.screen.query_one(Input).value = ""
        await pilot.press(*cco.number, "enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert notifications(pilot)[-1].message == messages.DELETED_IN_PROCORE
        assert messages.DELETED_IN_PROCORE in _text(pilot, "#detail-next")
        assert "d delete" not in _text(pilot, "#detail-keys")
        await pilot.press("d")  # deleted already: said so, nothing asked or sent
        await pilot.pause()
        assert pilot.app.screen is screen
        assert notifications(pilot)[-1].message == messages.DELETE_NOT_FOUND
    with pytest.raises(KeyError):
        inspect.cco_link(sandbox_data, gone)  # the sandbox no longer has it
    audit = make_target().audit_path
    deletes = [
        (r.phase, r.outcome, r.cco_id)
        for r in AuditLog(audit).read()
        if isinstance(r, AuditRecord) and r.action == Action.PROCORE_DELETE.value
    ]
    assert deletes == [
        (Phase.STARTED.value, "", gone),
        (Phase.ENDED.value, DeleteKind.DELETED.value, gone),
    ]


async def test_esc_stops_a_check_of_many_after_the_cco_in_progress(
    run_app: AppRunner, sandbox: SandboxServer
) -> None:
    async with run_app() as pilot:
        screen = screen_of(pilot)
        await pilot.press("a")  # every row picked
        picked = list(screen.picked)
        assert len(picked) > 3
        # Slow enough that the first is still being checked when Esc comes, on a busy machine too.
        sandbox.faults.connector_delay_s = 1.5
        await pilot.press("c")
        await wait_until(pilot, lambda: screen.checks_running)
        await pilot.press("c")
        await pilot.press("escape")
        await settle(pilot)

        toast = notifications(pilot)[-1]
        assert toast.title is not None and "Checked 1 in QuickBooks" in toast.title
        # c again while the first check ran: refused, one check at a time.
        assert any(t.message == messages.check_under_way("Esc") for t in notifications(pilot)), [
            t.message for t in notifications(pilot)
        ]
        assert f"{len(picked) - 1} not asked" in toast.message
        marked = [key for key in picked if screen.table.get_cell(key, "status") != "● Picked"]
        assert marked == [picked[0]]  # the rest keep their pick mark
        assert screen.picked == picked


async def test_x_with_the_pane_open_reads_quickbooks_again_so_the_pane_says_gone(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    async with run_app() as pilot:
        screen = screen_of(pilot)
        select(pilot, cco_id)
        await pilot.press("enter")
        await settle(pilot)
        assert "still on PO" in _text(pilot, "#detail-quickbooks")

        await delete_in_quickbooks(pilot, cco_id, sandbox_data)
        [held] = [c for c in inspect.synced_ccos(sandbox_data) if c.id == cco_id]
        assert not held.in_quickbooks  # the delete reached the simulated QuickBooks
        assert screen.pane.is_open and screen.pane.cco is not None
        assert screen.pane.cco.id == cco_id
        # The pane agrees with the toast: it never keeps saying the lines are on the PO.
        quickbooks = _text(pilot, "#detail-quickbooks")
        assert "Gone from QuickBooks" in quickbooks and "still on PO" not in quickbooks
        assert "still on PO" not in _text(pilot, "#detail-lines")


async def test_the_pane_of_a_cco_just_unlinked_no_longer_calls_it_ready_to_unlink(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    async with run_app() as pilot:
        screen = screen_of(pilot)
        await unlink(pilot, gone)
        assert screen.pane.is_open and screen.pane.cco is not None and screen.pane.cco.id == gone
        quickbooks = _text(pilot, "#detail-quickbooks")
        assert "Gone from QuickBooks" in quickbooks  # what QuickBooks said before the unlink
        assert "Ready to unlink" not in quickbooks  # it is unlinked: the pane says what is next
        assert messages.NEXT_STEP in _text(pilot, "#detail-next")
    assert not is_linked(sandbox_data, gone)


async def test_the_question_before_an_unlink_says_who_checks_quickbooks_first(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    async with run_app() as pilot:
        select(pilot, cco_id)
        await pilot.press("u")
        await pilot.pause()
        question = str(pilot.app.screen.query_one("#confirm-question", Static).render())
        # Procore checks nothing: cco-unlink asks QuickBooks before it sends the unlink.
        assert "Procore will" not in question
        assert messages.CHECKED_FIRST in question
        await pilot.press("n")
        await settle(pilot)
    assert is_linked(sandbox_data, cco_id)


async def test_u_and_x_act_on_the_cco_the_pane_shows_as_c_does_not_a_row_moved_to_since(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    shown_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    async with run_app() as pilot:
        screen = screen_of(pilot)
        shown = screen.rows[shown_id]
        select(pilot, shown_id)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("down")  # beside the list, the cursor moves on; the pane stays
        other = screen.selected()
        assert other is not None and other.id != shown_id
        assert screen.pane.cco == shown

        # u asks a yes or no; x asks for the purchase order's number typed out.
        for key, question_id, cancel in (
            ("u", "#confirm-question", "n"),
            ("x", "#typed-question", "escape"),
        ):
            await pilot.press(key)
            for _ in range(50):  # x reads the purchase order before it asks
                if pilot.app.screen is not screen:
                    break
                await pilot.pause(0.05)
            question = str(pilot.app.screen.query_one(question_id, Static).render())
            assert shown.label in question and other.label not in question, (key, question)
            await pilot.press(cancel)
            await settle(pilot)
            assert pilot.app.screen is screen
    assert is_linked(sandbox_data, shown_id)


async def test_the_pane_shows_names_holding_brackets_as_written(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    name = "Acme [/] Concrete [bold]"  # as markup it would not even render
    with sqlite3.connect(sandbox_data) as conn:
        conn.execute("UPDATE vendors SET name = ?", (name,))
        conn.execute("UPDATE projects SET name = ?", (name,))
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    async with run_app() as pilot:
        select(pilot, cco_id)
        await pilot.press("enter")
        await settle(pilot)
        header = _text(pilot, "#detail-header")
        assert header.count(name) == 2, header  # the project and the vendor
