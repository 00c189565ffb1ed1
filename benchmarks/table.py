"""The table at scale: ready, worst stall, filter keystroke, sort, scroll and RSS, for cco-unlink's
virtual table or Textual's DataTable, on the same synthetic rows.

`uv run python benchmarks/table.py virtual 100000` prints one JSON line of figures (seconds, MB).
Each widget runs in its own process (run_all.py does that), so one's memory never counts as the
other's.

How it measures, the same way for both widgets:
- rows are built before timing starts ("the data is in memory");
- ready = from handing the rows to the table until the table has painted them;
- stall = the longest gap seen by a 5 ms ticker on the app's event loop, i.e. the longest time
  the UI could not have reacted to a key; worst over loading, progressive loading and scrolling;
- filter keystroke = one character typed into the filter until the table has painted the result;
  the worst of five keystrokes, the first searching every row;
- sort = sort by amount, descending, until painted.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input

from services.models import CcoPlace, SyncedCco
from tui.widgets.cco_columns import COLUMNS, row_cells
from tui.widgets.cco_table import CcoTable
from tui.widgets.search_index import commitment_text, own_text

VENDORS = ("Apex Concrete & Masonry", "Bluewater Plumbing Co.", "Ironline Steel Erectors")
TITLES = ("Added rebar at grade beams", "Owner requested outlet adds", "Extra roof drains")
TYPED = "bluew"
SIZE = (180, 40)


def make_rows(count: int) -> list[SyncedCco]:
    """200 CCOs a project, 50 a commitment; what a commitment holds (its number, vendor and
    purchase order) is one place shared by its rows, as the app loads them."""
    base = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp())
    places = [
        CcoPlace(
            company_id=5_200_001,
            project_id=2_960_000_001 + c // 4,
            project_name=f"Riverside Medical Office {c // 4:03d}",
            project_number=f"B-{c // 4:04d}",
            commitment_id=281_474_976_711_001 + c,
            commitment_number=f"SC-{c % 4 + 1:03d}",
            commitment_title="Subcontract",
            vendor=VENDORS[c % 3],
            po_txn_id=f"{c:X}-1767225600",
            po_reference=f"{c // 4:04d}-SC{c % 4 + 1:02d}",
        )
        for c in range((count + 49) // 50)
    ]
    return [
        SyncedCco(
            id=281_474_976_811_001 + i,
            place=places[i // 50],
            number=f"{i % 50 + 1:03d}",
            title=TITLES[i % 3],
            cents=(i * 37) % 10_000_000,
            synced_epoch=base + 60 * i,
            origin_id=f"{i:X}-1767225600",
            line_ids=f"{i:X}-1767225600",
        )
        for i in range(count)
    ]


class Ticker:
    """Measures the longest time the event loop went without running it."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - 0.005)
            last = now

    def start(self) -> None:
        self.worst = 0.0
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def started(self) -> None:
        """Start, and let the ticker take its first reading before the work begins."""
        self.start()
        await asyncio.sleep(0.02)

    async def stop(self) -> float:
        await asyncio.sleep(0.02)
        assert self._task is not None
        self._task.cancel()
        return self.worst


async def until(condition: Callable[[], bool], limit_s: float = 120.0) -> None:
    deadline = time.perf_counter() + limit_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the table did not get there in time")
        await asyncio.sleep(0.001)


class VirtualApp(App[None]):
    """The table and filter as the screen wires them."""

    def __init__(self) -> None:
        super().__init__()
        self.filter_work: list[float] = []

    def compose(self) -> ComposeResult:
        yield Input(id="filter")
        yield CcoTable(id="ccos")

    def on_input_changed(self, event: Input.Changed) -> None:
        started = time.perf_counter()
        self.query_one(CcoTable).set_filter(event.value.lower().split())
        self.filter_work.append(time.perf_counter() - started)


class DataTableApp(App[None]):
    """Textual's DataTable as the screen used it: rows added as cells, the filter rebuilding."""

    def __init__(self, rows: list[SyncedCco]) -> None:
        super().__init__()
        self.rows = rows
        self.search = {cco.id: f"{commitment_text(cco.place)} {own_text(cco)}" for cco in rows}
        self.filter_work: list[float] = []

    def compose(self) -> ComposeResult:
        yield Input(id="filter")
        yield DataTable(id="ccos", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column.label, key=column.key, width=column.min_width)

    def on_input_changed(self, event: Input.Changed) -> None:
        started = time.perf_counter()
        words = event.value.lower().split()
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows(
            row_cells(cco, "")
            for cco in self.rows
            if all(word in self.search[cco.id] for word in words)
        )
        self.filter_work.append(time.perf_counter() - started)


