"""`cco-unlink list` prints each CCO's amount and time as Decimal and datetime write them, its JSON
keys in one order, however the row is written."""

from __future__ import annotations

import io
import json

import pytest

from cco_unlink.headless import write_rows
from services.models import SyncedCco
from tests.helpers import synced_cco

CENTS = [0, 5, -5, 100, -1234550, 438500, 10**27 + 7, -(10**27) - 7]
EPOCHS = [None, 0, -1, -86_400 * 365 - 59, 1767625200, 951782400, 4107542399, 1709208000]


def _row(number: int, cents: int, epoch: int | None) -> SyncedCco:
    return synced_cco(
        id=1000 + number,
        company_id=7,
        project_id=8,
        project_name="Harbor Tower",
        project_number="HT-2",
        commitment_id=9,
        commitment_number="PO-007",
        commitment_title="Curtain wall",
        vendor="Glassworks",
        number=f"{number:03d}",
        title="Extra \u201cmullions\u201d",
        cents=cents,
        synced_epoch=epoch,
        origin_id="LINE-1",
        po_txn_id="80000-PO",
        line_ids="LINE-1",
        po_reference="7001",
    )


ROWS = [_row(n, cents, epoch) for n, (cents, epoch) in enumerate(zip(CENTS, EPOCHS, strict=True))]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.cents}@{r.synced_epoch}" for r in ROWS])
def test_a_json_line_writes_the_amount_and_time_as_decimal_and_datetime_do(row: SyncedCco) -> None:
    out = io.StringIO()
    write_rows([row], as_json=True, out=out)
    printed = json.loads(out.getvalue())
    assert list(printed.items()) == [
        ("cco_id", row.id),
        ("cco_number", row.number),
        ("title", row.title),
        ("amount", str(row.amount)),
        ("project_id", row.project_id),
        ("project", row.project_name),
        ("commitment_id", row.commitment_id),
        ("commitment", "PO-007 Curtain wall"),
        ("vendor", row.vendor),
        ("purchase_order", row.po_reference),
        ("synced_at", row.synced_at.isoformat() if row.synced_at else None),
    ]


def test_the_columns_write_the_same_values_tab_separated() -> None:
    out = io.StringIO()
    write_rows(ROWS[:2], as_json=False, out=out)
    header, first, second = out.getvalue().splitlines()
    assert header.split("\t") == [
        "project_id",
        "cco_id",
        "cco_number",
        "title",
        "amount",
        "commitment",
        "synced_at",
    ]
    assert first.split("\t") == [
        "8",
        "1000",
        "000",
        "Extra “mullions”",
        "0.00",
        "PO-007 Curtain wall",
        "",
    ]
    assert second.split("\t")[4:] == ["0.05", "PO-007 Curtain wall", "1970-01-01T00:00:00+00:00"]
