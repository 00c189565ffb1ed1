"""What a person at a terminal sees with a big list: cco-unlink as a process on a pseudo-terminal
(120 x 40), timed to the screen, against an empty Textual app launched the same way.

`uv run python benchmarks/terminal.py` runs 10,000 and 100,000 synced CCOs; `--sizes 10000
100000 1000000` adds a million (about ten minutes more on two cores). For each size, in a scratch
home whose embedded sandbox is seeded with `cco-unlink sandbox seed` (N/200 projects of 200 CCOs,
all synced):

- first start: no list cache, every row from the embedded sandbox (its default, generous limits):
  time until the status line counts the whole list, the app's CPU time by then (its own process,
  not the sandbox's), and its peak RSS;
- restart first row: time from launch until a row (an amount) is on the screen, the list read
  from the cache; each restart follows a start of the empty app to its first whole frame, and the
  medians of both are compared (a busy moment of a shared machine weighs on both alike);
- then, in one restarted session once the whole cached list is read and the changes since asked
  for (the status line counting every row): PgDn, a filter typed a key
  at a time (each key timed until the status line gives that filter's count), and `s` pressed
  until the sort is by Amount (each press timed until the status line says it is sorted);
  the app's peak RSS after all of it;
- `cco-unlink list --json`: wall time and the peak RSS of its process.

Every key is timed from the moment it is written to the terminal until the screen shows its
result; the longest of them is "the longest wait for a key".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from run_all import ROOT, at_home, machine, print_table, verdict
from startup import on_pty

HERE = Path(__file__).resolve().parent
COLUMNS, LINES = 120, 40
PER_PROJECT = 200
EMPTY_APP = HERE / "startup.py"
# A row on screen: an amount with a thousands separator (the seeded amounts are 250.00 to
# 48,000.00, and a screen shows dozens of rows), which nothing but a row shows.
ROW = re.compile(rb"\d,\d{3}\.\d\d")
WHOLE_FRAME = f"\x1b[{LINES};1H".encode()
PAGE_DOWN = b"\x1b[6~"
# Bytes of the output searched again with each new read: longer than any text waited for.
OVERLAP = 400
FILTER_KEYS = "blue"
# `s` walks the columns in the table's order: these come first, Amount fourth.
SORT_STEPS = ("Status", "CCO #", "Title", "Amount")
LIST_JSON_CHILD = """
import json, os, resource, sys, time
from cco_unlink import cli
started = time.perf_counter()
status = cli.main(["list", "--json"])
usage = resource.getrusage(resource.RUSAGE_SELF)
figures = {"status": status, "seconds": time.perf_counter() - started,
           "rss_mb": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime}
open(sys.argv[1], "w").write(json.dumps(figures))
"""


class Terminal:
    """One program on a fresh pseudo-terminal, its output kept as it arrives."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.fd, self.process, self.launched = on_pty(command, env, (COLUMNS, LINES))
        self.out = bytearray()

    def wait_for(
        self, wanted: re.Pattern[bytes] | bytes, since: int = 0, timeout: float = 60
    ) -> float:
        """The moment `wanted` appeared in the output after offset `since`. Each read is
        searched once (with a little of the one before, where a text may have been split): the
        output of a long load runs to megabytes, and searching it all again on every read took
        this process more CPU than the app it measures."""
        pattern = wanted if isinstance(wanted, re.Pattern) else re.compile(re.escape(wanted))
        deadline = time.perf_counter() + timeout
        start = since
        while not pattern.search(self.out, max(since, start - OVERLAP)):
            start = len(self.out)
            if not self._read(deadline - time.perf_counter()):
                tail = bytes(self.out[-300:])
                raise TimeoutError(f"no {pattern.pattern!r} within {timeout} s; last: {tail!r}")
        return time.perf_counter()

    def press(self, keys: bytes, quiet_s: float = 0.15) -> tuple[int, float]:
        """Write `keys` once the screen is quiet; the output offset and the moment written."""
        if quiet_s:
            self.quiet(quiet_s)
        offset = len(self.out)
        written = time.perf_counter()
        os.write(self.fd, keys)
        return offset, written

    def quiet(self, seconds: float = 0.15) -> None:
        while self._read(seconds):
            pass

    def _read(self, timeout: float) -> bool:
        if timeout <= 0 or not select.select([self.fd], [], [], timeout)[0]:
            return False
        try:
            self.out += os.read(self.fd, 1 << 20)
        except OSError as error:
            raise RuntimeError(f"the program ended: {bytes(self.out[-500:])!r}") from error
        return True

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self, quit_keys: bytes) -> None:
        try:
            os.write(self.fd, quit_keys)
            deadline = time.perf_counter() + 20
            while self.process.poll() is None and time.perf_counter() < deadline:
                try:
                    self._read(0.05)
                except RuntimeError:
                    break
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            os.close(self.fd)


def app(env: dict[str, str]) -> Terminal:
    return Terminal([sys.executable, "-m", "cco_unlink"], env)


