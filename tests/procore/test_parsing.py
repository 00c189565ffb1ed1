"""A page of CCOs decoded straight from Procore's bytes: typed, checked, and named when wrong."""

from __future__ import annotations

import json

import httpx
import pytest

from services.errors import ProcoreReplyError
from services.plain_text import MAX_SAID
from services.procore import parsing
from services.procore.transport import error_text


def _page(**changes: object) -> bytes:
    record: dict[str, object] = {
        "id": 11,
        "contract_id": 22,
        "number": 3,
        "title": "Extra rebar",
        "grand_total": "12.345",
        "synced_at": "2026-03-01T10:00:00Z",
        "origin_id": "L-1",
        "origin_data": json.dumps({"po_txn_id": "T-1", "txn_line_ids": ["L-1"]}),
        "vendor": {"ignored": True},
    }
    record.update(changes)
    return json.dumps([record]).encode()


def test_a_page_decodes_to_checked_fields() -> None:
    (change_order,) = parsing.change_orders(_page())
    assert (change_order.id, change_order.contract_id, parsing.text(change_order.number)) == (
        11,
        22,
        "3",
    )
    assert parsing.cents(change_order) == 1234  # rounded half to even, as Decimal does
    assert parsing.synced_epoch(change_order) == 1772359200
    link = parsing.quickbooks_link(change_order.origin_data)
    assert link is not None and (link.po_txn_id, link.txn_line_ids) == ("T-1", ("L-1",))


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", True), ("contract_id", "x"), ("grand_total", {}), ("synced_at", 5), ("title", [])],
)
def test_a_field_of_the_wrong_type_is_named(field: str, value: object) -> None:
    with pytest.raises(ProcoreReplyError, match=f"'{field}'"):
        parsing.change_orders(_page(**{field: value}))


@pytest.mark.parametrize(
    ("field", "value"),
    [("grand_total", "12,00"), ("grand_total", "NaN"), ("grand_total", "1e400"),
     ("grand_total", "9" * 40), ("synced_at", "noon")],
)  # fmt: skip
def test_a_value_that_is_not_what_it_claims_is_named(field: str, value: str) -> None:
    (change_order,) = parsing.change_orders(_page(**{field: value}))
    with pytest.raises(ProcoreReplyError, match=f"'{field}'"):
        parsing.cents(change_order) if field == "grand_total" else parsing.synced_epoch(
            change_order
        )


def test_an_answer_that_is_not_a_list_of_objects_is_refused() -> None:
    for content in (b"{}", b"not json", b""):
        with pytest.raises(ProcoreReplyError):
            parsing.change_orders(content)


@pytest.mark.parametrize(
    ("written", "cents"),
    [("1234.50", 123450), ("-0.05", -5), ("7", 700), ("7.5", 750), (12.5, 1250), ("1e2", 10000),
     ("0.125", 12), ("-1234.56", -123456), ("12,50", None), ("1.2.3", None)],
)  # fmt: skip
def test_amounts_become_whole_cents_as_decimal_would_round_them(
    written: object, cents: int | None
) -> None:
    (change_order,) = parsing.change_orders(_page(grand_total=written))
    if cents is None:
        with pytest.raises(ProcoreReplyError, match="'grand_total'"):
            parsing.cents(change_order)
    else:
        assert parsing.cents(change_order) == cents


def test_a_line_id_that_quickbooks_cannot_have_leaves_no_location() -> None:
    origin = json.dumps({"po_txn_id": "T-1", "txn_line_ids": ["L-1,L-2"]})
    (change_order,) = parsing.change_orders(_page(origin_data=origin))
    assert parsing.quickbooks_link(change_order.origin_data) is None  # the unlink then refuses


@pytest.mark.parametrize(
    ("extra", "synced"),
    [({"origin_id": "80000401-1756821600"}, True), ({"origin_id": None}, False), ({}, True)],
)
def test_only_a_project_procore_says_is_unsynced_is_skipped(
    extra: dict[str, object], synced: bool
) -> None:
    record = {"id": 7, "name": "Yard", "project_number": "Y-1", **extra}
    assert parsing.project(record).synced is synced


def test_a_sync_answers_errors_are_told_in_a_few_words_whatever_their_shape() -> None:
    answer = {
        "entities": [],
        "errors": [
            {"item_type": "line_item", "item_id": 9, "errors": "Not Found"},
            {"item_id": 10, "error": {"origin_id": "is locked"}},
            "something else",
        ],
    }
    assert parsing.sync_errors(answer) == [
        "line_item 9: Not Found",
        "10: origin_id is locked",
        "something else",
    ]
    assert parsing.sync_errors({"entities": [], "errors": []}) == []
    assert parsing.sync_errors([]) == []


def test_a_sync_answers_errors_nested_deep_or_by_thousands_are_told_briefly() -> None:
    # Nested deeper than str() can follow: the JSON reader allows about as deep as the stack it
    # runs on, and telling the entry comes a few calls deeper than reading it.
    nested: list[object] = []
    for _ in range(5000):
        nested = [nested]
    deep = {"errors": [{"error": nested}, "line 2 locked"]}
    assert parsing.sync_errors(deep) == [
        "refused, in words nested too deeply to read",
        "line 2 locked",
    ]
    many = parsing.sync_errors({"errors": [f"line {n} locked" for n in range(5000)]})
    assert many[0] == "line 0 locked" and many[-1] == "and 4990 more" and len(many) == 11


def test_procores_words_reach_the_screen_as_text_never_as_terminal_commands() -> None:
    # An escape sequence that would clear the screen, then one that sets the clipboard (OSC 52).
    hostile = "Rebar\x1b[2J\x1b]52;c;aGk=\x1b\\ done"
    (change_order,) = parsing.change_orders(_page(title=hostile))
    assert parsing.text(change_order.title) == "Rebar [2J ]52;c;aGk= \\ done"
    assert parsing.company({"id": 1, "name": hostile}).name == "Rebar [2J ]52;c;aGk= \\ done"
    assert parsing.text("Ünïcode · fine") == "Ünïcode · fine"


def test_procores_error_text_is_quoted_printable_and_short() -> None:
    request = httpx.Request("PATCH", "https://api.example.com/x")
    long = httpx.Response(422, json={"errors": "no\x1b[31m " + "x" * 10_000}, request=request)
    said = error_text(long)
    assert said.startswith("no [31m xxx") and said.endswith("…")
    assert len(said) == MAX_SAID
