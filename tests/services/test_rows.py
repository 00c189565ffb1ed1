"""A list row built from Procore's answer: each field where its name says, whatever the order of
SyncedCco's fields (the row is built positionally, for speed)."""

from __future__ import annotations

import json

from services import catalog
from services.models import CcoPlace, Commitment, Project
from services.procore import parsing
from tests.helpers import synced_cco

PROJECT = Project(id=31, name="Harbor Tower", number="HT-2")
COMMITMENT = Commitment(
    id=41,
    number="PO-007",
    title="Curtain wall",
    vendor="Glassworks",
    origin_id="80000-PO",
    po_ref_number="7001",
)


def _change_order(**changes: object) -> parsing.ChangeOrder:
    record: dict[str, object] = {
        "id": 51,
        "contract_id": 41,
        "number": "003",
        "title": "Extra mullions",
        "grand_total": "-1234.50",
        "synced_at": "2026-03-01T10:00:00Z",
        "updated_at": "2026-03-02T10:00:00Z",
        "origin_id": "LINE-1",
        "origin_data": json.dumps({"po_txn_id": "80000-PO", "txn_line_ids": ["LINE-1"]}),
        **changes,
    }
    (change_order,) = parsing.change_orders(json.dumps([record]).encode())
    return change_order


def test_every_field_of_a_row_holds_what_its_name_says() -> None:
    row = catalog._row(21, PROJECT, _change_order(), COMMITMENT, {}, {})
    assert row == synced_cco(
        id=51,
        company_id=21,
        project_id=31,
        project_name="Harbor Tower",
        project_number="HT-2",
        commitment_id=41,
        commitment_number="PO-007",
        commitment_title="Curtain wall",
        vendor="Glassworks",
        number="003",
        title="Extra mullions",
        cents=-123450,
        synced_epoch=1772359200,
        origin_id="LINE-1",
        po_txn_id="80000-PO",
        line_ids="LINE-1",
        po_reference="7001",
    )
    assert row.origin_id is row.line_ids  # one string for both


def test_a_row_without_its_commitment_or_a_readable_link_says_what_it_knows() -> None:
    unsynced_commitment = catalog._row(
        21, PROJECT, _change_order(origin_data="not json", synced_at=None), None, {}, {}
    )
    assert (
        unsynced_commitment.commitment_id,
        unsynced_commitment.commitment_number,
        unsynced_commitment.vendor,
        unsynced_commitment.po_txn_id,
        unsynced_commitment.line_ids,
        unsynced_commitment.po_reference,
        unsynced_commitment.synced_epoch,  # updated_at, as nothing says when it was synced
    ) == (41, "#41", "", None, "", "?", 1772445600)
    two_lines = json.dumps({"po_txn_id": "80000-PO", "txn_line_ids": ["LINE-1", "LINE-2"]})
    without_reference = Commitment(41, "PO-007", "Curtain wall", "Glassworks", "80000-PO")
    row = catalog._row(21, PROJECT, _change_order(origin_data=two_lines), without_reference, {}, {})
    assert (row.line_ids, row.txn_line_ids, row.po_reference) == (
        "LINE-1,LINE-2",
        ("LINE-1", "LINE-2"),
        "80000-PO",
    )


def test_the_rows_of_a_commitment_share_one_place_and_a_projects_titles_are_one_string_each() -> (
    None
):
    places: dict[tuple[int, str | None], CcoPlace] = {}
    titles: dict[str, str] = {}
    first, second = (
        catalog._row(
            21, PROJECT, _change_order(id=n, origin_id=f"LINE-{n}"), COMMITMENT, places, titles
        )
        for n in (51, 52)
    )
    elsewhere = json.dumps({"po_txn_id": "80001-PO", "txn_line_ids": ["LINE-3"]})
    third = catalog._row(
        21, PROJECT, _change_order(id=53, origin_data=elsewhere), COMMITMENT, places, titles
    )
    assert first.place is second.place
    assert third.place is not first.place
    assert (third.po_txn_id, third.commitment_id, first.po_txn_id) == ("80001-PO", 41, "80000-PO")
    assert first.title == "Extra mullions" and first.title is second.title is third.title
