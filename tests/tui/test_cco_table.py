"""The CCO table as painted: cells shown literally and cut to their column, only the rows on
screen painted, and a filter, a sort and the cursor that behave at any size."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip

from services.models import SyncedCco, cents_of, epoch_of
from tests.helpers import synced_cco
from tui.widgets import arrangement, cco_table, sort_orders
from tui.widgets.cco_columns import COLUMNS
from tui.widgets.cco_table import CcoTable
from tui.widgets.column_layout import GAP, MARGIN


def _cco(cco_id: int = 1, **changes: object) -> SyncedCco:
    values: dict[str, object] = {
        "id": cco_id,
        "company_id": 2,
        "project_id": 3,
        "project_name": "Harbor Tower",
        "project_number": "2026-01",
        "commitment_id": 4,
        "commitment_number": "SC-001",
        "commitment_title": "Steel",
        "vendor": "Acme",
        "number": f"{cco_id:03d}",
        "title": "Extra rebar",
        "cents": cents_of(Decimal(str(changes.pop("amount", "-1234.50")))),
        "synced_epoch": epoch_of(datetime(2026, 3, 1, tzinfo=UTC)),
        "origin_id": f"L-{cco_id}",
        "po_txn_id": "T-1",
        "line_ids": f"L-{cco_id}",
        "po_reference": "PO-7",
    }
    values.update(changes)
    return synced_cco(**values)


class CountingTable(CcoTable):
    """Counts which rows were asked for their cells: the rows painted."""

    def __init__(self) -> None:
        super().__init__(id="ccos")
        self.asked: set[int] = set()

    def cells_for(self, key: int) -> Sequence[str]:
        self.asked.add(key)
        return super().cells_for(key)


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CountingTable()


@pytest.fixture
async def pilot() -> AsyncIterator[Pilot[None]]:
    app = TableApp()
    async with app.run_test(size=(180, 24)) as pilot:
        pilot.app.query_one(CountingTable).focus()
        yield pilot


def table_of(pilot: Pilot[None]) -> CountingTable:
    return pilot.app.query_one(CountingTable)


def line(table: CcoTable, y: int) -> str:
    return table.render_line(y).text


def cell(table: CcoTable, y: int, column: str) -> str:
    """The text of one cell on painted line `y`, padding included, found by column offsets."""
    start = MARGIN
    for spec in table.shown_columns:
        width = table.widths[spec.key]
        if spec.key == column:
            return line(table, y)[start : start + width]
        start += width + GAP
    raise KeyError(column)


async def test_names_that_look_like_markup_are_shown_literally(pilot: Pilot[None]) -> None:
    table = table_of(pilot)
    table.replace_rows([_cco(vendor="[b]Acme[/b]", title="[red]x")])
    await pilot.pause()
    assert cell(table, 1, "vendor").rstrip() == "[b]Acme[/b]"
    assert cell(table, 1, "title").rstrip() == "[red]x"


async def test_long_text_is_cut_to_the_column_with_an_ellipsis(pilot: Pilot[None]) -> None:
    table = table_of(pilot)
    table.replace_rows([_cco(title="x" * 400)])
    await pilot.pause()
    shown = cell(table, 1, "title")
    assert len(shown) == table.widths["title"] < 400
    assert shown.endswith("…")


async def test_money_is_right_aligned_with_two_places_and_separators(pilot: Pilot[None]) -> None:
    table = table_of(pilot)
    table.replace_rows([_cco(), _cco(2, amount=Decimal(5))])
    await pilot.pause()
    assert cell(table, 1, "amount") == "-1,234.50"
    assert cell(table, 2, "amount") == "     5.00"
    assert cell(table, 0, "amount") == "   Amount"


async def test_only_the_rows_on_screen_are_painted(pilot: Pilot[None]) -> None:
    table = table_of(pilot)
    table.replace_rows([_cco(i) for i in range(1, 20_001)])
    await pilot.pause()
    assert table.row_count == 20_000
    assert 0 < len(table.asked) <= 24
    table.asked.clear()
    await pilot.press("end")
    await pilot.pause()
    assert table.current_key == 20_000
    assert 20_000 in table.asked and len(table.asked) <= 24
    last_line = table.scrollable_content_region.height - 1
    assert cell(table, last_line, "number").strip() == "20000"


class FirstPaintTable(CcoTable):
    """Keeps the lines of its first paint."""

    def __init__(self) -> None:
        super().__init__(id="ccos")
        self.first_paint: list[str] = []

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        if not self.first_paint:
            self.first_paint = [strip.text for strip in lines]
        return lines


class RowsAtMountApp(App[None]):
    """Holds its rows before its first frame, as a restart with a cached list does."""

    def compose(self) -> ComposeResult:
        yield FirstPaintTable()

    def on_mount(self) -> None:
        self.query_one(FirstPaintTable).replace_rows([_cco(1, title="Extra rebar")])


async def test_rows_held_before_the_first_frame_are_in_it() -> None:
    # Textual reports a widget's size only after painting it once: columns laid out on that
    # report alone made a restart's first frame an empty box, its rows one frame later.
    app = RowsAtMountApp()
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        first = app.query_one(FirstPaintTable).first_paint
    assert "CCO #" in first[0], first[:2]
    assert "Extra rebar" in first[1] and "Harbor Tower" in first[1], first[:2]


async def test_keys_move_the_cursor_and_the_view_follows(pilot: Pilot[None]) -> None:
    table = table_of(pilot)
    table.replace_rows([_cco(i) for i in range(1, 101)])
    await pilot.pause()
    await pilot.press("j", "j", "k")
    assert table.cursor_row == 1
    await pilot.press("pagedown")
    assert table.cursor_row == 1 + (table.scrollable_content_region.height - 1)
    assert table.scroll_y > 0
    await pilot.press("home")
    assert (table.cursor_row, table.scroll_y) == (0, 0)
    await pilot.press("up")
    assert table.cursor_row == 0


async def test_the_filter_narrows_and_widens_keeping_the_cursor_on_its_row(
    pilot: Pilot[None],
) -> None:
    table = table_of(pilot)
    rows = [_cco(i, vendor="Bluewater" if i % 3 == 0 else "Apex") for i in range(1, 31)]
    table.replace_rows(rows)
    table.move_cursor(row=table.get_row_index(9))
    table.set_filter(["blue"])
    assert list(table.row_keys) == [i for i in range(1, 31) if i % 3 == 0]
    assert table.current_key == 9
    table.set_filter(["bluewater", "009"])
    assert list(table.row_keys) == [9]
    table.set_filter([])
    assert table.row_count == 30 and table.current_key == 9
    table.set_filter(["nothing-like-this"])
    assert table.row_count == 0 and table.current_key is None


async def test_sort_orders_every_row_and_marks_the_header(pilot: Pilot[None]) -> None:
    table = table_of(pilot)
    amounts = [Decimal(a) for a in ("5.00", "-2.00", "300.00", "41.00")]
    table.replace_rows([_cco(i + 1, amount=a) for i, a in enumerate(amounts)])
    table.sort_by("amount")
    await pilot.pause()
    assert [table.records[k].amount for k in table.row_keys] == sorted(amounts)
    assert "Amount ▲" in line(table, 0)
    await pilot.press("S")
    assert [table.records[k].amount for k in table.row_keys] == sorted(amounts, reverse=True)
    await pilot.pause()
    assert "Amount ▼" in line(table, 0)
    # Rows arriving later take their place in the order.
    table.add_rows([_cco(9, amount=Decimal("100.00"))])
    assert [table.records[k].amount for k in table.row_keys][:2] == [
        Decimal("300.00"),
        Decimal("100.00"),
    ]
    table.sort_by(None)
    assert list(table.row_keys) == [1, 2, 3, 4, 9]


async def test_the_sort_key_walks_the_columns_then_back_to_load_order(pilot: Pilot[None]) -> None:
    table = table_of(pilot)
    table.replace_rows([_cco(2, title="b"), _cco(1, title="a")])
    seen = []
    for _ in range(len(COLUMNS) + 1):
        await pilot.press("s")
        seen.append(table.sort_column)
    assert seen == [column.key for column in COLUMNS] + [None]
    assert list(table.row_keys) == [2, 1]


async def test_marks_show_in_the_status_column_and_removed_rows_leave(pilot: Pilot[None]) -> None:
    table = table_of(pilot)
    table.replace_rows([_cco(i) for i in range(1, 4)])
    table.mark(2, "✗ In QBD")
    await pilot.pause()
    assert table.get_cell(2, "status") == "✗ In QBD"
    assert cell(table, 2, "status").rstrip() == "✗ In QBD"
    table.move_cursor(row=2)
    table.remove_row(3)
    assert list(table.row_keys) == [1, 2] and table.current_key == 2
    assert not table.has_row(3) and 3 not in table.records


@pytest.fixture
def background(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sort and filter in a thread, in slices, from a few rows on: the path a long list takes."""
    monkeypatch.setattr(cco_table, "BACKGROUND_FROM", 10)
    monkeypatch.setattr(cco_table, "FILTER_AT_ONCE", 20)
    monkeypatch.setattr(arrangement, "SLICE", 7)
    # Slices of 7 rows make hundreds of them per order worked out: at the app's pause after each
    # (4 ms, to let keys in), a test slept seconds; a shorter pause takes the same path.
    monkeypatch.setattr(sort_orders, "BACKGROUND_PAUSE_S", 0.001)


