"""Snapshots of the detail pane, the question before an unlink of many (with picks the filter
hides), and the summary of a stopped run. Each is shown with fixed records and fixed read times,
so the pictures are the same on every run and in every time zone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from services import messages
from services.backend import Backend, Target
from services.batch import UnlinkBatch
from services.check import CheckResult
from services.models import (
    CcoDetail,
    CcoLineDetail,
    CcoState,
    CheckKind,
    OutcomeKind,
    PurchaseOrderSeen,
    QuickBooksEvidence,
    QuickBooksLink,
    SyncedCco,
    UnlinkOutcome,
)
from services.procore import environments
from tests.helpers import demo_cco_id, synced_cco
from tests.tui.conftest import screen_of, select, settle
from tests.tui.test_snapshots import loaded
from tui.app import CcoUnlinkApp
from tui.screens.batch_summary import BatchSummaryScreen
from tui.screens.confirm_unlink_many import ConfirmUnlinkManyScreen
from tui.widgets.detail_pane import DetailPane

READ_AT = datetime(2026, 3, 2, 14, 5, 9, tzinfo=UTC)
ADDRESS = "https://app.procore.com/2960000005/project/commitments/change_orders/281474976811001"


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Times are shown in local time: pin it, so the pictures do not depend on the machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def cco(
    number: int, title: str, amount: str, *, project: str = "Mill Creek Senior Living"
) -> SyncedCco:
    line_ids = tuple(f"1A5E-17677152{number:02d}" for _ in range(1))
    return synced_cco(
        id=281474976811000 + number,
        company_id=5200001,
        project_id=2960000005,
        project_name=project,
        project_number="2025-033",
        commitment_id=281474976711010,
        commitment_number="SC-002",
        commitment_title="Drywall and Framing",
        vendor="Granite State Drywall",
        number=f"{number:03d}",
        title=title,
        cents=int(Decimal(amount) * 100),
        synced_epoch=int(datetime(2026, 2, 23, 17, 30, tzinfo=UTC).timestamp()),
        origin_id=line_ids[0],
        po_txn_id="1A5A-1762977600",
        line_ids=",".join(line_ids),
        po_reference="033-SC-002",
    )


class Host(App[None]):
    """A bare app holding what a snapshot shows, nothing else."""

    def __init__(self, compose_with: Any = None, push: Any = None) -> None:
        super().__init__()
        self._compose_with = compose_with
        self._push = push

    def compose(self) -> ComposeResult:
        if self._compose_with is not None:
            yield self._compose_with()
        else:
            yield Static("Change Orders – Successfully Synced with QuickBooks® Desktop")

    def on_mount(self) -> None:
        if self._push is not None:
            self.push_screen(self._push())


def test_the_detail_pane_with_lines_still_on_the_purchase_order(snap_compare: Any) -> None:
    shown = cco(1, "ASI 07 wall type changes", "43469.00")
    assert shown.link is not None
    link = QuickBooksLink(shown.link.po_txn_id, ("1A5E-1767715201", "1A5F-1767715202"))
    evidence = QuickBooksEvidence(
        link,
        PurchaseOrderSeen(
            txn_id=link.po_txn_id,
            ref_number="033-SC-002",
            vendor="Granite State Drywall",
            time_modified="2026-02-23T17:30:00+00:00",
            line_ids=("1A5B-1762977600", "1A5E-1767715201"),
        ),
        READ_AT,
    )
    detail = CcoDetail(
        state=CcoState(shown.id, shown.project_id, shown.number, shown.origin_id, None),
        status="approved",
        created_by="Dana Whitfield",
        created_at=datetime(2026, 2, 20, 9, 0, tzinfo=UTC),
        updated_at=None,
        lines=(
            CcoLineDetail(
                1,
                "Labor - ASI 07 wall type changes",
                Decimal("30000.00"),
                "01-500 Temporary Labor",
                "1A5E-1767715201",
            ),
            CcoLineDetail(
                2,
                "Material - ASI 07 wall type changes",
                Decimal("13469.00"),
                "03-300 Cast-in-Place Concrete",
                "1A5F-1767715202",
            ),
        ),
        read_at=READ_AT,
    )

    def filled() -> DetailPane:
        pane = DetailPane(id="detail")

        def fill() -> None:
            pane.show(shown, ADDRESS)
            pane.set_detail(shown.id, detail)
            result = CheckResult(
                shown.id, CheckKind.IN_QUICKBOOKS, messages.in_quickbooks_now(evidence), evidence
            )
            pane.set_check(shown.id, result)

        pane.call_after_refresh(fill)
        return pane

    assert snap_compare(Host(compose_with=filled), terminal_size=(80, 24))


class FrozenClock:
    """Reads always say READ_AT; waits are real (the sandbox's limits are far off)."""

    def time(self) -> float:
        return READ_AT.timestamp()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def test_the_pane_beside_the_list_at_120_columns_reading_the_sandbox_live(
    snap_compare: Any,
    make_target: Callable[..., Target],
    sandbox_data: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = make_target()
    # The embedded sandbox's address changes port every run: a fixed web root for the picture.
    monkeypatch.setitem(environments.WEB_ROOTS, target.environment, "https://sandbox.example")
    there = demo_cco_id(sandbox_data, in_quickbooks=True)

    async def open_pane(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        select(pilot, there)
        await pilot.press("enter")
        await settle(pilot)
        assert "still on PO" in str(screen_of(pilot).pane.check)

    app = CcoUnlinkApp(Backend(target, clock=FrozenClock()))
    assert snap_compare(app, terminal_size=(120, 40), run_before=open_pane)


def test_the_question_before_an_unlink_of_many_with_picks_the_filter_hides(
    snap_compare: Any,
) -> None:
    titles = [
        ("ASI 07 wall type changes", "43469.00"),
        ("Added sod and irrigation", "49579.00"),
        ("Added bollards at dock", "9316.00"),
        ("RFI 042 ceiling revisions", "7548.50"),
        ("Relocated gas meter", "68671.25"),
        ("Temporary heat - winter", "100283.25"),
        ("Added blocking for casework", "84436.50"),
        ("Extra roof drains", "46978.25"),
        ("Value engineering credit", "-85534.25"),
        ("Dewatering at elevator pit", "3209.25"),
        ("Seismic bracing revisions", "55246.00"),
        ("Sidewalk replacement", "67042.75"),
    ]
    picked = [cco(n, title, amount) for n, (title, amount) in enumerate(titles, start=1)]
    app = Host(push=lambda: ConfirmUnlinkManyScreen(picked, hidden=3))
    assert snap_compare(app, terminal_size=(100, 30))


def test_the_summary_of_a_run_stopped_after_the_cco_in_progress(snap_compare: Any) -> None:
    ccos = [
        cco(1, "ASI 07 wall type changes", "43469.00"),
        cco(2, "Added sod and irrigation", "49579.00"),
        cco(3, "Added bollards at dock", "9316.00"),
        cco(4, "RFI 042 ceiling revisions", "7548.50"),
    ]
    outcomes = {
        ccos[0].id: UnlinkOutcome(OutcomeKind.UNLINKED, messages.UNLINKED, ccos[0].id),
        ccos[1].id: UnlinkOutcome(
            OutcomeKind.STILL_IN_QUICKBOOKS, messages.STILL_IN_QUICKBOOKS, ccos[1].id
        ),
    }
    batch = UnlinkBatch(ccos, lambda one: _answer(outcomes[one.id]))

    async def run_then_stop() -> None:
        await batch.run(on_outcome=lambda one, _: batch.stop() if one.id == ccos[1].id else None)

    asyncio.run(run_then_stop())
    assert [r.outcome is None for r in batch.results] == [False, False, True, True]
    assert snap_compare(Host(push=lambda: BatchSummaryScreen(batch)), terminal_size=(100, 30))


async def _answer(outcome: UnlinkOutcome) -> UnlinkOutcome:
    return outcome


async def test_the_summary_at_80_columns_shows_each_outcome_without_scrolling() -> None:
    ccos = [
        cco(1, "ASI 07 wall type changes", "43469.00", project="Cedar Hollow Elementary Addition"),
        cco(2, "Added sod and irrigation", "49579.00", project="Cedar Hollow Elementary Addition"),
        cco(3, "Added bollards at dock", "9316.00"),
    ]
    outcomes = {
        ccos[0].id: UnlinkOutcome(OutcomeKind.UNLINKED, messages.UNLINKED, ccos[0].id),
        ccos[1].id: UnlinkOutcome(
            OutcomeKind.STILL_IN_QUICKBOOKS, messages.STILL_IN_QUICKBOOKS, ccos[1].id
        ),
    }
    batch = UnlinkBatch(ccos, lambda one: _answer(outcomes[one.id]))
    await batch.run(on_outcome=lambda one, _: batch.stop() if one.id == ccos[1].id else None)

    app = Host(push=lambda: BatchSummaryScreen(batch))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = pilot.app.screen.query_one("#summary-table", DataTable)
        labels = [str(column.label) for column in table.ordered_columns]
        outcome_end = sum(
            column.get_render_width(table)
            for column in table.ordered_columns[: labels.index("Outcome") + 1]
        )
        # What a person needs of each row (which CCO, how it ended) is in view at 80 columns.
        assert outcome_end <= table.scrollable_content_region.width
        outcome = labels.index("Outcome")
        shown = [table.get_cell_at(Coordinate(row, outcome)) for row in range(table.row_count)]
        assert shown == ["unlinked", "still in QuickBooks® Desktop", messages.NOT_TRIED]


async def test_the_summary_shows_titles_and_messages_holding_brackets_as_written() -> None:
    title, said = "Rebar [/] extra [bold]", "Procore refused [/] it"
    ccos = [cco(1, title, "10.00", project="Harbor [/] Tower")]
    refused = UnlinkOutcome(OutcomeKind.PROCORE_FAILED, said, ccos[0].id)
    batch = UnlinkBatch(ccos, lambda one: _answer(refused))
    await batch.run(on_outcome=lambda one, _: None)
    app = Host(push=lambda: BatchSummaryScreen(batch))
    async with app.run_test(size=(160, 24)) as pilot:
        await pilot.pause()
        table = pilot.app.screen.query_one("#summary-table", DataTable)
        labels = [str(column.label) for column in table.ordered_columns]
        row = {label: str(table.get_cell_at(Coordinate(0, at))) for at, label in enumerate(labels)}
        assert (row["Title"], row["Project"], row["Message"]) == (title, "Harbor [/] Tower", said)
