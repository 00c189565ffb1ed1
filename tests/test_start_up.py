"""How `cco-unlink` starts: the cycle collector, off while the modules load, is on again before
any work is done, for the app as for a command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

# Runs the program's own entry point with the app's run replaced by a note of the collector's
# state: the app's screen is not the point here, the start-up around it is.
PROBE = """
import gc, sys
import tui.app
from cco_unlink.__main__ import main
sys.argv = ["cco-unlink", *sys.argv[1:]]
tui.app.CcoUnlinkApp.run = lambda self: print("app runs, collector on:", gc.isenabled())
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


def test_the_app_runs_with_the_collector_on_and_start_up_frozen(isolated_home: Path) -> None:
    assert _start() == (
        ["app runs, collector on: True", "ended, collector on: True frozen objects: True"],
        "",
    )


def test_a_command_runs_with_the_collector_on(isolated_home: Path) -> None:
    # `list` on a settings file that does not exist: refused with one line, after the switch.
    missing = isolated_home / "nowhere.toml"
    lines, said = _start("--settings", str(missing), "list")
    assert lines == ["ended, collector on: True frozen objects: False"]
    assert said == f"cco-unlink: {missing}: settings file not found\n"
