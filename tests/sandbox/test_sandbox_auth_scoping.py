"""OAuth, bearer checks and company scoping of the Procore-style API."""

from __future__ import annotations

import httpx
import pytest
from sandbox_testkit import ServerFactory, auth_headers, grant

from sandbox import inspect as sbx_inspect
from sandbox.demo import HARBOR_COMPANY_ID, SUMMIT_COMPANY_ID
from sandbox.server import SandboxServer

pytestmark = pytest.mark.reads_only  # every test here only reads the sandbox

INVALID = {"errors": "The access token is invalid"}


def test_client_credentials_grant(http: httpx.Client) -> None:
    response = grant(http, "admin")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 5400
    assert isinstance(body["created_at"], int)
    assert body["access_token"]
    me = http.get("/rest/v1.0/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["login"] == "admin"
    assert set(me.json()) == {"id", "login", "name"}


def test_bad_client_is_401_invalid_client(http: httpx.Client) -> None:
    for login, secret in (("admin", "wrong"), ("nobody", "sandbox")):
        response = grant(http, login, secret)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"


def test_token_grant_wants_a_form_body(http: httpx.Client) -> None:
    response = http.post(
        "/oauth/token",
        json={"grant_type": "client_credentials", "client_id": "admin", "client_secret": "sandbox"},
    )
    assert response.status_code == 400


def test_refresh_token_is_single_use(http: httpx.Client) -> None:
    first = grant(http, "admin").json()
    form = {
        "grant_type": "refresh_token",
        "client_id": "admin",
        "client_secret": "sandbox",
        "refresh_token": first["refresh_token"],
    }
    second = http.post("/oauth/token", data=form)
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    again = http.post("/oauth/token", data=form)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_missing_unknown_and_revoked_tokens_are_401(http: httpx.Client) -> None:
    assert http.get("/rest/v1.0/me").status_code == 401
    assert http.get("/rest/v1.0/me").json() == INVALID
    bad = http.get("/rest/v1.0/me", headers={"Authorization": "Bearer nope"})
    assert (bad.status_code, bad.json()) == (401, INVALID)
    token = grant(http, "admin").json()["access_token"]
    http.post("/oauth/revoke", data={"token": token, "client_id": "admin"})
    revoked = http.get("/rest/v1.0/me", headers={"Authorization": f"Bearer {token}"})
    assert (revoked.status_code, revoked.json()) == (401, INVALID)


def test_expired_token_is_401(sbx_factory: ServerFactory) -> None:
    server: SandboxServer = sbx_factory(token_ttl_s=0)
    with httpx.Client(base_url=server.base_url) as client:
        token = grant(client, "admin").json()["access_token"]
        response = client.get("/rest/v1.0/me", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()) == (401, INVALID)


def test_company_header_required_except_me_and_companies(http: httpx.Client) -> None:
    headers = auth_headers(http, "admin", company_id=None)
    assert http.get("/rest/v1.0/me", headers=headers).status_code == 200
    companies = http.get("/rest/v1.0/companies", headers=headers)
    assert companies.status_code == 200
    assert companies.json() == [
        {"id": SUMMIT_COMPANY_ID, "name": "Summit Ridge Builders", "is_active": True}
    ]
    response = http.get(
        "/rest/v1.0/projects", params={"company_id": SUMMIT_COMPANY_ID}, headers=headers
    )
    assert response.status_code == 400
    assert response.json() == {"errors": "Missing Procore-Company-Id header!"}


def test_other_company_is_403_and_its_records_404(http: httpx.Client, sbx: SandboxServer) -> None:
    harbor_project = sbx_inspect.project_ids(sbx.config.data_file, HARBOR_COMPANY_ID)[0]
    as_harbor = auth_headers(http, "admin", company_id=HARBOR_COMPANY_ID)
    forbidden = http.get(
        "/rest/v1.0/projects", params={"company_id": HARBOR_COMPANY_ID}, headers=as_harbor
    )
    assert forbidden.status_code == 403
    assert "errors" in forbidden.json()

    admin = auth_headers(http, "admin")
    # A company the user does not belong to, named in the query: 403.
    named = http.get("/rest/v1.0/projects", params={"company_id": HARBOR_COMPANY_ID}, headers=admin)
    assert named.status_code == 403
    # Another company's records under the user's own company: 404.
    for path in (
        f"/rest/v1.0/projects/{harbor_project}/commitment_change_orders",
        f"/rest/v1.0/projects/{harbor_project}/commitment_change_orders/1",
    ):
        response = http.get(path, headers=admin)
        assert (response.status_code, response.json()) == (404, {"errors": "Not Found"})
    work_orders = http.get(
        "/rest/v1.0/work_order_contracts", params={"project_id": harbor_project}, headers=admin
    )
    assert work_orders.status_code == 404
    harbor_cco = sbx_inspect.synced_ccos(sbx.config.data_file, HARBOR_COMPANY_ID)[0]
    summit_project = sbx_inspect.project_ids(sbx.config.data_file, SUMMIT_COMPANY_ID)[0]
    crossed = http.get(
        f"/rest/v1.0/projects/{summit_project}/commitment_change_orders/{harbor_cco.id}",
        headers=admin,
    )
    assert crossed.status_code == 404


def test_harbor_admin_sees_only_harbor(http: httpx.Client) -> None:
    headers = auth_headers(http, "harbor-admin", company_id=HARBOR_COMPANY_ID)
    companies = http.get("/rest/v1.0/companies", headers=headers).json()
    assert [c["id"] for c in companies] == [HARBOR_COMPANY_ID]
    projects = http.get(
        "/rest/v1.0/projects", params={"company_id": HARBOR_COMPANY_ID}, headers=headers
    )
    assert projects.status_code == 200
    assert [p["company"]["id"] for p in projects.json()] == [HARBOR_COMPANY_ID]
