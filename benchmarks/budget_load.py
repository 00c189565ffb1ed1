"""A big company loaded within Procore's documented request budget, then stopped half-way and
resumed. `uv run python benchmarks/budget_load.py [--time-scale 10]` prints one JSON line.

The company: 500 projects, 150 of them synced with QuickBooks, 200 CCOs each (30,000 synced CCOs).
The sandbox runs in its own process with Procore's example limits (`cco-unlink sandbox --limits
procore`: 600 requests an hour and 25 per 10 s, per token) on a clock `--time-scale` times faster,
so the windows the load waits for pass in a fraction of the time.

1. A full load through the real client (`Backend.synced_ccos`, as the screen and `list` run it):
   requests on the wire against the least Procore allows, `1 + synced projects x 2 + CCO pages`
   (the projects' list; per synced project its two commitment lists and its CCO pages), the 429
   answers, and the time against the floor the limits set.
2. The same load from nothing, stopped at a random moment once half the projects are in (its task
   cancelled: answers in flight are lost and nothing more is saved), then a new client that
   resumes from the list cache. Repeated requests: those of both runs less those of the full
   load, sign-ins included.
3. The same as a person does it: `cco-unlink list` in a process of its own, killed (SIGKILL) at a
   random moment once half the projects are saved, then run again to the end; against one
   uninterrupted `cco-unlink list`. A killed process cannot count, so here the sandbox (in this
   process) counts the requests that reached it.

The floor: with N requests in the windows (the sign-in's included) and R allowed per window of W
seconds, request k·R+1 cannot leave before k windows have passed: floor((N-1)/R) * W, for the
10-second window and the hour alike (each divided by the time scale); the larger one counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cco_unlink.sandbox_child import sandbox_child
from cco_unlink.sandbox_target import sandbox_target
from sandbox import SandboxConfig, SandboxServer, bulk_seed
from sandbox.config import RATE_LIMITS
from services.backend import Backend

ROOT = Path(__file__).resolve().parent.parent

PROJECTS = 500
SYNCED_PROJECTS = 150
CCOS_PER_PROJECT = 200
PER_PAGE = 2000
SPIKE_WINDOW_S = 10.0
HOUR_S = 3600.0


def _backend(url: str, scratch: Path) -> Backend:
    target = sandbox_target(
        url,
        scratch / "audit.jsonl",
        per_page=PER_PAGE,
        cache_path=scratch / "list-cache.sqlite3",
    )
    return Backend(target)


async def full_load(url: str, scratch: Path) -> dict[str, Any]:
    backend = _backend(url, scratch)
    try:
        await backend.connect()
        sign_in = backend.wire.requests
        started = time.perf_counter()
        rows = 0
        async for batch, _ in backend.synced_ccos():
            rows += len(batch)
        seconds = time.perf_counter() - started
        return {
            "rows": rows,
            "seconds": seconds,
            "load_requests": backend.wire.requests - sign_in,
            "requests": backend.wire.requests,
            "rate_limited": backend.wire.rate_limited,
        }
    finally:
        await backend.aclose()


async def stopped_half_way(url: str, scratch: Path, rng: random.Random) -> dict[str, Any]:
    first = _backend(url, scratch)
    half = asyncio.Event()
    done_at_stop = 0

    async def load() -> None:
        nonlocal done_at_stop
        async for _, progress in first.synced_ccos():
            done_at_stop = progress.projects_done
            if progress.projects_done * 2 >= progress.projects_total > 0:
                half.set()

    try:
        await first.connect()
        task = asyncio.ensure_future(load())
        await half.wait()
        await asyncio.sleep(rng.uniform(0.0, 0.3))  # wherever the load then is
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        before_stop = first.wire.requests
        rate_limited = first.wire.rate_limited
    finally:
        await first.aclose()

    again = _backend(url, scratch)
    try:
        await again.connect()
        cached = await again.cached_list()
        assert cached is not None and cached.loaded_projects is not None, "nothing was saved"
        saved = len(cached.loaded_projects)
        async for _ in again.synced_ccos(resume=cached):
            pass
        after = again.wire.requests
        rate_limited += again.wire.rate_limited
        finished = await again.cached_list()
        assert finished is not None and finished.load_finished
        rows = len(finished.rows)
        async for chunk in again.cached_rest(finished):
            rows += len(chunk)
    finally:
        await again.aclose()
    return {
        "projects_done_at_stop": done_at_stop,
        "projects_saved_at_stop": saved,
        "requests_before_stop": before_stop,
        "requests_after_restart": after,
        "rows": rows,
        "rate_limited": rate_limited,
    }


def _list_process(server: SandboxServer, home: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **{f"XDG_{kind}_HOME": str(home / kind.lower()) for kind in ("CONFIG", "DATA", "STATE")},
        "PROCORE_CLIENT_SECRET": "sandbox",
        "QUICKBOOKS_CONNECTOR_TOKEN": "sandbox",
    }
    env.pop("CCO_UNLINK_SETTINGS", None)
    remote = ["--procore-url", server.base_url, "--connector-url", server.connector_url]
    return subprocess.Popen(
        [sys.executable, "-m", "cco_unlink", *remote, "list", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env=env,
    )


def _projects_saved(home: Path) -> int:
    caches = list((home / "data").rglob("list-cache*.sqlite3"))
    if not caches:
        return 0
    try:
        with sqlite3.connect(f"file:{caches[0]}?mode=ro", uri=True, timeout=1.0) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM loaded_projects").fetchone()[0])
    except sqlite3.Error:
        return 0


def killed_and_run_again(
    data: Path, time_scale: float, scratch: Path, rng: random.Random
) -> dict[str, Any]:
    limits = RATE_LIMITS["procore"]
    figures: dict[str, Any] = {}
    for case in ("whole", "killed"):
        config = SandboxConfig(
            data_file=data,
            rate_limit_per_hour=limits.per_hour,
            rate_limit_per_10s=limits.per_10s,
            time_scale=time_scale,
        )
        home = scratch / case
        with SandboxServer(config, port=0) as server:
            if case == "killed":
                process = _list_process(server, home)
                while _projects_saved(home) * 2 < SYNCED_PROJECTS:
                    if process.poll() is not None:
                        raise RuntimeError("the list ended before it could be killed")
                    time.sleep(0.05)
                time.sleep(rng.uniform(0.0, 0.3))  # wherever the load then is
                process.send_signal(signal.SIGKILL)
                process.wait()
                figures["projects_saved_at_kill"] = _projects_saved(home)
                figures["requests_before_kill"] = server.requests_counted()
            process = _list_process(server, home)
            out, _ = process.communicate(timeout=600)
            if process.returncode != 0:
                raise RuntimeError(f"cco-unlink list failed with status {process.returncode}")
            figures[f"{case}_requests"] = server.requests_counted()
            figures[f"{case}_rows"] = len(out.splitlines())
    return figures


def floor_seconds(requests: int, time_scale: float) -> float:
    limits = RATE_LIMITS["procore"]
    spike = ((requests - 1) // limits.per_10s) * SPIKE_WINDOW_S
    hour = ((requests - 1) // limits.per_hour) * HOUR_S
    return max(spike, hour) / time_scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-scale", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scratch", type=Path)
    arguments = parser.parse_args()
    scratch = arguments.scratch or Path(tempfile.mkdtemp(prefix="cco-budget-"))
    data = scratch / "company.sqlite3"
    seeded = time.perf_counter()
    bulk_seed.reset_bulk(
        data,
        projects=PROJECTS,
        ccos_per_project=CCOS_PER_PROJECT,
        synced_share=SYNCED_PROJECTS / PROJECTS,
    )
    seed_seconds = time.perf_counter() - seeded
    limits = RATE_LIMITS["procore"]
    config = {
        "data_file": str(data),
        "rate_limit_per_hour": limits.per_hour,
        "rate_limit_per_10s": limits.per_10s,
        "time_scale": arguments.time_scale,
    }
    with sandbox_child("127.0.0.1", 0, config, reset=False, log_path=scratch / "sandbox.log") as sb:
        full = asyncio.run(full_load(sb.base_url, scratch / "full"))
        stopped = asyncio.run(
            stopped_half_way(sb.base_url, scratch / "stopped", random.Random(arguments.seed))
        )
    killed = killed_and_run_again(
        data, arguments.time_scale, scratch / "processes", random.Random(arguments.seed)
    )
    pages = SYNCED_PROJECTS * -(-CCOS_PER_PROJECT // PER_PAGE)
    minimum = 1 + SYNCED_PROJECTS * 2 + pages
    floor = floor_seconds(full["requests"], arguments.time_scale)
    repeated = stopped["requests_before_stop"] + stopped["requests_after_restart"]
    repeated -= full["requests"]
    killed_repeats = killed["killed_requests"] - killed["whole_requests"]
    print(
        json.dumps(
            {
                "time_scale": arguments.time_scale,
                "seed_seconds": round(seed_seconds, 2),
                "rows": full["rows"],
                "load_requests": full["load_requests"],
                "minimum_requests": minimum,
                "requests_vs_minimum": round(full["load_requests"] / minimum, 3),
                "rate_limited": full["rate_limited"],
                "seconds": round(full["seconds"], 2),
                "floor_seconds": round(floor, 2),
                "seconds_vs_floor": round(full["seconds"] / floor, 3) if floor else None,
                **{f"stop_{key}": value for key, value in stopped.items()},
                "repeated_requests": repeated,
                "repeated_share": round(repeated / full["requests"], 4),
                **{f"kill_{key}": value for key, value in killed.items()},
                "kill_repeated_requests": killed_repeats,
                "kill_repeated_share": round(killed_repeats / killed["whole_requests"], 4),
            }
        )
    )


if __name__ == "__main__":
    main()
