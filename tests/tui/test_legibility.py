"""Legible everywhere: signs beside colours, the environment always in view, an empty filter
and the active sort said in words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from services.backend import Backend, Target
from tests.helpers import demo_cco_id
from tests.tui.conftest import AppRunner, notifications, screen_of, settle, unlink
from tui.app import CcoUnlinkApp
from tui.widgets.app_header import AppHeader


def status_line(pilot: Pilot[None]) -> str:
    return str(screen_of(pilot).query_one("#status-line", Static).render())


async def test_toasts_and_row_marks_carry_a_sign(run_app: AppRunner, sandbox_data: Path) -> None:
    present = demo_cco_id(sandbox_data, in_quickbooks=True)
    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    async with run_app() as pilot:
        await unlink(pilot, present)
        await unlink(pilot, gone)
        refused, done = notifications(pilot)
        assert refused.title.startswith("✗ ") and refused.severity == "error"
        assert done.title.startswith("✓ ") and done.severity == "information"
        table = screen_of(pilot).table
        assert table.get_cell(present, "status").startswith("✗")
        # The sign is painted in the row's first cells, whatever the width.
        table.move_cursor(row=table.get_row_index(present))
        row = table.render_line(table.cursor_row - int(table.scroll_y) + 1).text
        assert row.startswith(" ✗ ")


@pytest.mark.reads_only
@pytest.mark.parametrize(
    ("environment", "label"),
    [
        ("production", "Production"),
        ("developer-sandbox", "Developer sandbox"),
        ("monthly-sandbox", "Monthly sandbox"),
        ("custom", "Custom Procore"),
        ("embedded-sandbox", "Embedded sandbox"),
    ],
)
async def test_the_header_names_the_environment_uncut_at_80_columns(
    make_target: Callable[..., Target], environment: str, label: str
) -> None:
    app = CcoUnlinkApp(Backend(make_target(environment=environment)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = app.screen.query_one(AppHeader)
        line = header.render().plain
        assert line.endswith(f" {label} ") and len(line) == 80
        assert "admin" in header.account and "admin" in line
        assert header.has_class("-production") is (environment == "production")
        # A company name too long for the line is cut; the environment never is.
        header.account = "Northwind Regional Construction and Facilities Management Group · admin"
        await pilot.pause()
        line = header.render().plain
        assert line.endswith(f" {label} ") and len(line) == 80
        assert "Northwind Regional" in line and "…" in line


@pytest.mark.reads_only
async def test_an_empty_filter_result_says_so_and_the_sort_is_shown(run_app: AppRunner) -> None:
    async with run_app() as pilot:
        await pilot.press("slash", *"zzq", "enter")
        await settle(pilot)
        table = screen_of(pilot).table
        assert table.row_count == 0
        assert "No CCO matches the filter “zzq”" in table.render_line(1).text
        assert "none matches" in status_line(pilot)
        await pilot.press("escape", "s", "s", "s", "s")
        await settle(pilot)
        assert table.sort_column == "amount"
        assert "sorted by Amount ▲" in status_line(pilot)
        assert "Amount ▲" in table.render_line(0).text
        await pilot.press("S")
        await settle(pilot)
        assert "sorted by Amount ▼" in status_line(pilot)


def test_every_toast_goes_through_the_helper_that_signs_it() -> None:
    tui = Path(__file__).resolve().parents[2] / "tui"
    direct = [
        f"{path.relative_to(tui)}:{number}"
        for path in tui.rglob("*.py")
        if path.name != "feedback.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if ".notify(" in line
    ]
    assert direct == [], "toast with tui.feedback.toast, which adds the sign"


@pytest.mark.reads_only
async def test_the_sort_arrow_never_cuts_a_header_word_at_80_columns(
    make_target: Callable[..., Target],
) -> None:
    app = CcoUnlinkApp(Backend(make_target()))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = screen_of(pilot).table
        headers = {}
        for _ in table.shown_columns:
            await pilot.press("s")
            await settle(pilot)
            headers[table.sort_column] = table.render_line(0).text
        assert "CCO ▲" in headers["number"] or "CCO # ▲" in headers["number"]
        for column, header in headers.items():
            assert "… ▲" not in header, (column, header)