def _settled(table: DataTable[object]) -> bool:
    return not table._require_update_dimensions and not table._new_rows


async def bench_virtual(rows: list[SyncedCco]) -> dict[str, float]:
    app = VirtualApp()
    figures: dict[str, float] = {}
    ticker = Ticker()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(CcoTable)
        table.focus()
        await pilot.pause()

        # Rows arriving project by project (200 a batch), as a load delivers them.
        await ticker.started()
        for start in range(0, len(rows), 200):
            table.add_rows(rows[start : start + 200])
            await asyncio.sleep(0)
        await until(lambda: table.row_count == len(rows))
        figures["stall_progressive"] = await ticker.stop()
        table.replace_rows([])
        await pilot.pause()

        await ticker.started()
        painted = table.paints
        started = time.perf_counter()
        table.replace_rows(rows)
        await until(lambda: table.paints > painted)
        figures["ready"] = time.perf_counter() - started
        figures["stall_load"] = await ticker.stop()

        await ticker.started()
        for key in ["pagedown"] * 10 + ["end", "pageup", "home", "down", "down"]:
            await pilot.press(key)
        figures["stall_scroll"] = await ticker.stop()

        filter_input = app.query_one(Input)
        filter_input.focus()
        await pilot.pause()
        worst = 0.0
        for character in TYPED:
            painted = table.paints
            started = time.perf_counter()
            filter_input.insert_text_at_cursor(character)
            # A long list is filtered in a thread: the table paints once its result is shown.
            await until(_shown_since(table, painted))
            worst = max(worst, time.perf_counter() - started)
        figures["filter_painted"] = worst
        figures["filter"] = max(app.filter_work)
        figures["shown_after_filter"] = table.row_count
        filter_input.value = ""
        await until(lambda: table.row_count == len(rows))

        painted = table.paints
        started = time.perf_counter()
        table.sort_by("amount", reverse=True)
        figures["sort"] = time.perf_counter() - started
        await until(_shown_since(table, painted))
        figures["sort_painted"] = time.perf_counter() - started
    return figures


async def bench_datatable(rows: list[SyncedCco]) -> dict[str, float]:
    app = DataTableApp(rows)
    figures: dict[str, float] = {}
    ticker = Ticker()
    cells = [row_cells(cco, "") for cco in rows]
    async with app.run_test(size=SIZE) as pilot:
        table: DataTable[object] = app.query_one(DataTable)
        table.focus()
        await pilot.pause()

        await ticker.started()
        started = time.perf_counter()
        table.add_rows(cells)
        await until(lambda: table.row_count == len(rows) and _settled(table))
        await pilot.pause()
        figures["ready"] = time.perf_counter() - started
        figures["stall_load"] = await ticker.stop()
        figures["stall_progressive"] = float("nan")

        await ticker.started()
        for key in ["pagedown"] * 10 + ["end", "pageup", "home", "down", "down"]:
            await pilot.press(key)
        figures["stall_scroll"] = await ticker.stop()

        filter_input = app.query_one(Input)
        filter_input.focus()
        await pilot.pause()
        worst = 0.0
        # Two keystrokes, not five: each one rebuilds the whole table, for seconds at 100,000.
        for character in TYPED[:2]:
            before = table.row_count
            started = time.perf_counter()
            filter_input.insert_text_at_cursor(character)
            await until(_filtered_to(app, table, before, character))
            await until(lambda: _settled(table))
            await pilot.pause()
            worst = max(worst, time.perf_counter() - started)
        figures["filter_painted"] = worst
        # DataTable defers its work to the next layout: its keystroke's work is the whole wait.
        figures["filter"] = worst
        figures["shown_after_filter"] = table.row_count
        filter_input.value = ""
        await until(lambda: table.row_count == len(rows) and _settled(table))

        started = time.perf_counter()
        table.sort("amount", reverse=True)
        await until(lambda: _settled(table))
        await pilot.pause()
        figures["sort"] = figures["sort_painted"] = time.perf_counter() - started
    return figures


def _shown_since(table: CcoTable, painted: int) -> Callable[[], bool]:
    """Painted since `painted`, and since a sort or filter worked out in the background (past
    BACKGROUND_FROM rows) came into view."""
    return lambda: not table.busy and table.paints > max(painted, table.paints_when_arranged)


def _filtered_to(
    app: App[None], table: DataTable[object], before: int, character: str
) -> Callable[[], bool]:
    return lambda: table.row_count != before or app.query_one(Input).value.endswith(character)


def main() -> None:
    widget, count = sys.argv[1], int(sys.argv[2])
    rows = make_rows(count)
    runner = bench_virtual if widget == "virtual" else bench_datatable
    figures = asyncio.run(runner(rows))
    figures["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
