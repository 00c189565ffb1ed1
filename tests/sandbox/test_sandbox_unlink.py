"""PATCH external_data/sync and external_data: the server-side unlink with its checks,
idempotence and atomicity, in Procore's current form (a sync action) and its older one (an
array)."""

from __future__ import annotations

import json

import httpx
import pytest
from sandbox_testkit import auth_headers

from sandbox import inspect as sbx_inspect
from sandbox.demo import HARBOR_COMPANY_ID, SUMMIT_COMPANY_ID
from sandbox.inspect import DemoCco
from sandbox.server import SandboxServer

PATH = f"/rest/v1.0/companies/{SUMMIT_COMPANY_ID}/external_data"
SYNC_PATH = f"{PATH}/sync"


def _body(cco: DemoCco) -> list[dict[str, object]]:
    items: list[dict[str, object]] = [
        {
            "item_type": "change_order",
            "item_id": cco.id,
            "origin_id": None,
            "origin_code": None,
            "origin_data": None,
        }
    ]
    items += [
        {"item_type": "line_item", "item_id": line_id, "origin_id": None}
        for line_id in cco.line_item_ids
    ]
    return items


def _deleted_cco(sbx: SandboxServer) -> DemoCco:
    return next(
        c
        for c in sbx_inspect.synced_ccos(sbx.config.data_file, SUMMIT_COMPANY_ID)
        if not c.in_quickbooks
    )


def test_unlink_clears_links_and_is_idempotent(
    http: httpx.Client, admin: dict[str, str], sbx: SandboxServer
) -> None:
    cco = _deleted_cco(sbx)
    first = http.patch(PATH, json=_body(cco), headers=admin)
    assert first.status_code == 200, first.text
    entities = first.json()["entities"]
    assert first.json()["errors"] == []
    assert [(e["item_type"], e["item_id"], e["origin_id"]) for e in entities] == [
        (item["item_type"], item["item_id"], None) for item in _body(cco)
    ]
    assert sbx_inspect.cco_link(sbx.config.data_file, cco.id) == (None, None)
    assert sbx_inspect.line_links(sbx.config.data_file, cco.id) == [None] * len(cco.line_item_ids)

    assert all(e["changed"] is True for e in entities)

    again = http.patch(PATH, json=_body(cco), headers=admin)
    assert again.status_code == 200
    # The same entities again, each saying that this time nothing changed.
    assert again.json() == {
        "entities": [{**e, "changed": False} for e in entities],
        "errors": [],
    }

    shown = http.get(
        f"/rest/v1.0/projects/{cco.project_id}/commitment_change_orders/{cco.id}", headers=admin
    ).json()
    assert shown["origin_id"] is None and shown["origin_data"] is None
    synced = http.get(
        f"/rest/v1.0/projects/{cco.project_id}/commitment_change_orders",
        params={"filters[synced]": "true"},
        headers=admin,
    ).json()
    assert cco.id not in {c["id"] for c in synced}


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        ("not-commitments-admin", "commitments_admin_required"),
        ("erp-read-only", "erp_integrations_access_required"),
        ("no-push", "can_push_to_accounting_required"),
    ],
)
def test_each_missing_permission_is_refused(
    http: httpx.Client, sbx: SandboxServer, login: str, reason: str
) -> None:
    cco = _deleted_cco(sbx)
    before = (
        sbx_inspect.cco_link(sbx.config.data_file, cco.id),
        sbx_inspect.line_links(sbx.config.data_file, cco.id),
    )
    response = http.patch(PATH, json=_body(cco), headers=auth_headers(http, login))
    assert response.status_code == 403
    assert response.json()["reason"] == reason
    assert response.json()["errors"]
    after = (
        sbx_inspect.cco_link(sbx.config.data_file, cco.id),
        sbx_inspect.line_links(sbx.config.data_file, cco.id),
    )
    assert after == before
    assert after[0][0] is not None


def test_setting_a_link_is_422(
    http: httpx.Client, admin: dict[str, str], sbx: SandboxServer
) -> None:
    cco = _deleted_cco(sbx)
    body = [{"item_type": "change_order", "item_id": cco.id, "origin_id": "1-1234567890"}]
    response = http.patch(PATH, json=body, headers=admin)
    assert response.status_code == 422
    assert sbx_inspect.cco_link(sbx.config.data_file, cco.id)[0] == cco.txn_line_ids[0]


def test_unknown_or_foreign_items_are_404_and_nothing_changes(
    http: httpx.Client, admin: dict[str, str], sbx: SandboxServer
) -> None:
    cco = _deleted_cco(sbx)
    harbor = sbx_inspect.synced_ccos(sbx.config.data_file, HARBOR_COMPANY_ID)[0]
    for stranger in (
        {"item_type": "change_order", "item_id": 1, "origin_id": None},
        {"item_type": "change_order", "item_id": harbor.id, "origin_id": None},
        {
            "item_type": "line_item",
            "item_id": harbor.line_item_ids[0],
            "origin_id": None,
        },
    ):
        response = http.patch(PATH, json=[*_body(cco), stranger], headers=admin)
        assert (response.status_code, response.json()) == (404, {"errors": "Not Found"})
        # Atomic: the valid items before the bad one were not cleared either.
        assert sbx_inspect.cco_link(sbx.config.data_file, cco.id)[0] is not None
        assert None not in sbx_inspect.line_links(sbx.config.data_file, cco.id)
    assert sbx_inspect.cco_link(sbx.config.data_file, harbor.id)[0] is not None


