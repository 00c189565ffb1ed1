"""How `cco-unlink` starts: the cycle collector, off while the modules load, is on again before
any work is done, for the app as for a command; the app starts the embedded sandbox's child only
for its first request, after its first frame, on a first start as on a restart (its list cached);
and the network side, loaded in a thread, leaves nothing for its first requests to import on the
event loop."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from services import backend as backend_module
from services import locations
from services.backend import Backend
from services.target import Target
from tests.conftest import REPO_ROOT

# Runs the program's own entry point with the app's run replaced by a note of the collector's
# state and of the processes started: the app's screen is not the point here, its start-up is.
PROBE = """
import gc, os, sys
import tui.app
from cco_unlink.__main__ import main
sys.argv = ["cco-unlink", *sys.argv[1:]]
def run(app):
    children = open(f"/proc/self/task/{os.getpid()}/children").read().split()
    print("app runs, collector on:", gc.isenabled(), "sandbox child:", len(children))
tui.app.CcoUnlinkApp.run = run
status = main()
print("ended, collector on:", gc.isenabled(), "frozen objects:", gc.get_freeze_count() > 0)
sys.exit(status)
"""


def _start(*arguments: str) -> tuple[list[str], str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
    )
    return result.stdout.splitlines(), result.stderr


needs_proc = pytest.mark.skipif(
    not Path(f"/proc/self/task/{os.getpid()}/children").exists(), reason="Linux's /proc only"
)


@needs_proc
def test_the_app_runs_with_the_collector_on_and_start_up_frozen(isolated_home: Path) -> None:
    # A first start (nothing cached): the sandbox's child waits for the app's first request too.
    assert _start() == (
        [
            "app runs, collector on: True sandbox child: 0",
            "ended, collector on: True frozen objects: True",
        ],
        "",
    )


@needs_proc
def test_a_restart_starts_the_sandbox_only_when_the_app_first_connects(
    isolated_home: Path,
) -> None:
    cache = locations.list_cache_file()
    cache.parent.mkdir(parents=True)
    cache.touch()
    lines, said = _start()
    assert lines[0] == "app runs, collector on: True sandbox child: 0"
    assert said == ""


def test_a_command_runs_with_the_collector_on(isolated_home: Path) -> None:
    # `list` on a settings file that does not exist: refused with one line, after the switch.
    missing = isolated_home / "nowhere.toml"
    lines, said = _start("--settings", str(missing), "list")
    assert lines == ["ended, collector on: True frozen objects: False"]
    assert said == f"cco-unlink: {missing}: settings file not found\n"


# A fresh interpreter (in the tests' own, another test may have loaded it all already): the
# backend opened, signed in and the first project's rows loaded, noting each module imported on
# the event loop's thread meanwhile.
FIRST_REQUESTS = """
import asyncio, sys, threading
from pathlib import Path
from cco_unlink.sandbox_child import sandbox_child
from cco_unlink.sandbox_target import sandbox_target
from services.backend import Backend

on_the_loop = []

class Noted:
    def find_spec(self, name, path=None, target=None):
        if threading.current_thread() is threading.main_thread():
            on_the_loop.append(name)
        return None

async def main(base_url, scratch):
    backend = Backend(sandbox_target(base_url, scratch / "audit.jsonl"))
    sys.meta_path.insert(0, Noted())
    await backend.open()
    await backend.connect()
    async for rows, _ in backend.synced_ccos():
        if rows:
            break
    print(len(rows), sorted(on_the_loop))
    await backend.aclose()

scratch = Path(sys.argv[1])
with sandbox_child("127.0.0.1", 0, {"data_file": str(scratch / "sandbox.sqlite3")}, reset=False,
                   log_path=scratch / "log") as sandbox:
    asyncio.run(main(sandbox.base_url, scratch))
"""


def test_the_first_requests_import_nothing_on_the_event_loop(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", FIRST_REQUESTS, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
    )
    rows, imported = result.stdout.split(" ", 1)
    assert int(rows) > 0  # the first project's rows came
    assert imported.strip() == "[]", result.stderr


async def test_a_network_side_that_failed_to_load_is_tried_again(
    make_target: Callable[..., Target], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first open() fails (a broken install, a file not readable that moment); a refresh
    # asks again and gets it, rather than the first failure forever.
    loads: list[str] = []
    load_the_wire = backend_module._load_the_wire

    def failing_once(settling: bool) -> None:
        loads.append("load")
        if len(loads) == 1:
            raise ImportError("httpx could not be loaded")
        load_the_wire(settling)

    monkeypatch.setattr(backend_module, "_load_the_wire", failing_once)
    backend = Backend(make_target())
    with pytest.raises(ImportError):
        await backend.open()
    connections = await backend.open()
    assert connections is backend.connections and len(loads) == 2
    await backend.aclose()
