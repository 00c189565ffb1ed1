"""The screen as a person uses it: what it shows, and what the backend holds afterwards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input, Static
from textual.widgets._toast import Toast

from sandbox import SandboxServer, inspect
from services import messages
from services.backend import Backend, Target
from tests.helpers import demo_cco_id, is_linked
from tests.tui.conftest import (
    AppRunner,
    delete_in_quickbooks,
    notifications,
    screen_of,
    select,
    settle,
    unlink,
)
from tui.app import CcoUnlinkApp
from tui.screens.batch_summary import BatchSummaryScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.confirm_unlink_many import ConfirmUnlinkManyScreen
from tui.screens.unlink_actions import WAITING
from tui.widgets.key_footer import KeyFooter


@pytest.mark.reads_only
async def test_the_screen_lists_every_synced_cco_under_its_title(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    async with run_app() as pilot:
        screen = screen_of(pilot)
        assert pilot.app.title == "Commitment Change Orders"
        assert str(screen.query_one("#list-title", Static).render()) == messages.LIST_TITLE
        labels = [column.label for column in screen.table.columns]
        assert labels == [
            "",
            "CCO #",
            "Title",
            "Amount",
            "Project",
            "Vendor",
            "Commitment",
            "Synced",
            "QBD PO",
        ]
        company = screen.backend.company
        assert company is not None
        shown = set(screen.table.row_keys)
        expected = {c.id for c in inspect.synced_ccos(sandbox_data) if c.company_id == company.id}
        assert shown == expected
        assert len(shown) >= 20
        assert "synced CCOs" in str(screen.query_one("#status-line", Static).render())
        footer_keys = {
            b.binding.key for b in pilot.app.screen.active_bindings.values() if b.binding.show
        }
        assert {"u", "slash", "r", "q"} <= footer_keys
        footer = pilot.app.screen.query_one(KeyFooter).render().plain
        assert footer.startswith("q Quit ? Keys ") and "u Unlink" in footer


async def test_unlinking_a_cco_deleted_in_quickbooks_shows_green_and_the_row_leaves(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    async with run_app() as pilot:
        await unlink(pilot, cco_id)

        [toast] = notifications(pilot)
        first, next_step = toast.message.split("\n")
        assert first == "Successfully Unlinked"
        assert next_step == messages.NEXT_STEP  # the fix's step 3, named
        assert toast.severity == "information"
        assert not screen_of(pilot).table.has_row(cco_id)
        rendered = pilot.app.screen.query(Toast).last()
        background = rendered.styles.background
        assert background.g > background.r and background.g > background.b, background
    assert not is_linked(sandbox_data, cco_id)


async def test_a_cco_still_in_quickbooks_is_refused_in_red_and_stays(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    async with run_app() as pilot:
        await unlink(pilot, cco_id)

        [toast] = notifications(pilot)
        first, evidence = toast.message.split("\n")
        assert first == (
            "The CCO is still in QuickBooks® Desktop. Please delete it before retrying"
        )
        # The evidence follows: the purchase order and how many of the CCO's lines remain.
        assert " still on PO " in evidence and evidence.split(" of its ")[0].isdigit()
        assert toast.severity == "error"
        table = screen_of(pilot).table
        assert table.has_row(cco_id)
        assert table.get_cell(cco_id, "status") == "✗ In QBD"
        rendered = pilot.app.screen.query(Toast).last()
        background = rendered.styles.background
        assert background.r > background.g and background.r > background.b, background
    assert is_linked(sandbox_data, cco_id)


async def test_each_missing_permission_is_named_in_red(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    for user, named in (
        ("not-commitments-admin", "'Admin' on the project's Commitments tool"),
        ("erp-read-only", "'Standard' or 'Admin' on the company's ERP Integrations tool"),
        ("no-push", "'Can Push to Accounting' privilege"),
    ):
        async with run_app(user) as pilot:
            await unlink(pilot, cco_id)
            [toast] = notifications(pilot)
            assert toast.severity == "error", user
            assert named in toast.message, user
            assert screen_of(pilot).table.has_row(cco_id)
        assert is_linked(sandbox_data, cco_id), user


async def test_quickbooks_closed_fails_closed_in_red(
    run_app: AppRunner, sandbox: SandboxServer, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    async with run_app() as pilot:
        sandbox.faults.quickbooks_closed = True
        await unlink(pilot, cco_id)
        [toast] = notifications(pilot)
        assert toast.severity == "error"
        assert "QuickBooks® Desktop could not be reached, so nothing was changed" in toast.message
        assert screen_of(pilot).table.get_cell(cco_id, "status") == "! QBD unknown"
    assert is_linked(sandbox_data, cco_id)


async def test_answering_no_changes_nothing(run_app: AppRunner, sandbox_data: Path) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    async with run_app() as pilot:
        await unlink(pilot, cco_id, answer="n")
        assert notifications(pilot) == []
        assert screen_of(pilot).table.has_row(cco_id)
    assert is_linked(sandbox_data, cco_id)


@pytest.mark.reads_only
async def test_the_filter_keeps_rows_with_every_word_and_escape_clears_it(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    async with run_app() as pilot:
        screen = screen_of(pilot)
        total = screen.table.row_count
        some = next(iter(screen.rows.values()))
        words = f"{some.vendor.split()[0]} {some.project_name.split()[-1]}".upper()

        await pilot.press("slash")
        assert screen.focused is screen.query_one("#filter", Input)
        await pilot.press(*words)
        await pilot.pause()
        shown = [screen.rows[key] for key in screen.table.row_keys]
        assert 0 < len(shown) < total
        for cco in shown:
            text = f"{cco.vendor} {cco.project_name}".lower()
            assert all(
                word in text or word in cco.commitment_label.lower() or word in cco.title.lower()
                for word in words.lower().split()
            )

        await pilot.press("enter")
        assert screen.focused is screen.table
        assert screen.table.row_count == len(shown)
        assert "shown" in str(screen.query_one("#status-line", Static).render())

        await pilot.press("escape")
        await pilot.pause()
        assert screen.table.row_count == total


async def test_unlink_from_a_filtered_view_then_refresh(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    async with run_app() as pilot:
        screen = screen_of(pilot)
        cco = screen.rows[cco_id]
        await pilot.press("slash", *cco.title.lower(), "enter")
        await pilot.pause()
        assert screen.table.has_row(cco_id)
        await unlink(pilot, cco_id)
        assert notifications(pilot)[-1].message.startswith("Successfully Unlinked\n")
        await pilot.press("r")
        await settle(pilot)
        assert cco_id not in screen.rows


async def test_j_and_k_move_the_cursor(run_app: AppRunner) -> None:
    async with run_app() as pilot:
        table = screen_of(pilot).table
        assert table.cursor_row == 0
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1


async def test_the_sandbox_walk_through_red_then_delete_then_green(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    async with run_app() as pilot:
        await unlink(pilot, cco_id)
        assert notifications(pilot)[-1].severity == "error"

        await delete_in_quickbooks(pilot, cco_id, sandbox_data)
        assert "Deleted in QuickBooks® Desktop" in notifications(pilot)[-1].message

        await unlink(pilot, cco_id)
        assert notifications(pilot)[-1].message.startswith("Successfully Unlinked\n")
        assert notifications(pilot)[-1].severity == "information"
        assert not screen_of(pilot).table.has_row(cco_id)
    assert not is_linked(sandbox_data, cco_id)


@pytest.mark.reads_only
async def test_keys_typed_ahead_after_slash_go_to_the_filter_not_to_actions(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    """Over SSH a person types "/", then the words, before the filter has focus: the words must
    land in the filter, and letters that are actions on the list (r, x, u, q) must not fire."""
    async with run_app() as pilot:
        screen = screen_of(pilot)
        total = screen.table.row_count
        for key, character in [("slash", "/"), *[(c, c) for c in "roux"], ("enter", None)]:
            pilot.app.post_message(events.Key(key, character))
        await settle(pilot)

        assert screen.filter_input.value == "roux"
        assert pilot.app.screen is screen
        assert screen.focused is screen.table
        assert screen.table.row_count < total
        assert notifications(pilot) == []


async def test_picked_ccos_are_unlinked_in_one_go_and_those_still_in_quickbooks_stay(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    gone = sorted(c.id for c in inspect.synced_ccos(sandbox_data) if not c.in_quickbooks)[:2]
    present = demo_cco_id(sandbox_data, in_quickbooks=True)
    async with run_app() as pilot:
        screen = screen_of(pilot)
        for cco_id in [*gone, present]:
            select(pilot, cco_id)
            await pilot.press("space")
        assert screen.picked == [*gone, present]
        assert str(screen.table.get_cell(present, "status")) == "● Picked"
        assert "3 picked" in str(screen.query_one("#status-line", Static).render())

        await pilot.press("u")
        await pilot.pause()
        assert "Unlink these 3 picked CCOs" in str(
            pilot.app.screen.query_one("#many-question").render()
        )
        await pilot.press("y")
        await settle(pilot)

        [toast] = notifications(pilot)
        assert toast.severity == "error"
        assert toast.message == (
            f"2 unlinked; 1 still in QuickBooks® Desktop. {messages.SUMMARY_AGAIN}"
        )
        assert isinstance(pilot.app.screen, BatchSummaryScreen)  # every CCO and its outcome
        await pilot.press("escape")
        assert all(not screen.table.has_row(cco_id) for cco_id in gone)
        assert str(screen.table.get_cell(present, "status")) == "✗ In QBD"
        assert screen.picked == []
    assert not any(is_linked(sandbox_data, cco_id) for cco_id in gone)
    assert is_linked(sandbox_data, present)


async def test_a_picks_every_row_shown_and_a_again_drops_them(run_app: AppRunner) -> None:
    async with run_app() as pilot:
        screen = screen_of(pilot)
        cco = next(iter(screen.rows.values()))
        await pilot.press("slash", *cco.vendor.lower(), "enter")
        shown = list(screen.table.row_keys)
        await pilot.press("a")
        assert screen.picked == shown
        await pilot.press("a")
        assert screen.picked == []
        assert all(screen.table.get_cell(key, "status") == "" for key in shown)


async def test_keys_remapped_by_binding_id_in_the_settings_take_effect(
    make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    keymap = {"unlink": "ctrl+u", "pick": "m", "stop-batch": "ctrl+s"}
    app = CcoUnlinkApp(Backend(make_target()), keymap=keymap)
    async with app.run_test(size=(180, 40)) as pilot:
        await settle(pilot)
        screen = screen_of(pilot)
        await pilot.press("m")
        assert len(screen.picked) == 1
        await pilot.press("u")
        await pilot.pause()
        assert pilot.app.screen is screen  # u no longer unlinks
        await pilot.press("ctrl+u")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmUnlinkManyScreen)
        # The question names the key that stops the run as this person has it.
        question = str(pilot.app.screen.query_one("#many-question").render())
        assert "ctrl+s stops the run" in question and "Esc" not in question
        await pilot.press("n")


async def test_an_unexpected_error_says_the_result_is_unknown_and_the_app_keeps_running(
    run_app: AppRunner, sandbox_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=False)
    async with run_app() as pilot:
        screen = screen_of(pilot)

        async def broken(cco: object) -> None:
            raise RuntimeError("a bug")

        monkeypatch.setattr(screen.backend, "unlink", broken)
        await unlink(pilot, cco_id)
        [toast] = notifications(pilot)
        assert toast.severity == "error"
        assert "its result is not known" in toast.message
        assert "a bug" not in toast.message
        assert screen.table.get_cell(cco_id, "status") == "✗ Failed"
        assert pilot.app.is_running


async def test_a_cco_waiting_in_a_batch_is_not_unlinked_or_picked_a_second_time(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    async with run_app() as pilot:
        screen = screen_of(pilot)
        screen._mark(gone, WAITING)  # as a batch marks the CCOs it has yet to reach
        select(pilot, gone)
        await pilot.press("u")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ConfirmScreen)
        assert any("already being worked on" in n.message for n in notifications(pilot))
        await pilot.press("a")  # pick every row shown: all but the waiting one
        await pilot.pause()
        assert gone not in screen.picked
        assert len(screen.picked) == screen.table.row_count - 1
    assert is_linked(sandbox_data, gone)
