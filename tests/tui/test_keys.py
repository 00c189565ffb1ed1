"""Keys that can be found: quit and help in the footer at 80 columns, a help screen that lists the
app's keys first and scrolls by keyboard, every action in the command palette, g/G, and [keys]
entries that cannot work refused as settings errors."""

from __future__ import annotations

import csv
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.command import CommandPalette
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Static

from cco_unlink.cli import main
from services import locations
from services.backend import Backend, Target
from services.batch import UnlinkBatch
from tests.tui.conftest import AppRunner, notifications, screen_of, settle, wait_until
from tui.app import CcoUnlinkApp
from tui.screens.batch_summary import BatchSummaryScreen
from tui.screens.change_orders import ChangeOrdersScreen
from tui.screens.help import HelpScreen
from tui.screens.typed_confirm import TypedConfirmScreen
from tui.widgets.key_footer import KeyFooter


@pytest.mark.reads_only
async def test_quit_and_help_stay_in_the_footer_at_80_columns_and_answer_the_mouse(
    make_target: Callable[..., Target],
) -> None:
    app = CcoUnlinkApp(Backend(make_target()))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        keys = footer.shown
        assert [key.action for key in keys[:2]] == ["quit", "toggle_help"]
        line = footer.render().plain
        assert line.startswith("q Quit ? Keys ")
        for key in keys[:2]:
            assert key.end <= 80 and key.end > key.start
        # A key names itself under the mouse and is clicked, as Textual's footer keys are.
        help_key = keys[1]
        await pilot.hover(KeyFooter, offset=(help_key.start, 0))
        assert footer.tooltip == "Show every key"
        await pilot.click(KeyFooter, offset=(help_key.start + 2, 0))
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))


@pytest.mark.reads_only
async def test_g_and_shift_g_go_to_the_first_and_last_row(run_app: AppRunner) -> None:
    async with run_app() as pilot:
        table = screen_of(pilot).table
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1 > 0
        await pilot.press("g")
        assert table.cursor_row == 0


@pytest.mark.reads_only
async def test_help_lists_the_apps_keys_first_grouped_and_scrolls_by_keyboard(
    make_target: Callable[..., Target],
) -> None:
    app = CcoUnlinkApp(Backend(make_target()))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        names = [name for name, _ in help_screen.sections]
        assert names[:2] == ["Move in the list", "Look and check"]
        assert "The app" in names and "More" not in names
        assert names[-1] == "Textual's keys"
        rows = {row.binding_id: row for _, rows in help_screen.sections for row in rows}
        assert rows["unlink"].keys == "u" and rows["first-row"].keys.endswith("g")
        scroll = help_screen.query_one("#help-scroll", VerticalScroll)
        assert scroll.has_focus and scroll.max_scroll_y > 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert scroll.scroll_y > 0
        await pilot.press("G")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


@pytest.mark.reads_only
async def test_help_shows_remapped_keys(make_target: Callable[..., Target]) -> None:
    app = CcoUnlinkApp(Backend(make_target()), keymap={"unlink": "ctrl+u"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        rows = {row.binding_id: row for _, rows in help_screen.sections for row in rows}
        assert rows["unlink"].keys == "^u"


@pytest.mark.reads_only
async def test_the_detail_panes_key_hints_name_remapped_keys(
    make_target: Callable[..., Target],
) -> None:
    keymap = {"copy-address": "ctrl+o", "check": "k,c"}
    app = CcoUnlinkApp(Backend(make_target()), keymap=keymap)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        hint = str(app.screen.query_one("#detail-keys", Static).content)
        assert (
            hint == "y copy id · ctrl+o copy address · k check again · Enter read again · Esc close"
        )


@pytest.mark.reads_only
async def test_the_command_palette_offers_every_action_and_each_sort(run_app: AppRunner) -> None:
    async with run_app() as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = pilot.app.screen
        assert isinstance(palette, CommandPalette)
        await pilot.press(*"sort by amount")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        table = screen_of(pilot).table
        assert table.sort_column == "amount"
        commands = await palette_titles(pilot.app, screen_of(pilot))
        titles = ("Unlink", "Check", "Pick all", "Filter", "Refresh", "Export", "Theme", "Keys")
        for title in titles:
            assert title in commands, (title, sorted(commands))
        assert {f"Sort by {name}" for name in ("CCO #", "Title", "Amount", "Vendor")} <= commands


@pytest.mark.reads_only
async def test_e_exports_the_rows_shown_in_their_order_as_csv(run_app: AppRunner) -> None:
    async with run_app() as pilot:
        screen = screen_of(pilot)
        await pilot.press("slash", *"sc-", "enter", "s", "s", "s", "s")
        await settle(pilot)
        shown = list(screen.table.row_keys)
        assert 0 < len(shown) < len(screen.rows)
        await pilot.press("e")
        await settle(pilot)
        [toast] = [n for n in notifications(pilot) if n.title == "✓ Exported"]
        path = Path(toast.message.rsplit(": ", 1)[1])
        assert toast.message.startswith(f"{len(shown)} rows shown")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["cco_id"]) for row in rows] == shown
    assert path.stat().st_mode & 0o777 == 0o600
    amounts = [Decimal(row["amount"]) for row in rows]
    assert amounts == sorted(amounts)


