"""Start-up to first painted row, against the start-up of an empty Textual app.

`uv run python benchmarks/startup.py empty T` or `... startup.py app URL CACHE T` is one measured
start: it prints the seconds from T, the wall-clock time its parent launched it, to the first paint:
of the empty app's screen, or of cco-unlink's first row of CCOs from the sandbox at URL (demo data).
CACHE is the list cache file, or "-" for none: without one the rows come from the network; with a
filled one they come from the cache, as on every start after the first. Interpreter start-up and
imports are included in both, as a person waiting for the app sees them. run_all.py takes the
median of several fresh processes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from textual.app import App

LAUNCHED = float(sys.argv[-1])


class EmptyApp(App[None]):
    def on_mount(self) -> None:
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        print(f"{time.time() - LAUNCHED:.4f}", flush=True)
        self.exit()


def run_app(url: str, cache: str) -> None:
    import tempfile

    from cco_unlink.sandbox_target import sandbox_target
    from services.backend import Backend
    from tui.app import CcoUnlinkApp
    from tui.widgets.cco_table import CcoTable

    scratch = Path(tempfile.mkdtemp())
    target = sandbox_target(
        url, scratch / "audit.jsonl", cache_path=None if cache == "-" else Path(cache)
    )

    class TimedApp(CcoUnlinkApp):
        def on_mount(self) -> None:
            # Textual runs every class's on_mount along the MRO: the app's own runs too.
            self.set_interval(0.002, self.check)

        def check(self) -> None:
            tables = self.screen.query(CcoTable)
            if tables and tables.first().first_rows_painted_at is not None:
                # perf_counter and time.time tick together; convert the paint's moment.
                ago = time.perf_counter() - (tables.first().first_rows_painted_at or 0.0)
                print(f"{time.time() - ago - LAUNCHED:.4f}", flush=True)
                self.exit()

    TimedApp(Backend(target)).run(headless=True)


if __name__ == "__main__":
    if sys.argv[1] == "empty":
        EmptyApp().run(headless=True)
    else:
        run_app(sys.argv[2], sys.argv[3])
