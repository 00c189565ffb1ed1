"""Shapes of the Procore-side answers and each demo user's permissions."""

from __future__ import annotations

import json
import re
import sqlite3

import httpx
import pytest
from sandbox_testkit import auth_headers

from sandbox import inspect as sbx_inspect
from sandbox.demo import SUMMIT_COMPANY_ID
from sandbox.server import SandboxServer
from sandbox.store import connection, create_schema

MONEY = re.compile(r"^-?\d+\.\d{2}$")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

EXPECTED = {
    # login: (project Commitments, company ERP Integrations, Can Push to Accounting)
    "admin": ("Admin", "Admin", True),
    "no-push": ("Admin", "Admin", False),
    "not-commitments-admin": ("Standard", "Admin", True),
    "erp-read-only": ("Admin", "Read Only", True),
}


def _level(tools: list[dict[str, object]], name: str) -> str:
    for tool in tools:
        if str(tool["name"]).lower() == name or str(tool["friendly_name"]).lower() == name:
            level = tool["user_access_level"]
            assert isinstance(level, dict)
            return str(level["name"])
    return "None"


@pytest.mark.parametrize("login", sorted(EXPECTED))
@pytest.mark.reads_only
def test_each_demo_users_permissions(http: httpx.Client, sbx: SandboxServer, login: str) -> None:
    commitments, erp, can_push = EXPECTED[login]
    headers = auth_headers(http, login)
    me = http.get("/rest/v1.0/me", headers=headers).json()
    user = http.get(f"/rest/v1.0/companies/{SUMMIT_COMPANY_ID}/users/{me['id']}", headers=headers)
    assert user.status_code == 200
    assert user.json()["erp_integrated_accountant"] is can_push
    assert set(user.json()) == {"id", "login", "name", "email_address", "erp_integrated_accountant"}
    company = http.get(
        "/rest/v1.0/settings/permissions", params={"company_id": SUMMIT_COMPANY_ID}, headers=headers
    )
    assert _level(company.json()["tools"], "erp integrations") == erp
    for project_id in sbx_inspect.project_ids(sbx.config.data_file, SUMMIT_COMPANY_ID):
        project = http.get(
            "/rest/v1.0/settings/permissions", params={"project_id": project_id}, headers=headers
        )
        assert project.status_code == 200
        tools = project.json()["tools"]
        assert _level(tools, "commitments") == commitments
        assert _level(tools, "erp_integrations") == "None"  # a company tool, absent here


@pytest.mark.reads_only
def test_projects_and_commitments_shapes(http: httpx.Client, admin: dict[str, str]) -> None:
    projects = http.get(
        "/rest/v1.0/projects", params={"company_id": SUMMIT_COMPANY_ID}, headers=admin
    ).json()
    assert len(projects) == 5
    for project in projects:
        assert project["id"] > 2**31  # past a signed 32-bit int
        assert project["company"] == {"id": SUMMIT_COMPANY_ID, "name": "Summit Ridge Builders"}
        assert project["display_name"].endswith(project["name"])
        # Every demo project is synced with QuickBooks as a Customer:Job.
        assert re.match(r"^[0-9A-F]+-\d{10}$", project["origin_id"])
    seen = 0
    for project in projects:
        for kind in ("purchase_order_contracts", "work_order_contracts"):
            rows = http.get(
                f"/rest/v1.0/{kind}", params={"project_id": project["id"]}, headers=admin
            ).json()
            for row in rows:
                seen += 1
                assert {
                    "id",
                    "number",
                    "title",
                    "status",
                    "vendor",
                    "origin_id",
                    "origin_data",
                } <= set(row)
                assert row["project"] == {"id": project["id"], "name": project["name"]}
                assert set(row["vendor"]) == {"id", "name"}
                assert re.match(r"^[0-9A-F]+-\d{10}$", row["origin_id"])
                assert len(json.loads(row["origin_data"])["ref_number"]) <= 11
    assert 10 <= seen <= 20


@pytest.mark.reads_only
def test_cco_list_filter_and_show(
    http: httpx.Client, admin: dict[str, str], sbx: SandboxServer
) -> None:
    project_id = sbx_inspect.project_ids(sbx.config.data_file, SUMMIT_COMPANY_ID)[0]
    path = f"/rest/v1.0/projects/{project_id}/commitment_change_orders"
    everything = http.get(path, headers=admin).json()
    synced = http.get(path, params={"filters[synced]": "true"}, headers=admin).json()
    assert synced and len(synced) <= len(everything)
    assert all(c["origin_id"] for c in synced)
    assert {c["id"] for c in synced} == {c["id"] for c in everything if c["origin_id"]}
    cco = synced[0]
    assert MONEY.match(cco["grand_total"])
    for key in ("created_at", "updated_at", "synced_at"):
        assert TIME.match(cco[key])
    assert len(cco["number"]) <= 12 and len(cco["title"]) <= 30
    assert cco["status"] == "approved"
    origin = json.loads(cco["origin_data"])
    assert cco["origin_id"] == origin["txn_line_ids"][0]

    shown = http.get(f"{path}/{cco['id']}", headers=admin)
    assert shown.status_code == 200
    body = shown.json()
    lines = body.pop("line_items")
    assert body == cco
    assert [line["origin_id"] for line in lines] == origin["txn_line_ids"]
    for line in lines:
        assert set(line) == {"id", "description", "amount", "origin_id", "cost_code"}
        assert MONEY.match(line["amount"])
        assert set(line["cost_code"]) == {"full_code", "name"}
    total = sum(int(line["amount"].replace(".", "")) for line in lines)
    assert f"{total / 100:.2f}" == cco["grand_total"]

    assert http.get(f"{path}/1", headers=admin).status_code == 404


def test_data_seeded_before_projects_had_an_origin_id_gets_one_where_synced(
    sbx: SandboxServer,
) -> None:
    data = sbx.config.data_file
    with sqlite3.connect(data) as conn:
        conn.execute("ALTER TABLE projects DROP COLUMN origin_id")
        conn.execute(
            "INSERT INTO projects(id, company_id, name, project_number) VALUES (7, ?, 'Yard', 'Y')",
            (SUMMIT_COMPANY_ID,),
        )
    with connection(data) as conn:
        create_schema(conn)
    with sqlite3.connect(data) as conn:
        origins = dict(
            conn.execute(
                "SELECT id, origin_id FROM projects WHERE company_id = ?", (SUMMIT_COMPANY_ID,)
            ).fetchall()
        )
    assert origins.pop(7) is None  # no synced commitment: not synced
    assert len(origins) == 5 and all(origins.values())