def test_malformed_bodies_are_400(http: httpx.Client, admin: dict[str, str]) -> None:
    for body in ({"item_type": "change_order"}, [{"item_id": 1}], "nope"):
        response = http.patch(PATH, content=json.dumps(body), headers=admin)
        assert response.status_code == 400
        assert "errors" in response.json()


def test_other_company_path_is_403(http: httpx.Client, admin: dict[str, str]) -> None:
    response = http.patch(
        f"/rest/v1.0/companies/{HARBOR_COMPANY_ID}/external_data", json=[], headers=admin
    )
    assert response.status_code == 403


def test_the_sync_action_clears_links_and_answers_entities_and_errors(
    http: httpx.Client, admin: dict[str, str], sbx: SandboxServer
) -> None:
    cco = _deleted_cco(sbx)
    first = http.patch(SYNC_PATH, json={"updates": _body(cco)}, headers=admin)
    assert first.status_code == 200, first.text
    assert first.json()["errors"] == []
    assert [(e["item_type"], e["item_id"], e["changed"]) for e in first.json()["entities"]] == [
        (item["item_type"], item["item_id"], True) for item in _body(cco)
    ]
    assert sbx_inspect.cco_link(sbx.config.data_file, cco.id) == (None, None)
    assert sbx_inspect.line_links(sbx.config.data_file, cco.id) == [None] * len(cco.line_item_ids)
    again = http.patch(SYNC_PATH, json={"updates": _body(cco)}, headers=admin)
    assert [e["changed"] for e in again.json()["entities"]] == [False] * len(_body(cco))


def test_the_sync_action_lists_an_unknown_item_under_errors_with_200(
    http: httpx.Client, admin: dict[str, str], sbx: SandboxServer
) -> None:
    cco = _deleted_cco(sbx)
    harbor = sbx_inspect.synced_ccos(sbx.config.data_file, HARBOR_COMPANY_ID)[0]
    stranger = {"item_type": "line_item", "item_id": harbor.line_item_ids[0], "origin_id": None}
    answer = http.patch(SYNC_PATH, json={"updates": [*_body(cco), stranger]}, headers=admin)
    assert answer.status_code == 200
    assert answer.json()["errors"] == [
        {"item_type": "line_item", "item_id": harbor.line_item_ids[0], "errors": "Not Found"}
    ]
    # As Procore's sync actions do, the items it found were still processed.
    assert len(answer.json()["entities"]) == len(_body(cco))
    assert sbx_inspect.cco_link(sbx.config.data_file, cco.id) == (None, None)
    assert sbx_inspect.line_links(sbx.config.data_file, harbor.id)[0] is not None


@pytest.mark.parametrize("item_type", ["CommitmentChangeOrder", "CommitmentChangeOrderLineItem"])
@pytest.mark.parametrize("form", ["sync", "array"])
def test_item_types_procore_does_not_have_are_422(
    http: httpx.Client, admin: dict[str, str], sbx: SandboxServer, item_type: str, form: str
) -> None:
    cco = _deleted_cco(sbx)
    item_id = cco.id if item_type == "CommitmentChangeOrder" else cco.line_item_ids[0]
    items = [{"item_type": item_type, "item_id": item_id, "origin_id": None}]
    if form == "sync":
        response = http.patch(SYNC_PATH, json={"updates": items}, headers=admin)
    else:
        response = http.patch(PATH, json=items, headers=admin)
    assert response.status_code == 422
    assert item_type in response.json()["errors"]
    assert sbx_inspect.cco_link(sbx.config.data_file, cco.id)[0] is not None
    assert None not in sbx_inspect.line_links(sbx.config.data_file, cco.id)


def test_the_sync_action_takes_at_most_1000_items_and_needs_updates(
    http: httpx.Client, admin: dict[str, str], sbx: SandboxServer
) -> None:
    cco = _deleted_cco(sbx)
    item = {"item_type": "change_order", "item_id": cco.id, "origin_id": None}
    assert http.patch(SYNC_PATH, json={"updates": [item] * 1000}, headers=admin).status_code == 200
    too_many = http.patch(SYNC_PATH, json={"updates": [item] * 1001}, headers=admin)
    assert too_many.status_code == 400 and "1000" in too_many.json()["errors"]
    for body in ([item], {"changes": [item]}, {"updates": item}):
        response = http.patch(SYNC_PATH, json=body, headers=admin)
        assert response.status_code == 400, body


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        ("not-commitments-admin", "commitments_admin_required"),
        ("erp-read-only", "erp_integrations_access_required"),
        ("no-push", "can_push_to_accounting_required"),
    ],
)
def test_the_sync_action_refuses_a_missing_permission_with_403(
    http: httpx.Client, sbx: SandboxServer, login: str, reason: str
) -> None:
    cco = _deleted_cco(sbx)
    response = http.patch(
        SYNC_PATH, json={"updates": _body(cco)}, headers=auth_headers(http, login)
    )
    assert (response.status_code, response.json()["reason"]) == (403, reason)
    assert sbx_inspect.cco_link(sbx.config.data_file, cco.id)[0] is not None
