"""A lost answer to an applied unlink is reported as unlinked; of two racing clients, one unlinks
and the other is told the CCO is already unlinked."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path

import httpx

from sandbox import SandboxServer, inspect
from services.backend import Target
from tests.helpers import demo_cco_id, is_linked
from tests.reliability.kit import headless_unlink


def _gone_from_quickbooks(data_file: Path) -> tuple[int, int]:
    cco_id = demo_cco_id(data_file, in_quickbooks=False)
    project = next(c.project_id for c in inspect.synced_ccos(data_file) if c.id == cco_id)
    return project, cco_id


async def test_every_answer_lost_after_the_change_is_settled_by_reading_back(
    sandbox: SandboxServer, make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    project, cco_id = _gone_from_quickbooks(sandbox_data)
    sandbox.faults.drop_after_change_percent = 100

    run = await headless_unlink(make_target(), project, [cco_id])

    assert run.status == 0, run
    assert [(o["outcome"], o["message"]) for o in run.objects()] == [
        ("unlinked", "Successfully Unlinked")
    ]
    assert not is_linked(sandbox_data, cco_id)


async def test_a_retry_after_a_lost_answer_is_told_its_first_try_did_it(
    sandbox: SandboxServer, make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    # A seed whose first draw drops the answer and whose second lets the retry through.
    seed = next(s for s in range(1000) if (r := random.Random(s)).random() < 0.5 <= r.random())
    project, cco_id = _gone_from_quickbooks(sandbox_data)
    sandbox.faults.seed = seed
    sandbox.faults.drop_after_change_percent = 50

    run = await headless_unlink(make_target(), project, [cco_id])

    assert [o["outcome"] for o in run.objects()] == ["unlinked"], run
    assert not is_linked(sandbox_data, cco_id)


async def test_two_clients_at_once_one_unlinks_the_other_is_told_already_unlinked(
    make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    project, cco_id = _gone_from_quickbooks(sandbox_data)

    first, second = await asyncio.gather(
        headless_unlink(make_target(), project, [cco_id]),
        headless_unlink(make_target(), project, [cco_id]),
    )

    outcomes = sorted(run.objects()[0]["outcome"] for run in (first, second))
    assert outcomes == ["already_unlinked", "unlinked"]
    assert {first.status, second.status} == {0}
    assert not is_linked(sandbox_data, cco_id)


def test_the_same_idempotency_key_gets_the_first_answer_again(
    sandbox: SandboxServer, sandbox_data: Path
) -> None:
    _, cco_id = _gone_from_quickbooks(sandbox_data)
    company = 5_200_001
    with httpx.Client(base_url=sandbox.base_url) as http:
        token = http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "admin",
                "client_secret": "sandbox",
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Procore-Company-Id": str(company)}
        body = [{"item_type": "change_order", "item_id": cco_id, "origin_id": None}]
        path = f"/rest/v1.0/companies/{company}/external_data"
        keyed = {**headers, "Idempotency-Key": "k-1"}

        first = http.patch(path, json=body, headers=keyed).json()
        replayed = http.patch(path, json=body, headers=keyed).json()
        fresh = http.patch(path, json=body, headers={**headers, "Idempotency-Key": "k-2"}).json()
        reused = http.patch(path, json=[], headers=keyed)

    assert first["entities"][0]["changed"] is True
    assert replayed == first
    assert fresh["entities"][0]["changed"] is False
    assert reused.status_code == 422
