"""Bytes a row of a big list, in-process, part by part: a quick measure of what the terminal run
(terminal.py) sees as the app's peak RSS, minutes sooner.

`uv run python benchmarks/row_memory.py 100000 1000000` prints, for each size, what `tracemalloc`
counts per row for each part the app holds once a list has settled, built as the app builds it:

- rows: Procore's JSON pages of CCOs (200 a project, 50 a commitment, the bulk seeder's titles,
  amounts and QuickBooks ids) decoded by the client's decoder and made into rows by the load's
  own code (services/catalog.py), with the list that holds them;
- the table's dict of rows and its lists of ids (its order, and the rows shown);
- the filter's search index (tui/widgets/search_index.py), every row added, then sealed;
- every column's order worked out ahead (tui/widgets/sort_orders.py), and the peak of that work
  above what it keeps.

Each size runs in a process of its own, so that one's memory never counts as the other's.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from sandbox import demo
from services import catalog
from services.models import CcoPlace, Commitment, Project, SyncedCco
from services.procore import parsing
from tui.widgets.search_index import SearchIndex
from tui.widgets.sort_orders import work_out

PER_PROJECT = 200
COMMITMENTS_PER_PROJECT = 4
COMPANY_ID = 5_200_001


def pages(rows: int) -> Iterator[tuple[Project, dict[int, Commitment], bytes]]:
    """A project at a time: the project, its synced commitments, and its CCOs as Procore's JSON."""
    cco_id = demo.CCO_ID_BASE
    for n in range(max(1, rows // PER_PROJECT)):
        name = f"Riverside Medical Office {n + 1:03d}"
        project = Project(demo.PROJECT_ID_BASE + n, name, f"B-{n + 1:04d}")
        commitments = {}
        for seq in range(COMMITMENTS_PER_PROJECT):
            commitment_id = demo.COMMITMENT_ID_BASE + n * COMMITMENTS_PER_PROJECT + seq
            commitments[commitment_id] = Commitment(
                commitment_id,
                f"SC-{seq + 1:03d}",
                "Apex Subcontract",
                "Apex Concrete & Masonry",
                f"{0x1A2B + commitment_id % 100_000:X}-1767225600",
                f"{n + 1:04d}-SC{seq + 1:02d}",
            )
        records = []
        for k in range(PER_PROJECT):
            commitment = commitments[demo.COMMITMENT_ID_BASE + n * 4 + k % 4]
            line = f"{0x1A2B + cco_id % 10_000_000:X}-{demo.CCO_START_EPOCH + cco_id % 10**7:010d}"
            synced = f"2026-{cco_id % 12 + 1:02d}-{cco_id % 28 + 1:02d}T10:{cco_id % 60:02d}:00Z"
            records.append(
                {
                    "id": cco_id,
                    "contract_id": commitment.id,
                    "number": f"{k // 4 + 1:03d}",
                    "title": demo.CCO_TITLES[cco_id * 7 % len(demo.CCO_TITLES)],
                    "grand_total": f"{cco_id * 37 % 48_000}.00",
                    "synced_at": synced,
                    "updated_at": synced,
                    "origin_id": line,
                    "origin_data": json.dumps(
                        {"po_txn_id": commitment.origin_id, "txn_line_ids": [line]}
                    ),
                }
            )
            cco_id += 1
        yield project, commitments, json.dumps(records).encode()


def load(rows: int) -> list[SyncedCco]:
    """The rows as a load makes them, a project at a time."""
    loaded: list[SyncedCco] = []
    for project, commitments, page in pages(rows):
        places: dict[tuple[int, str | None], CcoPlace] = {}
        titles: dict[str, str] = {}
        for change_order in parsing.change_orders(page):
            commitment = commitments.get(change_order.contract_id)
            loaded.append(
                catalog._row(COMPANY_ID, project, change_order, commitment, places, titles)
            )
    return loaded


def measure(rows: int) -> dict[str, float]:
    tracemalloc.start()
    figures: dict[str, float] = {}
    held = [0]

    def count(part: str) -> None:
        gc.collect()
        now = tracemalloc.get_traced_memory()[0]
        figures[part] = (now - held[0]) / rows
        held[0] = now

    count("start")
    loaded = load(rows)
    count("rows, and the list holding them")
    records = {cco.id: cco for cco in loaded}
    count("table: dict of rows")
    order, shown = list(records), list(records)
    count("table: order and rows shown")
    search = SearchIndex()
    for cco in loaded:
        search.add(cco)
    search.seal()
    count("search index")
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    orders = work_out(list(records), records, lambda: False)
    work_peak = tracemalloc.get_traced_memory()[1] - before
    count("every column's order")
    figures["orders' work, peak above what it keeps"] = (
        work_peak / rows - figures["every column's order"]
    )
    del figures["start"]
    figures["in all"] = held[0] / rows
    assert orders is not None and search.size == len(order) == len(shown) == len(loaded)
    return figures


def main() -> None:
    sizes = [int(size) for size in sys.argv[1:]] or [100_000, 1_000_000]
    if len(sizes) == 1:
        print(json.dumps({"rows": sizes[0], **measure(sizes[0])}))
        return
    for size in sizes:  # a process each
        found = subprocess.run(
            [sys.executable, str(Path(__file__)), str(size)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        figures = json.loads(found.stdout)
        print(f"{size:,} rows: bytes a row (tracemalloc)")
        for part, value in figures.items():
            print(f"  {part:42} {value:7.1f}")


if __name__ == "__main__":
    main()