async def _settled(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.usefixtures("background")
async def test_a_long_list_sorts_in_the_background_and_the_cursor_keeps_its_cco(
    pilot: Pilot[None],
) -> None:
    table = table_of(pilot)
    rows = [_cco(i, amount=f"{(i * 37) % 101 - 50}.{i % 100:02d}") for i in range(1, 201)]
    table.replace_rows(rows)
    table.move_cursor(row=table.get_row_index(77))
    table.sort_by("amount")
    assert table.busy and table.sort_description == "sorting by Amount…"
    await _settled(pilot)
    assert not table.busy and table.sort_description == "sorted by Amount ▲"
    assert list(table.row_keys) == [c.id for c in sorted(rows, key=lambda c: c.cents)]
    assert table.current_key == 77
    # Rows arriving meanwhile (a cached list still being read) take their place.
    table.sort_by("amount", reverse=True)
    table.add_rows([_cco(500, amount="999.00"), _cco(501, amount="-999.00")])
    await _settled(pilot)
    shown = list(table.row_keys)
    assert (shown[0], shown[-1], len(shown)) == (500, 501, 202)
    assert table.current_key == 77


@pytest.mark.usefixtures("background")
async def test_a_newer_filter_keystroke_makes_the_older_give_up(pilot: Pilot[None]) -> None:
    table = table_of(pilot)
    table.replace_rows(
        [_cco(i, vendor="Bluewater" if i % 3 == 0 else "Apex") for i in range(1, 301)]
    )
    table.set_filter(["blue"])
    first = table._pending
    table.set_filter(["bluew"])
    assert first is not None and first.cancel.is_set()
    await _settled(pilot)
    assert list(table.row_keys) == [i for i in range(1, 301) if i % 3 == 0]
    table.set_filter(["bluewater", "099"])  # narrows what is shown
    await _settled(pilot)
    assert list(table.row_keys) == [99]
    # Once the rows to search are few enough, a keystroke is worked out at once.
    table.set_filter(["bluewater", "9"])
    await _settled(pilot)
    assert 99 in table.row_keys and table.row_count <= 20  # FILTER_AT_ONCE: searched at once
    table.set_filter(["bluewater", "099"])
    assert not table.busy and list(table.row_keys) == [99]
    table.set_filter([])
    await _settled(pilot)
    assert table.row_count == 300 and table.current_key == 99


FRUITS = ("apple", "kiwi", "lime", "pear", "fig")


async def _orders_worked_out(pilot: Pilot[None]) -> None:
    table = table_of(pilot)
    for _ in range(300):
        await _settled(pilot)
        if table.orders_ready:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the orders were never worked out")


@pytest.mark.usefixtures("background")
async def test_a_settled_long_list_sorts_at_once_by_every_column(
    pilot: Pilot[None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cco_table, "ORDERS_PAUSE_S", 0.01)
    table = table_of(pilot)
    rows = [
        _cco(i, amount=f"{(i * 37) % 23 - 11}.00", title=f"{'pP'[i % 2]}lum {FRUITS[i % 5]}")
        for i in range(1, 201)
    ]
    table.replace_rows(rows)
    assert not table.orders_ready
    await _orders_worked_out(pilot)
    table.move_cursor(row=table.get_row_index(77))
    expected = {
        "amount": lambda c: c.cents,
        "title": lambda c: c.title.lower(),
        "number": lambda c: int(c.number),
        "synced": lambda c: c.synced_epoch,
    }
    for column, key in expected.items():
        ascending = [c.id for c in sorted(rows, key=key)]  # equal keys in load order
        table.sort_by(column)
        assert not table.busy, "shown at once, not worked out in the background"
        assert list(table.row_keys) == ascending and table.current_key == 77
        table.sort_by(column, reverse=True)
        assert list(table.row_keys) == ascending[::-1] and table.current_key == 77
    # A row removed leaves the orders right; a row added makes them stale until worked out.
    table.remove_row(5)
    table.sort_by("amount")
    assert not table.busy and 5 not in table.row_keys
    assert list(table.row_keys) == [c.id for c in sorted(rows, key=lambda c: c.cents) if c.id != 5]
    table.add_rows([_cco(500, amount="-999.00")])
    assert not table.orders_ready
    table.sort_by("amount", reverse=True)
    assert table.busy
    await _settled(pilot)
    assert table.row_keys[-1] == 500 and table.current_key == 77
    await _orders_worked_out(pilot)
    # Sorted while a filter holds: only the filter is worked out in the background.
    table.set_filter(["kiwi"])
    await _settled(pilot)
    table.sort_by("amount")
    await _settled(pilot)
    assert list(table.row_keys) == [
        c.id for c in sorted(rows, key=lambda c: c.cents) if "kiwi" in c.title and c.id != 5
    ]


async def test_the_status_sort_puts_marked_rows_after_the_others_by_mark(
    pilot: Pilot[None],
) -> None:
    table = table_of(pilot)
    table.sort_by("status")  # an empty list too
    assert table.row_count == 0
    table.replace_rows([_cco(i) for i in range(1, 7)])
    table.mark_many([5, 2], "✗ In QBD")
    table.mark(4, "✓ Unlinked")
    table.sort_by("status")
    assert list(table.row_keys) == [1, 3, 6, 4, 2, 5]
    table.sort_by("status", reverse=True)
    assert list(table.row_keys) == [5, 2, 4, 6, 3, 1]


@pytest.mark.usefixtures("background")
async def test_a_very_long_list_takes_its_orders_in_a_thread_and_the_cursor_keeps_its_cco(
    pilot: Pilot[None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cco_table, "ORDERS_PAUSE_S", 0.01)
    monkeypatch.setattr(cco_table, "ORDER_AT_ONCE", 50)
    monkeypatch.setattr(sort_orders, "TAKE_SLICE", 30)
    monkeypatch.setattr(arrangement, "SCAN_SLICE", 30)
    table = table_of(pilot)
    rows = [_cco(i, amount=f"{(i * 37) % 23 - 11}.00") for i in range(1, 201)]
    table.replace_rows(rows)
    await _orders_worked_out(pilot)
    table.mark_many([20, 10], "✗ In QBD")
    table.remove_row(3)
    table.move_cursor(row=table.get_row_index(177))
    by_amount = [c.id for c in sorted(rows, key=lambda c: c.cents) if c.id != 3]
    unmarked = [c.id for c in rows if c.id not in (3, 10, 20)]
    for column, reverse, expected in (
        ("amount", False, by_amount),
        ("amount", True, by_amount[::-1]),
        ("status", False, [*unmarked, 10, 20]),
        (None, False, [c.id for c in rows if c.id != 3]),
    ):
        table.sort_by(column, reverse=reverse)
        assert table.busy, "taken in a thread"
        await _settled(pilot)
        assert list(table.row_keys) == expected and table.current_key == 177


@pytest.mark.usefixtures("background")
async def test_the_orders_are_worked_out_once_the_keys_rest(
    pilot: Pilot[None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cco_table, "ORDERS_PAUSE_S", 0.3)
    monkeypatch.setattr(cco_table, "ORDER_AT_ONCE", 50)
    table = table_of(pilot)
    table.replace_rows([_cco(i) for i in range(1, 201)])
    for step in range(12):  # a key every 50 ms for 0.6 s: longer than the pause
        table.move_cursor(row=step)
        await asyncio.sleep(0.05)
        assert not table.orders_ready
    await _orders_worked_out(pilot)
