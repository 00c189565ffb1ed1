"""filters[updated_at] on the CCO list: a time range, so a client can fetch only what changed."""

from __future__ import annotations

import httpx
import pytest

from sandbox.demo import SUMMIT_COMPANY_ID
from sandbox.server import SandboxServer

pytestmark = pytest.mark.reads_only  # every test here only reads the sandbox

CCOS = "/rest/v1.0/projects/{}/commitment_change_orders"


def _first_project(http: httpx.Client, admin: dict[str, str]) -> int:
    projects = http.get(
        "/rest/v1.0/projects", params={"company_id": SUMMIT_COMPANY_ID}, headers=admin
    )
    return int(projects.json()[0]["id"])


def test_the_range_keeps_ccos_updated_within_it(
    sbx: SandboxServer, http: httpx.Client, admin: dict[str, str]
) -> None:
    path = CCOS.format(_first_project(http, admin))
    everything = http.get(path, params={"per_page": 1000}, headers=admin).json()
    stamps = sorted(cco["updated_at"] for cco in everything)
    middle = stamps[len(stamps) // 2]

    since = http.get(
        path, params={"filters[updated_at]": f"{middle}...", "per_page": 1000}, headers=admin
    )
    assert since.status_code == 200
    assert {c["id"] for c in since.json()} == {
        c["id"] for c in everything if c["updated_at"] >= middle
    }

    until = http.get(
        path, params={"filters[updated_at]": f"...{middle}", "per_page": 1000}, headers=admin
    )
    assert {c["id"] for c in until.json()} == {
        c["id"] for c in everything if c["updated_at"] <= middle
    }

    later = http.get(path, params={"filters[updated_at]": "2099-01-01T00:00:00Z..."}, headers=admin)
    assert later.status_code == 200 and later.json() == []


def test_a_range_that_is_not_a_time_is_refused(
    sbx: SandboxServer, http: httpx.Client, admin: dict[str, str]
) -> None:
    path = CCOS.format(_first_project(http, admin))
    answer = http.get(path, params={"filters[updated_at]": "yesterday..."}, headers=admin)
    assert answer.status_code == 400
    assert "filters[updated_at]" in answer.json()["errors"]
