"""The headless command as a script sees it (exit status, --json), and the API refusing each demo
user what their permissions forbid, with no client in between."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cco_unlink import exit_codes
from sandbox import SandboxServer, inspect
from services.backend import Target
from tests.helpers import demo_cco_id, is_linked
from tests.reliability.kit import headless_unlink
from tests.reliability.test_bad_input import SECRETS, _remote, cco_unlink

SUMMIT, HARBOR = 5_200_001, 5_200_002


def test_exit_status_and_json_per_outcome(sandbox: SandboxServer, sandbox_data: Path) -> None:
    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    there = demo_cco_id(sandbox_data, in_quickbooks=True)
    project = {c.id: c.project_id for c in inspect.synced_ccos(sandbox_data)}

    def unlink(cco_id: int, *extra: str) -> tuple[int, list[dict[str, object]]]:
        ran = cco_unlink(
            *_remote(sandbox), *extra, "unlink", "--project", str(project[cco_id]),
            "--cco", str(cco_id), "--json", env=SECRETS,
        )  # fmt: skip
        return ran.returncode, [json.loads(line) for line in ran.stdout.splitlines()]

    status, objects = unlink(gone, "--client-id", "no-push")
    assert status == exit_codes.PERMISSION_MISSING
    assert objects[0]["missing"] == ["can_push_to_accounting_required"]
    status, objects = unlink(there)
    assert (status, objects[0]["outcome"]) == (
        exit_codes.STILL_IN_QUICKBOOKS,
        "still_in_quickbooks",
    )
    assert objects[0]["message"] == (
        "The CCO is still in QuickBooks® Desktop. Please delete it before retrying"
    )
    status, objects = unlink(gone)
    assert (status, objects[0]["message"]) == (exit_codes.OK, "Successfully Unlinked")
    assert not is_linked(sandbox_data, gone)

    sandbox.faults.quickbooks_closed_percent = 100
    status, objects = unlink(there)
    assert (status, objects[0]["outcome"]) == (
        exit_codes.QUICKBOOKS_UNREACHABLE,
        "quickbooks_unreachable",
    )
    assert "Could not start QuickBooks" in str(objects[0]["message"])

    listed = cco_unlink(*_remote(sandbox), "list", "--json", env=SECRETS)
    assert listed.returncode == 0
    ids = {json.loads(line)["cco_id"] for line in listed.stdout.splitlines()}
    assert there in ids and gone not in ids


def _token(http: httpx.Client, login: str) -> str:
    form = {"grant_type": "client_credentials", "client_id": login, "client_secret": "sandbox"}
    return str(http.post("/oauth/token", data=form).json()["access_token"])


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        ("no-push", "can_push_to_accounting_required"),
        ("not-commitments-admin", "commitments_admin_required"),
        ("erp-read-only", "erp_integrations_access_required"),
        ("harbor-admin", None),
    ],
)
def test_each_user_is_refused_what_their_permissions_forbid(
    sandbox: SandboxServer, sandbox_data: Path, login: str, reason: str | None
) -> None:
    summit_cco = inspect.synced_ccos(sandbox_data, SUMMIT)[0]
    harbor_cco = inspect.synced_ccos(sandbox_data, HARBOR)
    body = [
        {"item_type": "change_order", "item_id": summit_cco.id, "origin_id": None},
        *(
            {"item_type": "line_item", "item_id": i, "origin_id": None}
            for i in summit_cco.line_item_ids
        ),
    ]
    with httpx.Client(base_url=sandbox.base_url) as http:
        auth = {"Authorization": f"Bearer {_token(http, login)}"}
        own = HARBOR if login == "harbor-admin" else SUMMIT
        other = SUMMIT if own == HARBOR else HARBOR
        # The user's own company: the unlink is refused for the missing permission; for the
        # Harbor admin the Summit CCO is another company's record and does not exist.
        refused = http.patch(
            f"/rest/v1.0/companies/{own}/external_data",
            json=body,
            headers={**auth, "Procore-Company-Id": str(own)},
        )
        if reason is None:
            assert refused.status_code == 404
        else:
            assert (refused.status_code, refused.json()["reason"]) == (403, reason)
        # Another company: neither readable nor writable, whatever the header says.
        for headers in ({**auth, "Procore-Company-Id": str(other)}, auth):
            other_project = inspect.project_ids(sandbox_data, other)[0]
            read = http.get(
                f"/rest/v1.0/projects/{other_project}/commitment_change_orders", headers=headers
            )
            assert read.status_code in (400, 403, 404), read.text
            assert "origin_id" not in read.text
            wrote = http.patch(
                f"/rest/v1.0/companies/{other}/external_data", json=body, headers=headers
            )
            assert wrote.status_code in (400, 403, 404)
        if harbor_cco and own == SUMMIT:
            foreign = http.get(
                f"/rest/v1.0/projects/{harbor_cco[0].project_id}/commitment_change_orders/"
                f"{harbor_cco[0].id}",
                headers={**auth, "Procore-Company-Id": str(SUMMIT)},
            )
            assert foreign.status_code in (403, 404)
    assert is_linked(sandbox_data, summit_cco.id)


async def test_a_cco_named_twice_is_tried_once_in_the_order_named(
    make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    gone = demo_cco_id(sandbox_data, in_quickbooks=False)
    project = next(c.project_id for c in inspect.synced_ccos(sandbox_data) if c.id == gone)
    there = next(
        c.id
        for c in inspect.synced_ccos(sandbox_data)
        if c.project_id == project and c.in_quickbooks
    )
    target = make_target()
    ran = await headless_unlink(target, project, [there, gone, there, gone])
    assert [o["cco_id"] for o in ran.objects()] == [there, gone], ran.out
    assert not is_linked(sandbox_data, gone)
    audit = [json.loads(line) for line in target.audit_path.read_text().splitlines()]
    assert [(r["cco_id"], r["phase"]) for r in audit if r["cco_id"] == gone] == [
        (gone, "started"),
        (gone, "ended"),
    ]
