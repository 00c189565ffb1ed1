"""The test suite's own cost: `uv run python benchmarks/suite.py [pytest arguments]`.

Runs `pytest -q` once and prints its wall time, the CPU time it used (pytest's process, with the
sandbox threads in it, and the processes the tests start), the load average it ran under, and the
test files that cost the most CPU. The target is a whole run within 90 s on two cores; on a busy
machine the wall time says little, and the CPU time is the figure to compare (shared by the test
workers over the cores, it bounds the wall time of a run on an idle machine from below).

The last line is the figures as JSON.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_S = 90.0
SHOWN_FILES = 12

_costs: list[tuple[str, float, float, float]] = []
"""(test id, CPU of pytest's process, CPU of the processes it started, wall) per test."""


def _cpu() -> tuple[float, float]:
    own, started = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime, started.ru_utime + started.ru_stime


# ------------------------------------------------------------------ as a pytest plugin (-p suite)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Generator[None, None, None]:
    own, started = _cpu()
    began = time.monotonic()
    yield
    own_after, started_after = _cpu()
    _costs.append((item.nodeid, own_after - own, started_after - started, time.monotonic() - began))


def pytest_sessionfinish(session: pytest.Session) -> None:
    # One file a process: the suite runs its tests in several worker processes (pytest-xdist).
    out = Path(f"{os.environ['CCO_UNLINK_SUITE_COSTS']}.{os.getpid()}")
    out.write_text(json.dumps(_costs))


# ------------------------------------------------------------------------------- as a script


def main(arguments: list[str]) -> int:
    costs_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"cco-unlink-suite-{os.getpid()}.json"
    env = {
        **os.environ,
        "CCO_UNLINK_SUITE_COSTS": str(costs_file),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
    }
    load_before = os.getloadavg()[0]
    began = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "suite", *arguments], cwd=ROOT, env=env
    )
    wall = time.monotonic() - began
    load = (load_before + os.getloadavg()[0]) / 2
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = children.ru_utime + children.ru_stime
    costs: list[list[Any]] = []
    for part in costs_file.parent.glob(f"{costs_file.name}.*"):
        costs += json.loads(part.read_text())
        part.unlink()

    by_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for test, own, started, _ in costs:
        entry = by_file[test.split("::")[0]]
        entry[0] += own
        entry[1] += started
        entry[2] += 1
    print(f"\n{len(costs)} tests; wall {wall:.1f} s; CPU {cpu:.1f} s (target {TARGET_S:.0f} s)")
    print(f"load average while running: about {load:.1f} on {os.cpu_count()} cores")
    print(
        f"{'CPU s':>7} {'started':>8} {'tests':>6}  file (pytest's own process; started processes)"
    )
    for name, (own, started, count) in sorted(by_file.items(), key=lambda kv: -sum(kv[1][:2]))[
        :SHOWN_FILES
    ]:
        print(f"{own:7.1f} {started:8.1f} {int(count):6d}  {name}")
    figures = {
        "tests": len(costs),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "load_average": round(load, 1),
        "exit_status": run.returncode,
    }
    print(json.dumps(figures))
    return run.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