@pytest.mark.reads_only
async def test_an_export_the_reports_folder_cannot_take_says_so(run_app: AppRunner) -> None:
    (locations.data_dir() / "reports").parent.mkdir(parents=True, exist_ok=True)
    (locations.data_dir() / "reports").write_text("a file where the folder should be")
    async with run_app() as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        [toast] = [n for n in notifications(pilot) if "Not exported" in n.title]
        assert str(locations.data_dir() / "reports") in toast.message
        assert isinstance(pilot.app.screen, ChangeOrdersScreen)  # the app goes on


async def palette_titles(app: App[None], screen: Screen[Any]) -> set[str]:
    titles = set()
    for entry in app.COMMANDS:
        provider_type = entry if isinstance(entry, type) else entry()
        async for hit in provider_type(screen).discover():
            titles.add(str(hit.text))
    return titles


@pytest.mark.parametrize(
    ("keys", "line", "says"),
    [
        ('unlnk = "z"', 3, "'unlnk' is not a binding id"),
        ('unlink = "q"', 3, 'unlink = "q": q is already the key of quit'),
        ('pick = "m"\nrefresh = "u"', 4, "u is already the key of unlink"),
        ('unlink = "ctrl+"', 3, 'unlink = "ctrl+": "ctrl+" is not a key'),
        ('unlink = "u,ctrl+zz"', 3, '"ctrl+zz" is not a key'),
        ('unlink = "hyper+pgdn"', 3, '"hyper+pgdn" is not a key'),
    ],
)
def test_a_keys_entry_that_cannot_work_is_a_settings_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    keys: str,
    line: int,
    says: str,
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(f"[ui]\n[keys]\n{keys}\n")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert main(["--settings", str(path)]) == 2
    said = capsys.readouterr().err
    assert said.startswith(f"cco-unlink: {path}:{line}:"), said
    assert says in said


def test_a_keys_entry_that_works_passes_the_check(tmp_path: Path) -> None:
    from tui.keymap import keymap_problems

    assert keymap_problems({"unlink": "ctrl+u", "pick": "m", "quit": "ctrl+q"}) == []
    # Escape stops a run, closes the pane or clears the filter, by design.
    assert keymap_problems({"clear-filter": "escape,ctrl+l"}) == []
    assert keymap_problems({"unlink": "?"}) == [
        ("unlink", 'unlink = "?": question_mark is already the key of help')
    ]


def test_every_key_name_a_person_may_write_passes_the_check() -> None:
    from tui.keymap import keymap_problems

    named = "f5,pagedown,shift+tab,slash,minus,ctrl+shift+up,alt+x,space,question_mark,?,u"
    problems = [problem for _, problem in keymap_problems({"unlink": named})]
    assert problems  # some are other actions' keys: the check did run
    assert not [problem for problem in problems if "is not a key" in problem], problems


@pytest.mark.reads_only
async def test_the_footer_at_80_columns_shows_keys_whole_and_nothing_behind_the_palette_key(
    make_target: Callable[..., Target],
) -> None:
    app = CcoUnlinkApp(Backend(make_target()))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for opened in ("list", "detail pane"):
            if opened == "detail pane":
                await pilot.press("enter")
                await settle(pilot)
            footer = app.screen.query_one(KeyFooter)
            line = footer.render().plain
            keys = list(footer.shown)
            palette = keys.pop()
            assert palette.palette and palette.end == 80, opened
            assert line.endswith("▏^p palette") and len(line) == 80, opened
            assert [key.action for key in keys[:2]] == ["quit", "toggle_help"], opened
            for key in keys:
                # Whole, before the palette's edge: what the line shows there is the key.
                assert key.end < palette.start - 1, (opened, key.description)
                shown = line[key.start : key.end]
                assert shown == f"{key.key_display} {key.description}".strip(), opened
            bound = {b.action for _, b, _, _ in app.screen.active_bindings.values() if b.show}
            assert len(keys) < len(bound) - 1, f"{opened}: every key fitted, nothing was dropped"


@pytest.mark.reads_only
async def test_the_summary_the_typed_question_and_the_toasts_name_remapped_keys(
    make_target: Callable[..., Target], monkeypatch: pytest.MonkeyPatch
) -> None:
    keymap = {
        "pick": "t",
        "unlink": "ctrl+u",
        "refresh": "f5",
        "summary-save": "v",
        "summary-close": "w",
        "typed-cancel": "ctrl+g",
    }

    async def stops(*_: object, **__: object) -> None:
        raise RuntimeError("a bug while loading")

    monkeypatch.setattr(ChangeOrdersScreen, "_load_everything", stops)
    app = CcoUnlinkApp(Backend(make_target()), keymap=keymap)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        said = [str(n.message) for n in notifications(pilot)]
        assert any("press f5 to try again" in message for message in said), said
        await pilot.press("R")
        await settle(pilot)
        said = [str(n.message) for n in notifications(pilot)]
        assert any("pick CCOs (t) and press ctrl+u." in message for message in said), said

        await app.push_screen(BatchSummaryScreen(UnlinkBatch([], _never)))
        await pilot.pause()
        keys = str(app.screen.query_one("#summary-keys", Static).content)
        assert keys == "Enter open the CCO (d deletes an unlinked one) · v save as CSV · w close"
        app.pop_screen()
        await app.push_screen(TypedConfirmScreen("Delete", "Sure?", "PO-1", confirm_label="Go"))
        await pilot.pause()
        assert str(app.screen.query_one("#typed-cancel", Button).label) == "Cancel (ctrl+g)"


async def _never(_: object) -> Any:
    raise AssertionError("nothing is unlinked here")
