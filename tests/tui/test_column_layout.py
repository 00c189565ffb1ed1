"""Columns that fit the terminal: the must-see ones at 80 columns without scrolling, the others as
width allows, nothing wider than its text, CCO # and Title in place when scrolling sideways."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from tests.tui.conftest import wait_until
from tests.tui.test_cco_table import _cco
from tui.widgets.cco_columns import COLUMNS
from tui.widgets.cco_table import CcoTable
from tui.widgets.column_layout import Column, layout, total_width

MUST_SEE = ["status", "number", "title", "amount", "project", "quickbooks"]


def test_layout_gives_what_is_needed_and_no_more() -> None:
    columns = [Column("a", "A", 4), Column("b", "B", 4), Column("c", "C", 4, priority=1)]
    natural = {"a": 10, "b": 3, "c": 6}
    roomy = layout(columns, 100, natural)
    assert roomy == {"a": 10, "b": 3, "c": 6}
    assert total_width(roomy) < 100
    # Short of room, the must-see columns share it and the optional one stays out.
    tight = layout(columns, 14, natural)
    assert tight == {"a": 8, "b": 3}
    assert total_width(tight) == 14
    # Too narrow even for the narrowest: it scrolls sideways, so the columns that scroll are
    # whole and the fixed ones at their narrowest.
    columns[0] = Column("a", "A", 4, fixed=True)
    assert layout(columns, 5, natural) == {"a": 4, "b": 3}
    columns[1] = Column("b", "B", 2)
    assert layout(columns, 5, {"a": 10, "b": 30}) == {"a": 4, "b": 30}


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CcoTable(id="ccos")


@pytest.fixture
async def pilot() -> AsyncIterator[Pilot[None]]:
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(CcoTable)
        table.replace_rows(
            [
                _cco(
                    i,
                    project_name="Cedar Hollow Elementary",
                    commitment_title="Structural steel supply and erection",
                    vendor="Northwind Steel Fabricators Incorporated",
                    title=f"Added blocking for casework, level {i}",
                    po_reference=f"031-PO-{i:03d}",
                )
                for i in range(1, 30)
            ]
        )
        table.focus()
        await pilot.pause()
        yield pilot


def header(table: CcoTable) -> str:
    return table.render_line(0).text


async def test_at_80_columns_the_must_see_columns_fit_without_scrolling(
    pilot: Pilot[None],
) -> None:
    table = pilot.app.query_one(CcoTable)
    assert [c.key for c in table.shown_columns] == MUST_SEE
    assert table.virtual_size.width <= table.scrollable_content_region.width
    assert "QBD PO" in header(table) and "Amount" in header(table)
    row = table.render_line(1).text
    assert "-1,234.50" in row and "031-PO-001" in row
    assert "Cedar Hollow" in row and "…" in row


async def test_wider_terminals_show_more_columns_and_cut_nothing_that_fits(
    pilot: Pilot[None],
) -> None:
    table = pilot.app.query_one(CcoTable)
    await pilot.resize_terminal(120, 40)
    await pilot.pause()
    at_120 = [c.key for c in table.shown_columns]
    assert set(MUST_SEE) < set(at_120)
    await pilot.resize_terminal(200, 50)
    await pilot.pause()
    assert [c.key for c in table.shown_columns] == [c.key for c in COLUMNS]
    row = table.render_line(1).text
    assert "…" not in row
    assert "Cedar Hollow Elementary" in row
    assert "Northwind Steel Fabricators Incorporated" in row
    # Nothing wider than needed: room left over stays empty at the end.
    assert table.virtual_size.width < table.scrollable_content_region.width
    assert table.widths["number"] == len("CCO #")


async def test_scrolling_sideways_keeps_cco_number_and_title_in_place(
    pilot: Pilot[None],
) -> None:
    table = pilot.app.query_one(CcoTable)
    await pilot.resize_terminal(50, 24)
    await pilot.pause()
    assert table.virtual_size.width > table.scrollable_content_region.width
    before = table.render_line(1).text
    table.scroll_to(x=table.max_scroll_x, animate=False, immediate=True)
    await pilot.pause()
    after = table.render_line(1).text
    fixed = 1 + (table.widths["status"] + 1) + (table.widths["number"] + 1)
    fixed += table.widths["title"] + 1
    assert after[:fixed] == before[:fixed]
    assert "001" in after[:fixed]
    assert "031-PO-001" in after and "031-PO-001" not in before


async def test_a_long_list_is_measured_in_slices_and_the_columns_follow(
    pilot: Pilot[None],
) -> None:
    table = pilot.app.query_one(CcoTable)
    await pilot.resize_terminal(200, 50)
    rows = [_cco(i, vendor="Acme") for i in range(1, 25_001)]
    rows[-1] = _cco(25_000, vendor="Northwind Steel Fabricators")
    table.replace_rows(rows)
    # The first slice is measured at once: the rows arrive on screen without waiting.
    assert table.natural_widths()["vendor"] == len("Acme")
    await wait_until(pilot, lambda: table.natural_widths()["vendor"] > len("Acme"))
    assert table.natural_widths()["vendor"] == len("Northwind Steel Fabricators")
    assert table.widths["vendor"] == len("Northwind Steel Fabricators")