def empty_start(env: dict[str, str]) -> float:
    terminal = Terminal([sys.executable, str(EMPTY_APP)], env)
    try:
        return terminal.wait_for(WHOLE_FRAME) - terminal.launched
    finally:
        terminal.close(b"\x11")


def whole_list(rows: int) -> re.Pattern[bytes]:
    """The status line counting every row, the list settled (not "so far", not "reading")."""
    count = re.escape(f"{rows:,}".encode()) + rb"|%d" % rows  # with separators or without
    return re.compile(rb"(?<![\d,])(" + count + rb") synced CCOs(?! so far)")


def filtered(typed: str) -> re.Pattern[bytes]:
    """The status line giving the count of the filter `typed`."""
    quoted = f"“{typed}”: ".encode()
    return re.compile(re.escape(quoted) + rb"([\d,]+ shown|none matches)")


def filtering(typed: str) -> re.Pattern[bytes]:
    """The status line saying the filter `typed` is being worked out, or giving its count."""
    quoted = f"“{typed}”: ".encode()
    return re.compile(re.escape(quoted) + "(searching…|[\\d,]+ shown|none matches)".encode())


def sorting(name: str) -> re.Pattern[bytes]:
    """The status line saying the sort by `name` is being worked out, or done."""
    under_way = re.escape(f"sorting by {name}…".encode())
    return re.compile(under_way + b"|" + re.escape(f"sorted by {name} ▲".encode()))


