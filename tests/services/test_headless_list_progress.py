"""Headless `list`: the load's progress on stderr when that is a terminal, and a load stopped
part-way resumed by the next run."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

from cco_unlink.headless import ProgressOnTerminal, list_command
from sandbox import inspect
from services.backend import Backend, Target
from services.models import LoadProgress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_progress_is_drawn_on_a_terminal_and_cleared_before_the_rows(
    make_target: Callable[..., Target],
) -> None:
    out, err = io.StringIO(), _Terminal()
    backend = Backend(make_target())
    status = await list_command(backend, None, True, out, err)
    await backend.aclose()
    assert status == 0
    drawn = err.getvalue().split("\r\x1b[K")
    assert drawn[0] == "" and drawn[-1] == ""  # every line redrawn in place, then wiped
    lines = [line for line in drawn if line]
    assert lines[0].startswith("[------------------------] 0/")
    assert lines[-1].startswith("[########################] ")
    assert lines[-1].endswith(" projects · 0 requests left")
    # The demo's limits are generous: every project is on its way at once, so after the first
    # one nothing is left to send.
    for line in lines[1:]:
        assert re.fullmatch(r"\[#+-*\] \d+/\d+ projects · \d+ requests left.*", line), line
    assert len(out.getvalue().splitlines()) >= 20


async def test_nothing_but_the_rows_when_stderr_is_not_a_terminal(
    make_target: Callable[..., Target],
) -> None:
    out, err = io.StringIO(), io.StringIO()
    backend = Backend(make_target())
    assert await list_command(backend, None, False, out, err) == 0
    await backend.aclose()
    assert err.getvalue() == ""
    assert out.getvalue()


async def test_a_list_stopped_part_way_is_resumed_by_the_next_run(
    make_target: Callable[..., Target], sandbox_data: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "list-cache.sqlite3"
    first = Backend(make_target(cache_path=cache))
    async for batch, _ in first.synced_ccos():
        if batch:
            break  # stopped after the first project
    await first.aclose()

    again = Backend(make_target(cache_path=cache))
    out = io.StringIO()
    assert await list_command(again, None, True, out, io.StringIO()) == 0
    used = again.wire.requests
    await again.aclose()
    listed = {json.loads(line)["cco_id"] for line in out.getvalue().splitlines()}
    company = again.company
    assert company is not None
    expected = {c.id for c in inspect.synced_ccos(sandbox_data) if c.company_id == company.id}
    assert listed == expected
    projects = {c.project_id for c in inspect.synced_ccos(sandbox_data, company.id)}
    # Signing in (me, companies), the projects' list, then three requests for each project but
    # the one loaded before the stop.
    assert used == 2 + 1 + 3 * (len(projects) - 1)


async def test_a_title_holding_terminal_commands_is_printed_as_text(
    make_target: Callable[..., Target], sandbox_data: Path
) -> None:
    # A title that would clear the screen and set the clipboard (OSC 52), and a tab that would
    # shift the columns: printed, each control character is a space.
    cco = inspect.synced_ccos(sandbox_data)[0]
    with sqlite3.connect(sandbox_data) as conn:
        conn.execute(
            "UPDATE ccos SET title = ? WHERE id = ?",
            ("Rebar\x1b[2J\x1b]52;c;aGk=\x07\tmore", cco.id),
        )
    out, err = io.StringIO(), io.StringIO()
    backend = Backend(make_target())
    assert await list_command(backend, cco.project_id, False, out, err) == 0
    await backend.aclose()
    shown = out.getvalue()
    assert "Rebar [2J ]52;c;aGk=  more" in shown
    assert not any(c in shown for c in "\x1b\x07")
    row = next(line for line in shown.splitlines() if "Rebar" in line)
    assert len(row.split("\t")) == len(shown.splitlines()[0].split("\t"))


def test_the_progress_line_fits_the_terminal_so_redrawing_it_in_place_works() -> None:
    """A line wider than the terminal wraps, and redrawing it in place then leaves a trail of
    half lines. A big company's figures in 80 columns: the bar shrinks, the words stay whole."""
    big = LoadProgress(
        projects_done=1_200, projects_total=5_000, rows=240_000, requests_left=11_400,
        eta_seconds=4_800,
    )  # fmt: skip
    for columns in (80, 60):
        err = _Terminal()
        ProgressOnTerminal(err, columns=columns).show(big)
        [line] = [line for line in err.getvalue().split("\r\x1b[K") if line]
        assert len(line) < columns, line
        assert line.startswith("[#") or columns < 70
        assert line.endswith("about 1 h 20 min to go") or line.endswith("…")
    err = _Terminal()
    ProgressOnTerminal(err, columns=200).show(big)
    assert err.getvalue().split("\r\x1b[K")[1].startswith("[" + "#" * 6)
