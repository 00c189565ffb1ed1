"""One unlink of many: in order, stoppable after the CCO in progress, every result kept."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

from sandbox import inspect
from services import messages
from services.backend import Backend
from services.batch import UnlinkBatch
from services.errors import ProcoreUnavailableError
from services.models import OutcomeKind, SyncedCco, UnlinkOutcome
from tests.helpers import is_linked, load_rows


def _gone(data_file: Path, rows: dict[int, SyncedCco], count: int) -> list[SyncedCco]:
    ids = sorted(c.id for c in inspect.synced_ccos(data_file) if not c.in_quickbooks)
    assert len(ids) >= count, "the demo has enough CCOs gone from QuickBooks"
    return [rows[cco_id] for cco_id in ids[:count]]


async def test_stop_ends_after_the_cco_in_progress_and_keeps_every_result(
    backend: Backend, sandbox_data: Path, tmp_path: Path
) -> None:
    ccos = _gone(sandbox_data, await load_rows(backend), 3)
    batch = UnlinkBatch(ccos, backend.unlink)
    started: list[int] = []

    def on_start(cco: SyncedCco, place: int) -> None:
        started.append(place)
        batch.stop()  # asked while the first unlink is under way

    heard: list[UnlinkOutcome] = []
    await batch.run(on_start, lambda cco, outcome: heard.append(outcome))

    assert started == [1]
    assert [o.kind for o in heard] == [OutcomeKind.UNLINKED]
    assert not is_linked(sandbox_data, ccos[0].id)
    assert all(is_linked(sandbox_data, cco.id) for cco in ccos[1:])
    results = batch.results
    assert [r.cco.id for r in results] == [c.id for c in ccos]
    assert [r.words for r in results] == ["unlinked", messages.NOT_TRIED, messages.NOT_TRIED]
    assert batch.summary() == f"{messages.BATCH_STOPPED} 1 unlinked; 2 not tried."

    report = tmp_path / "reports" / "batch.csv"
    batch.write_csv(report)
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    with report.open(newline="", encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert [(int(r["cco_id"]), r["outcome"]) for r in lines] == [
        (ccos[0].id, "unlinked"),
        (ccos[1].id, "not_tried"),
        (ccos[2].id, "not_tried"),
    ]
    assert lines[0]["message"] == messages.UNLINKED


async def test_a_failure_before_any_answer_is_an_outcome_and_stops_the_run(
    backend: Backend, sandbox_data: Path
) -> None:
    ccos = _gone(sandbox_data, await load_rows(backend), 3)

    async def unlink(cco: SyncedCco) -> UnlinkOutcome:
        if cco.id == ccos[1].id:
            raise ProcoreUnavailableError("Procore did not answer in time.")
        return await backend.unlink(cco)

    batch = UnlinkBatch(ccos, unlink)
    await batch.run()

    kinds = [r.outcome.kind if r.outcome else None for r in batch.results]
    assert kinds == [OutcomeKind.UNLINKED, OutcomeKind.PROCORE_FAILED, None]
    assert batch.results[1].outcome is not None
    assert batch.results[1].outcome.message == "Procore did not answer in time."
    assert is_linked(sandbox_data, ccos[2].id)
    assert not batch.all_succeeded
