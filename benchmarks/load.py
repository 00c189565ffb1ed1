"""Full load of a big company through the real client, against the floor set by latency and the
rate limit. `uv run python benchmarks/load.py DATA LATENCY_MS PER_10S` prints one JSON line.

The sandbox runs in its own process with the given latency (added to every request) and spike
limit (requests per sliding 10-second window, per token). The client signs in first (not timed),
then loads every synced CCO as the screen does.

The floor: with N requests and R allowed per 10 s window, request number k*R+1 cannot be sent
before k windows have passed since the first, and the last one still takes the latency to answer:
floor = floor((N-1)/R) * 10 s + latency. Without a binding rate limit the floor is the longest chain
of requests that must follow one another (projects, then a project's CCOs, then its commitments),
3 * latency.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from cco_unlink.sandbox_child import sandbox_child
from cco_unlink.sandbox_target import sandbox_target
from services.backend import Backend

SPIKE_WINDOW_S = 10.0
PER_PAGE = 1000
CHAIN = 3


async def load(url: str, scratch: Path) -> dict[str, float]:
    target = sandbox_target(url, scratch / "audit.jsonl", per_page=PER_PAGE)
    backend = Backend(target)
    try:
        await backend.connect()
        before = backend.wire.requests
        started = time.perf_counter()
        first_rows: float | None = None
        rows = 0
        async for batch, _ in backend.synced_ccos():
            rows += len(batch)
            if first_rows is None and batch:
                first_rows = time.perf_counter() - started
        elapsed = time.perf_counter() - started
        return {
            "rows": rows,
            "seconds": elapsed,
            "first_rows": first_rows or 0.0,
            "requests": backend.wire.requests - before,
            "requests_in_window": backend.wire.requests,
            "rate_limited": backend.wire.rate_limited,
        }
    finally:
        await backend.aclose()


def floor_seconds(requests_in_window: int, latency_s: float, per_10s: int) -> float:
    rate_floor = ((requests_in_window - 1) // per_10s) * SPIKE_WINDOW_S + latency_s
    return max(rate_floor, CHAIN * latency_s)


def main() -> None:
    data, latency_ms, per_10s = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    scratch = Path(sys.argv[4]) if len(sys.argv) > 4 else data.parent
    # The sandbox in its own process, as the app runs it: Procore is another machine.
    config = {
        "data_file": str(data),
        "latency_ms": latency_ms,
        "rate_limit_per_10s": per_10s,
        "rate_limit_per_hour": 1_000_000,
    }
    log_path = scratch / "sandbox.log"
    with sandbox_child("127.0.0.1", 0, config, reset=False, log_path=log_path) as sandbox:
        figures = asyncio.run(load(sandbox.base_url, scratch))
    # The sign-in's requests share the window with the load's, so they count towards the floor.
    figures["floor"] = floor_seconds(int(figures["requests_in_window"]), latency_ms / 1000, per_10s)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
