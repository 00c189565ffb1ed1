"""Added latency of one QuickBooks check through the Web Connector path, against the direct
path, in one run. `uv run python benchmarks/web_connector.py [--checks N] [--poll S]` prints one
JSON line.

Both paths end at the same simulated QuickBooks (the sandbox, in this process): direct, the client
posts qbXML to it; via the Web Connector, the client posts to the connector, which holds the request
until the simulated Web Connector (polling every --poll seconds, as the embedded demo does) takes
it, hands it to QuickBooks and posts the answer back. A check is the client's whole question,
`QuickBooksConnector.evidence` (a PurchaseOrderQueryRq), timed from call to answer. The via checks
start at random moments of the poll cycle, as a person's do: the wait for the next poll is then
half an interval on average and up to one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from cco_unlink.sandbox_target import sandbox_target
from cco_unlink.web_connector_chain import web_connector_chain
from sandbox import SandboxConfig, SandboxServer, demo, inspect
from services.backend import Backend
from services.models import QuickBooksLink


async def timed_checks(
    backend: Backend, links: list[QuickBooksLink], spread_s: float
) -> list[float]:
    quickbooks = (await backend.open()).quickbooks
    await quickbooks.evidence(links[0])  # the connection made, not timed
    times = []
    for link in links:
        if spread_s:
            await asyncio.sleep(random.uniform(0, spread_s))
        started = time.perf_counter()
        await quickbooks.evidence(link)
        times.append(time.perf_counter() - started)
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "mean": statistics.fmean(ordered),
        "median": statistics.median(ordered),
        "p90": ordered[int(0.9 * (len(ordered) - 1))],
        "max": ordered[-1],
    }


async def measure(checks: int, poll_s: float, scratch: Path) -> dict[str, float]:
    data = scratch / "sandbox.sqlite3"
    demo.reset(data, SandboxConfig(data_file=data).seed)
    links = [QuickBooksLink(cco.po_txn_id, cco.txn_line_ids) for cco in inspect.synced_ccos(data)][
        :checks
    ]
    with SandboxServer(SandboxConfig(data_file=data), port=0) as sandbox:
        direct = Backend(sandbox_target(sandbox.base_url, scratch / "audit.jsonl"))
        try:
            direct_times = await timed_checks(direct, links, 0.0)
        finally:
            await direct.aclose()
        journal = scratch / "journal.jsonl"
        with web_connector_chain(sandbox.base_url, journal, every_seconds=poll_s) as url:
            via = Backend(
                sandbox_target(sandbox.base_url, scratch / "audit.jsonl", connector_url=url)
            )
            try:
                via_times = await timed_checks(via, links, poll_s)
            finally:
                await via.aclose()
    direct_figures, via_figures = summary(direct_times), summary(via_times)
    return {
        "checks": len(links),
        "poll_seconds": poll_s,
        **{f"direct_{name}": value for name, value in direct_figures.items()},
        **{f"via_{name}": value for name, value in via_figures.items()},
        "added_mean": via_figures["mean"] - direct_figures["mean"],
        "added_median": via_figures["median"] - direct_figures["median"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=20)
    parser.add_argument("--poll", type=float, default=1.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        result = asyncio.run(measure(options.checks, options.poll, Path(scratch)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