def seed(env: dict[str, str], rows: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cco_unlink", "sandbox", "seed", "--projects",
         str(max(1, rows // PER_PROJECT)), "--ccos-per-project", str(PER_PROJECT)],
        env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def first_start(env: dict[str, str], rows: int) -> dict[str, float]:
    terminal = app(env)
    try:
        terminal.wait_for(ROW, timeout=600)
        first_row, cpu_first_row = time.perf_counter() - terminal.launched, terminal.cpu_s()
        seen = terminal.wait_for(whole_list(rows), timeout=1800)
        return {
            "first_row": first_row,
            "whole_list": seen - terminal.launched,
            "cpu_s": terminal.cpu_s(),
            "cpu_first_row_s": cpu_first_row,
            "rss_mb": terminal.peak_rss_mb(),
        }
    finally:
        terminal.close(b"q")


def restart_first_row(env: dict[str, str]) -> float:
    terminal = app(env)
    try:
        return terminal.wait_for(ROW, timeout=300) - terminal.launched
    finally:
        terminal.close(b"q")


def keys_session(env: dict[str, str], rows: int) -> dict[str, object]:
    """PgDn, a filter typed a key at a time, and the sort walked to Amount, each timed twice:
    until the screen answers the key (the filter or sort said to be under way, or done), and
    until it shows the result; then PgDn pressed while a sort by Amount (descending) is under
    way, until it moves the rows."""
    terminal = app(env)
    answered: dict[str, list[float]] = {"pgdn": [], "filter": [], "sort": [], "pgdn_sorting": []}
    shown: dict[str, list[float]] = {"filter": [], "sort": []}
    try:
        terminal.wait_for(ROW, timeout=300)
        # The whole cached list read and the changes since asked for: the screen settled.
        terminal.wait_for(whole_list(rows), timeout=900)
        for _ in range(5):
            offset, written = terminal.press(PAGE_DOWN)
            answered["pgdn"].append(terminal.wait_for(ROW, offset) - written)
        terminal.press(b"/")
        for at in range(1, len(FILTER_KEYS) + 1):
            typed = FILTER_KEYS[:at]
            offset, written = terminal.press(typed[-1].encode())
            answered["filter"].append(terminal.wait_for(filtering(typed), offset) - written)
            shown["filter"].append(terminal.wait_for(filtered(typed), offset, 120) - written)
        terminal.press(b"\r")  # back to the list, the filter kept
        terminal.press(b"\x1b")  # and cleared
        for name in SORT_STEPS:
            offset, written = terminal.press(b"s")
            answered["sort"].append(terminal.wait_for(sorting(name), offset) - written)
            done = f"sorted by {name} ▲".encode()
            shown["sort"].append(terminal.wait_for(done, offset, timeout=120) - written)
        terminal.press(b"S")  # Amount, descending: and a page down while it is worked out
        offset, written = terminal.press(PAGE_DOWN, quiet_s=0)
        answered["pgdn_sorting"].append(terminal.wait_for(ROW, offset) - written)
        terminal.wait_for("sorted by Amount ▼".encode(), offset, timeout=120)
        terminal.quiet(0.5)
        return {"answered": answered, "shown": shown, "rss_mb": terminal.peak_rss_mb()}
    finally:
        terminal.close(b"q")


def list_json(env: dict[str, str], scratch: Path) -> dict[str, float]:
    figures = scratch / "list-json.json"
    subprocess.run(
        [sys.executable, "-c", LIST_JSON_CHILD, str(figures)],
        env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    found: dict[str, float] = json.loads(figures.read_text())
    return found


def measure(rows: int, starts: int, scratch: Path) -> dict[str, object]:
    env = at_home(scratch / f"home-{rows}")
    figures: dict[str, object] = {"rows": rows, "seed_s": seed(env, rows)}
    empty_start(env)  # the bytecode caches written, as on every start after a person's first
    figures["first_start"] = first_start(env, rows)
    empties, restarts = [], []
    for _ in range(starts):
        empties.append(empty_start(env))
        restarts.append(restart_first_row(env))
    figures["empty"] = statistics.median(empties)
    figures["restart"] = statistics.median(restarts)
    figures["keys"] = keys_session(env, rows)
    figures["list_json"] = list_json(env, scratch)
    return figures


def report(all_figures: list[dict[str, object]]) -> None:
    lines: list[tuple[str, str, str, str]] = []
    for f in all_figures:
        rows = int(f["rows"])  # type: ignore[call-overload]
        n = f"{rows:,}"
        empty, restart = float(f["empty"]), float(f["restart"])  # type: ignore[arg-type]
        first = f["first_start"]
        keys = f["keys"]
        listing = f["list_json"]
        assert isinstance(first, dict) and isinstance(listing, dict) and isinstance(keys, dict)
        answered, shown = keys["answered"], keys["shown"]
        limit = 2.0 if rows >= 1_000_000 else 1.5
        worst = max(max(w) for w in answered.values())
        rss_target = 800 if rows >= 1_000_000 else 150
        loading_cpu = first["cpu_s"] - first["cpu_first_row_s"]

        def ms(values: list[float]) -> str:
            return f"{statistics.median(values) * 1000:.0f} / {max(values) * 1000:.0f} ms"

        lines += [
            (f"{n}: seed (cco-unlink sandbox seed)", f"{f['seed_s']:.1f} s", "", ""),
            (f"{n}: empty Textual app, first frame", f"{empty:.3f} s", "", ""),
            (
                f"{n}: restart, cached: first row",
                f"{restart:.3f} s ({restart / empty:.2f}x)",
                f"<= {limit}x empty",
                verdict(restart <= limit * empty),
            ),
            (
                f"{n}: first start: whole list",
                f"{first['whole_list']:.1f} s (first row {first['first_row']:.2f} s)",
                "",
                "",
            ),
            (
                f"{n}: first start: app CPU",
                f"{first['cpu_s']:.1f} s ({loading_cpu:.1f} s after the first row: "
                f"{loading_cpu / rows * 1e6:.0f} us/row)",
                "<= 4 s at 100k" if rows == 100_000 else "<= 40 us/row",
                verdict(first["cpu_s"] <= 4 if rows == 100_000 else loading_cpu / rows <= 40e-6),
            ),
            (f"{n}: PgDn to screen (median / max)", ms(answered["pgdn"]), "", ""),
            (
                f"{n}: filter keystroke, answered / result shown (median / max)",
                f"{ms(answered['filter'])}; {ms(shown['filter'])}",
                "shown <= 50 ms at 100k",
                verdict(max(shown["filter"]) <= 0.05) if rows == 100_000 else "",
            ),
            (
                f"{n}: sort by Amount, answered / result shown",
                f"{answered['sort'][-1] * 1000:.0f} / {shown['sort'][-1] * 1000:.0f} ms "
                f"(any column shown: max {max(shown['sort']) * 1000:.0f} ms)",
                "shown <= 50 ms at 100k",
                verdict(shown["sort"][-1] <= 0.05) if rows == 100_000 else "",
            ),
            (
                f"{n}: PgDn while a sort is worked out",
                f"{answered['pgdn_sorting'][0] * 1000:.0f} ms",
                "",
                "",
            ),
            (
                f"{n}: longest wait for a key to be answered",
                f"{worst * 1000:.0f} ms",
                "<= 150 ms at 1M",
                verdict(worst <= 0.15) if rows >= 1_000_000 else "",
            ),
            (
                f"{n}: app peak RSS (first start / keys session)",
                f"{first['rss_mb']:.0f} / {keys['rss_mb']:.0f} MB "
                f"({max(first['rss_mb'], keys['rss_mb']) * 1024 * 1024 / rows:.0f} B/row)",
                f"<= {rss_target} MB",
                verdict(max(first["rss_mb"], keys["rss_mb"]) <= rss_target),
            ),
            (
                f"{n}: list --json",
                f"{listing['seconds']:.1f} s, {listing['rss_mb']:.0f} MB, "
                f"CPU {listing['cpu_s']:.1f} s",
                "<= 4 s at 100k",
                verdict(listing["seconds"] <= 4) if rows == 100_000 else "",
            ),
        ]
    print_table(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--starts", type=int, default=5, help="restarts per size (medians)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    options = parser.parse_args()
    print(f"cco-unlink at the terminal · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {machine()}")
    figures = []
    with tempfile.TemporaryDirectory() as scratch:
        for rows in options.sizes:
            figures.append(measure(rows, options.starts, Path(scratch)))
            print(json.dumps(figures[-1]), flush=True)
    if options.json:
        Path(options.json).write_text(json.dumps(figures, indent=2))
    report(figures)


if __name__ == "__main__":
    main()
