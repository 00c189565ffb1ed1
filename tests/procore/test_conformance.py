"""The sandbox seen from outside, as a third-party client of Procore's API sees it: OAuth grants
and token rotation, company scoping, paging, rate limits and error bodies."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urlencode

import httpx
import pytest

from sandbox import SandboxServer, inspect
from sandbox.demo import HARBOR_COMPANY_ID, SUMMIT_COMPANY_ID
from tests.clock import JumpingClock
from tests.procore.conftest import StartSandbox
from tests.procore.oauth_steps import approve

OOB = "urn:ietf:wg:oauth:2.0:oob"
LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')
APP = {"client_id": "admin", "client_secret": "sandbox"}


def _authorize_url(server: SandboxServer, client_id: str = "admin") -> str:
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": OOB, "state": "s1"}
    return f"{server.base_url}/oauth/authorize?{urlencode(query)}"


def _exchange(http: httpx.Client, code: str, redirect_uri: str = OOB) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **APP}
    return http.post("/oauth/token", data=form)


def _refresh(http: httpx.Client, token: str, client: dict[str, str] = APP) -> httpx.Response:
    return http.post(
        "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": token, **client}
    )


def _bearer(token: str, company_id: int | None = SUMMIT_COMPANY_ID) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if company_id is not None:
        headers["Procore-Company-Id"] = str(company_id)
    return headers


@pytest.fixture
def http(sandbox: SandboxServer) -> httpx.Client:
    with httpx.Client(base_url=sandbox.base_url, timeout=10.0) as client:
        yield client


@pytest.mark.reads_only
def test_authorization_code_with_the_oob_redirect(
    sandbox: SandboxServer, http: httpx.Client
) -> None:
    # The app is 'admin'; the person approving is 'no-push': the tokens act as the person.
    code = approve(_authorize_url(sandbox), login="no-push")
    assert code
    answer = _exchange(http, code)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == 5400
    assert body["access_token"] and body["refresh_token"]
    me = http.get("/rest/v1.0/me", headers=_bearer(body["access_token"], None))
    assert me.json()["login"] == "no-push"
    info = http.get("/oauth/token/info", headers=_bearer(body["access_token"], None)).json()
    assert info["resource_owner_id"] == inspect.user_id(sandbox.config.data_file, "no-push")
    assert info["application"] == {"uid": "admin"}
    assert 5390 <= info["expires_in_seconds"] <= 5400

    # A code works once.
    again = _exchange(http, code)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


@pytest.mark.reads_only
def test_a_code_is_bound_to_its_redirect_and_a_denial_gives_none(
    sandbox: SandboxServer, http: httpx.Client
) -> None:
    code = approve(_authorize_url(sandbox))
    wrong = _exchange(http, code, redirect_uri="http://127.0.0.1:9/callback")
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    # Spent by the failed attempt, like a refresh token.
    assert _exchange(http, code).status_code == 400
    assert approve(_authorize_url(sandbox), decision="deny") == ""
    unknown_app = http.get(
        "/oauth/authorize",
        params={"response_type": "code", "client_id": "nobody", "redirect_uri": OOB},
    )
    assert unknown_app.status_code == 400


def test_refresh_rotates_and_the_old_token_is_dead_whatever_the_outcome(
    sandbox: SandboxServer, http: httpx.Client
) -> None:
    first = _exchange(http, approve(_authorize_url(sandbox))).json()
    second = _refresh(http, first["refresh_token"])
    assert second.status_code == 200
    second_pair = second.json()
    assert second_pair["refresh_token"] != first["refresh_token"]
    assert _refresh(http, first["refresh_token"]).json()["error"] == "invalid_grant"

    # Presented by the wrong client, the token is refused and spent all the same.
    other_client = {"client_id": "no-push", "client_secret": "sandbox"}
    refused = _refresh(http, second_pair["refresh_token"], other_client)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    assert _refresh(http, second_pair["refresh_token"]).status_code == 400
    pairs = inspect.issued_pairs(sandbox.config.data_file)
    assert [p.refresh_revoked for p in pairs] == [True, True]


def test_revoke_kills_the_access_and_the_refresh_token(
    sandbox: SandboxServer, http: httpx.Client
) -> None:
    pair = _exchange(http, approve(_authorize_url(sandbox))).json()
    revoked = http.post("/oauth/revoke", data={"token": pair["access_token"], **APP})
    assert (revoked.status_code, revoked.json()) == (200, {})
    me = http.get("/rest/v1.0/me", headers=_bearer(pair["access_token"], None))
    assert (me.status_code, me.json()) == (401, {"errors": "The access token is invalid"})
    assert _refresh(http, pair["refresh_token"]).json()["error"] == "invalid_grant"
    # Unknown tokens answer 200 too, as Procore's revoke does.
    assert http.post("/oauth/revoke", data={"token": "nope", **APP}).status_code == 200


def _client_credentials(http: httpx.Client, login: str = "admin") -> str:
    form = {"grant_type": "client_credentials", "client_id": login, "client_secret": "sandbox"}
    return str(http.post("/oauth/token", data=form).json()["access_token"])


def _list_paths(data_file: object) -> list[tuple[str, dict[str, object]]]:
    project = inspect.project_ids(data_file, SUMMIT_COMPANY_ID)[0]  # type: ignore[arg-type]
    return [
        ("/rest/v1.0/projects", {"company_id": SUMMIT_COMPANY_ID}),
        ("/rest/v1.0/purchase_order_contracts", {"project_id": project}),
        ("/rest/v1.0/work_order_contracts", {"project_id": project}),
        (f"/rest/v1.0/projects/{project}/commitment_change_orders", {}),
        (f"/rest/v1.0/projects/{project}/commitment_change_orders", {"filters[synced]": "true"}),
    ]


@pytest.mark.reads_only
def test_every_list_the_client_uses_pages_with_total_per_page_and_link(
    sandbox: SandboxServer, http: httpx.Client
) -> None:
    headers = _bearer(_client_credentials(http))
    for path, params in _list_paths(sandbox.config.data_file):
        everything = http.get(path, params=params, headers=headers)
        assert everything.status_code == 200, path
        total = int(everything.headers["Total"])
        assert total == len(everything.json()) and total >= 1, path
        url: str | None = path
        query: dict[str, object] | None = {**params, "per_page": 1}
        walked, pages = [], 0
        while url is not None:
            page = http.get(url, params=query, headers=headers)
            pages += 1
            assert page.headers["Total"] == str(total) and page.headers["Per-Page"] == "1"
            links = {rel: link for link, rel in LINK.findall(page.headers.get("Link", ""))}
            # One page needs no Link (docs/procore-api.md); more always carry first and last.
            assert (set(links) >= {"first", "last"}) if total > 1 else not links, path
            assert ("prev" in links) == (pages > 1)
            walked += [row["id"] for row in page.json()]
            url, query = links.get("next"), None
        assert pages == total, path  # the last page has no next
        assert walked == [row["id"] for row in everything.json()], path


@pytest.mark.reads_only
def test_company_header_required_and_other_companies_refused(
    sandbox: SandboxServer, http: httpx.Client
) -> None:
    token = _client_credentials(http)
    for path, params in _list_paths(sandbox.config.data_file):
        missing = http.get(path, params=params, headers=_bearer(token, None))
        assert (missing.status_code, missing.json()) == (
            400,
            {"errors": "Missing Procore-Company-Id header!"},
        ), path
        elsewhere = http.get(path, params=params, headers=_bearer(token, HARBOR_COMPANY_ID))
        assert elsewhere.status_code == 403, path
        assert elsewhere.json()["reason"] == "company_access_denied"
    permissions = http.get(
        "/rest/v1.0/settings/permissions",
        params={"company_id": SUMMIT_COMPANY_ID},
        headers=_bearer(token, None),
    )
    assert permissions.status_code == 400


@pytest.mark.reads_only
def test_money_is_a_string_decimal_and_ids_are_integers(
    sandbox: SandboxServer, http: httpx.Client
) -> None:
    headers = _bearer(_client_credentials(http))
    project = inspect.project_ids(sandbox.config.data_file, SUMMIT_COMPANY_ID)[0]
    rows = http.get(f"/rest/v1.0/projects/{project}/commitment_change_orders", headers=headers)
    for row in rows.json():
        assert isinstance(row["id"], int) and isinstance(row["contract_id"], int)
        assert isinstance(row["grand_total"], str)
        assert Decimal(row["grand_total"]).as_tuple().exponent == -2
    commitments = http.get(
        "/rest/v1.0/purchase_order_contracts", params={"project_id": project}, headers=headers
    )
    assert any(row["id"] > 2**32 for row in commitments.json())  # 64-bit ids, as JSON numbers


def test_rate_limit_reports_the_nearer_window_then_429_until_the_reset(
    start_sandbox: StartSandbox,
) -> None:
    clock = JumpingClock()
    server = start_sandbox(
        rate_limit_per_10s=3,
        rate_limit_spike_window_s=1.0,
        rate_limit_per_hour=50,
        clock=clock.time,
    )
    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        headers = _bearer(_client_credentials(http), None)
        first = http.get("/rest/v1.0/me", headers=headers)
        # The spike window (3) is nearer to running out than the hourly one (50).
        assert (first.headers["X-Rate-Limit-Limit"], first.headers["X-Rate-Limit-Remaining"]) == (
            "3",
            "2",
        )
        for _ in range(2):
            http.get("/rest/v1.0/me", headers=headers)
        limited = http.get("/rest/v1.0/me", headers=headers)
        assert limited.status_code == 429
        assert limited.json() == {
            "errors": "You have surpassed the max number of requests for an hour. "
            "Please wait until your limit resets."
        }
        reset = int(limited.headers["X-Rate-Limit-Reset"])
        assert limited.headers["X-Rate-Limit-Remaining"] == "0"
        assert int(limited.headers["Retry-After"]) >= 1
        assert http.get("/rest/v1.0/me", headers=headers).status_code == 429
        clock.advance_to(reset + 0.05)
        assert http.get("/rest/v1.0/me", headers=headers).status_code == 200


def test_error_bodies_have_procores_shapes(sandbox: SandboxServer, http: httpx.Client) -> None:
    token = _client_credentials(http)
    harbor_project = inspect.project_ids(sandbox.config.data_file, HARBOR_COMPANY_ID)[0]
    cases = [
        (http.get("/rest/v1.0/projects", params={"company_id": "x"}, headers=_bearer(token)), 400),
        (http.get("/rest/v1.0/me"), 401),
        (
            http.get(
                "/rest/v1.0/projects",
                params={"company_id": HARBOR_COMPANY_ID},
                headers=_bearer(token),
            ),
            403,
        ),
        (
            http.get(
                f"/rest/v1.0/projects/{harbor_project}/commitment_change_orders",
                headers=_bearer(token),
            ),
            404,
        ),
        (
            http.patch(
                f"/rest/v1.0/companies/{SUMMIT_COMPANY_ID}/external_data",
                json=[{"item_type": "Nope", "item_id": 1, "origin_id": None}],
                headers=_bearer(token),
            ),
            422,
        ),
        (
            # Not an External Data item type in Procore: a CCO's header is `change_order`.
            http.patch(
                f"/rest/v1.0/companies/{SUMMIT_COMPANY_ID}/external_data/sync",
                json={
                    "updates": [
                        {"item_type": "CommitmentChangeOrder", "item_id": 1, "origin_id": None}
                    ]
                },
                headers=_bearer(token),
            ),
            422,
        ),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        body = response.json()
        assert isinstance(body["errors"], str) and body["errors"], status
    assert cases[1][0].headers["WWW-Authenticate"].startswith("Bearer")
    sandbox.faults.procore_unavailable = True
    down = http.get("/rest/v1.0/me", headers=_bearer(token, None))
    sandbox.faults.procore_unavailable = False
    assert down.status_code == 503 and int(down.headers["Retry-After"]) >= 1
    assert isinstance(down.json()["errors"], str)
