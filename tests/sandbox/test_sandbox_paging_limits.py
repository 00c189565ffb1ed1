"""Paging headers and Link rels; rate-limit headers and 429; simulated overload."""

from __future__ import annotations

import re

import httpx
import pytest
from sandbox_testkit import ServerFactory, auth_headers

from sandbox.demo import SUMMIT_COMPANY_ID
from sandbox.server import SandboxServer

LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


def _links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers.get("Link", ""))}


@pytest.mark.reads_only
def test_projects_paged_two_per_page(http: httpx.Client, admin: dict[str, str]) -> None:
    params = {"company_id": SUMMIT_COMPANY_ID, "per_page": 2}
    first = http.get("/rest/v1.0/projects", params=params, headers=admin)
    assert first.status_code == 200
    assert first.headers["Total"] == "5"
    assert first.headers["Per-Page"] == "2"
    assert len(first.json()) == 2
    links = _links(first)
    assert set(links) == {"first", "next", "last"}
    assert "page=2" in links["next"] and "page=3" in links["last"]
    assert f"company_id={SUMMIT_COMPANY_ID}" in links["next"]

    middle = http.get(links["next"], headers=admin)
    assert set(_links(middle)) == {"first", "prev", "next", "last"}
    assert "page=1" in _links(middle)["prev"]

    last = http.get(_links(middle)["next"], headers=admin)
    assert set(_links(last)) == {"first", "prev", "last"}
    assert len(last.json()) == 1

    ids = [p["id"] for r in (first, middle, last) for p in r.json()]
    everything = http.get(
        "/rest/v1.0/projects", params={"company_id": SUMMIT_COMPANY_ID}, headers=admin
    )
    assert "Link" not in everything.headers
    assert [p["id"] for p in everything.json()] == ids


@pytest.mark.reads_only
def test_following_next_walks_the_synced_ccos(http: httpx.Client, admin: dict[str, str]) -> None:
    projects = http.get(
        "/rest/v1.0/projects", params={"company_id": SUMMIT_COMPANY_ID}, headers=admin
    )
    total = 0
    for project in projects.json():
        url: str | None = f"/rest/v1.0/projects/{project['id']}/commitment_change_orders"
        params: dict[str, str | int] | None = {"filters[synced]": "true", "per_page": 3}
        while url:
            response = http.get(url, params=params, headers=admin)
            assert response.status_code == 200
            rows = response.json()
            assert all(row["origin_id"] for row in rows)
            total += len(rows)
            url, params = _links(response).get("next"), None
    assert total == 40


@pytest.mark.reads_only
def test_bad_paging_params_are_400(http: httpx.Client, admin: dict[str, str]) -> None:
    for params in ({"page": 0}, {"per_page": "x"}):
        response = http.get(
            "/rest/v1.0/projects",
            params={"company_id": SUMMIT_COMPANY_ID, **params},
            headers=admin,
        )
        assert response.status_code == 400
        assert "errors" in response.json()


@pytest.mark.reads_only
def test_rate_limit_headers_on_every_answer(http: httpx.Client, admin: dict[str, str]) -> None:
    for response in (
        http.get("/rest/v1.0/me", headers=admin),
        http.get("/rest/v1.0/me"),
        http.get("/rest/v1.0/nowhere", headers=admin),
        http.post("/oauth/token", data={"grant_type": "client_credentials"}),
    ):
        for header in ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"):
            assert header in response.headers, (response.request.url, header)


def test_429_past_the_spike_window(sbx_factory: ServerFactory) -> None:
    server: SandboxServer = sbx_factory(rate_limit_per_10s=3)
    with httpx.Client(base_url=server.base_url) as client:
        headers = auth_headers(client, "admin")  # the token grant counts per address
        remaining = [
            int(client.get("/rest/v1.0/me", headers=headers).headers["X-Rate-Limit-Remaining"])
            for _ in range(3)
        ]
        assert remaining == [2, 1, 0]
        limited = client.get("/rest/v1.0/me", headers=headers)
        assert limited.status_code == 429
        assert limited.json()["errors"].startswith("You have surpassed the max number of requests")
        assert 1 <= int(limited.headers["Retry-After"]) <= 10
        assert limited.headers["X-Rate-Limit-Limit"] == "3"
        assert limited.headers["X-Rate-Limit-Remaining"] == "0"
        # Limits are per token: another user's token is not affected.
        other = auth_headers(client, "no-push")
        assert client.get("/rest/v1.0/me", headers=other).status_code == 200


def test_429_past_the_hourly_window(sbx_factory: ServerFactory) -> None:
    server: SandboxServer = sbx_factory(rate_limit_per_hour=2)
    with httpx.Client(base_url=server.base_url) as client:
        headers = auth_headers(client, "admin")
        assert client.get("/rest/v1.0/me", headers=headers).headers["X-Rate-Limit-Limit"] == "2"
        client.get("/rest/v1.0/me", headers=headers)
        limited = client.get("/rest/v1.0/me", headers=headers)
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 10


def test_simulated_overload_is_503_with_retry_after(
    sbx: SandboxServer, http: httpx.Client, admin: dict[str, str]
) -> None:
    sbx.faults.procore_unavailable = True
    response = http.get("/rest/v1.0/me", headers=admin)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    sbx.faults.procore_unavailable = False
    assert http.get("/rest/v1.0/me", headers=admin).status_code == 200
