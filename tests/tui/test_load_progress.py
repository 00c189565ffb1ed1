"""The load as a person watches it: a progress bar of projects with the requests left and the
time to go, from Procore's rate-limit headers; a project the person filters for comes first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import msgspec
import pytest
from textual.app import App, ComposeResult

from cco_unlink.sandbox_target import sandbox_target
from sandbox import SandboxServer
from services.backend import Backend, Target
from services.models import CachedList, LoadProgress, SyncedCco
from tests.clock import JumpingClock
from tests.helpers import procore_paced_company
from tests.tui.conftest import screen_of, settle, wait_until
from tui.app import CcoUnlinkApp
from tui.widgets.load_progress import LoadProgressBar

PROJECTS = 40


@pytest.fixture
def clock() -> JumpingClock:
    return JumpingClock()


@pytest.fixture
def procore_like(tmp_path: Path, clock: JumpingClock) -> Iterator[SandboxServer]:
    """40 projects behind Procore's example limits, 25 requests per 10 s: a load of 121 requests
    waits for the window four times (on the shared clock, without waiting). Each answer takes a
    tenth of a second: keys typed at once land while the load runs."""
    with procore_paced_company(
        tmp_path / "company.sqlite3", clock, projects=PROJECTS, latency_ms=100
    ) as server:
        yield server


def _target(server: SandboxServer, tmp_path: Path, cache_path: Path | None = None) -> Target:
    return sandbox_target(server.base_url, tmp_path / "audit.jsonl", cache_path=cache_path)


def _app(
    server: SandboxServer, tmp_path: Path, clock: JumpingClock, cache_path: Path | None = None
) -> CcoUnlinkApp:
    return CcoUnlinkApp(Backend(_target(server, tmp_path, cache_path), clock=clock))


async def test_the_progress_bar_shows_projects_requests_left_and_the_time_to_go(
    procore_like: SandboxServer,
    tmp_path: Path,
    clock: JumpingClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[float, float, str, float]] = []
    show = LoadProgressBar.show

    def watched(bar: LoadProgressBar, progress: object) -> None:
        show(bar, progress)  # type: ignore[arg-type]
        shown = bar.progress
        assert shown is not None
        seen.append((shown.projects_done, shown.projects_total, bar.text, clock.jumped))

    monkeypatch.setattr(LoadProgressBar, "show", watched)
    app = _app(procore_like, tmp_path, clock)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        waits_end = clock.jumped
        bar = pilot.app.screen.query_one(LoadProgressBar)
        assert not bar.display or "-loading" not in bar.classes  # gone once loaded
        assert len(screen_of(pilot).rows) == PROJECTS * 2

    # Projects answered within a tenth of a second of each other are shown together.
    steps = [(int(done), int(total)) for done, total, _, _ in seen]
    assert steps[0] == (0, PROJECTS) and steps[-1] == (PROJECTS, PROJECTS)
    assert steps == sorted(set(steps)) and {total for _, total in steps} == {PROJECTS}
    done, _, halfway_text, waits_at_halfway = next(s for s in seen if s[0] >= PROJECTS // 2)
    assert halfway_text.startswith(f"{int(done)}/{PROJECTS} projects · ")
    assert " requests left · about " in halfway_text and halfway_text.endswith(" to go")
    # The time to go said at half-way is about what it then took (25 requests per 10 s).
    said = int(halfway_text.split("about ")[1].split(" s to go")[0])
    # ... in the windows it then waited for (the clock skips them; a busy machine's own seconds
    # come on top, and no header foresees those).
    waited = waits_end - waits_at_halfway
    assert waited >= 10
    assert 0.6 * waited <= said <= 1.6 * waited + 5, (halfway_text, waited)
    assert seen[-1][2] == f"{PROJECTS}/{PROJECTS} projects · 0 requests left"


async def test_a_project_the_person_filters_for_is_loaded_first(
    procore_like: SandboxServer, tmp_path: Path, clock: JumpingClock
) -> None:
    wanted_number = f"B-{PROJECTS:04d}"  # the last project in Procore's order
    app = _app(procore_like, tmp_path, clock)
    order: list[int] = []
    async with app.run_test(size=(160, 30)) as pilot:
        screen = screen_of(pilot)
        # Typed at once, while the load is starting.
        await pilot.press("slash", *wanted_number.lower())
        assert screen.filter_words == [wanted_number.lower()]

        def loaded_projects() -> None:
            for cco in screen.rows.values():
                if cco.project_id not in order:
                    order.append(cco.project_id)

        loaded_projects()
        before_filter = len(order)

        while "-loading" in screen.query_one(LoadProgressBar).classes or not order:
            loaded_projects()
            await pilot.pause(0.01)
        await settle(pilot)
        loaded_projects()
        shown = [screen.rows[key] for key in screen.table.row_keys]

    wanted = next(cco.project_id for cco in shown)
    assert {cco.project_number for cco in shown} == {wanted_number}
    assert len(order) == PROJECTS
    # The filter came while most projects were still to load (else this proves nothing) ...
    assert before_filter <= PROJECTS // 2, before_filter
    # ... and the project, last in Procore's order, came in right after the few already on
    # their way (at most 7 under 25 requests per 10 s), not last.
    assert order.index(wanted) - before_filter <= 8, (order.index(wanted), before_filter)


async def test_a_load_quit_part_way_resumes_on_the_next_start_with_its_rows_shown(
    procore_like: SandboxServer, tmp_path: Path, clock: JumpingClock
) -> None:
    cache = tmp_path / "list-cache.sqlite3"
    # The person quits once a few projects are in.
    first = _app(procore_like, tmp_path, clock, cache_path=cache)
    async with first.run_test(size=(160, 30)) as pilot:
        screen = screen_of(pilot)
        while len({cco.project_id for cco in screen.rows.values()}) < 5:
            await pilot.pause(0.01)
        await pilot.press("q")

    reader = Backend(_target(procore_like, tmp_path, cache_path=cache), clock=clock)
    unfinished = await reader.cached_list()
    assert unfinished is not None and unfinished.loaded_projects is not None
    saved = unfinished.loaded_projects
    assert 5 <= len(saved) < PROJECTS
    assert {cco.project_id for cco in unfinished.rows} == saved

    again = _app(procore_like, tmp_path, clock, cache_path=cache)
    async with again.run_test(size=(160, 30)) as pilot:
        screen = screen_of(pilot)
        await pilot.pause()
        # The rows saved are on screen before anything is asked of Procore, said to be a part.
        assert {cco.project_id for cco in screen.rows.values()} >= saved
        status = str(screen.query_one("#status-line").render())
        assert "list loaded in part from " in status and f"({len(saved)} projects)" in status
        await settle(pilot)
        assert len(screen.rows) == PROJECTS * 2
        wire = again.backend.wire
        # Signing in (me, companies), the projects' list, then only the projects not saved.
        assert wire.requests == 2 + 1 + 3 * (PROJECTS - len(saved))
        assert wire.rate_limited == 0


class _Bar(App[None]):
    def compose(self) -> ComposeResult:
        yield LoadProgressBar(id="load-progress")


async def test_at_80_columns_the_time_to_go_is_in_view() -> None:
    """A big company's figures, in an 80-column terminal: the bar leaves room for all the words,
    the time to go last among them."""
    progress = LoadProgress(
        projects_done=75, projects_total=150, rows=15_000, requests_left=1_380, eta_seconds=8_100
    )
    async with _Bar().run_test(size=(80, 24)) as pilot:
        bar = pilot.app.query_one(LoadProgressBar)
        bar.show(progress)
        await pilot.pause()
        line = bar.render().plain
        assert bar.text.endswith("about 2 h 15 min to go")
        assert line.startswith("━" * 6) and line.endswith(bar.text)
        assert len(line) <= bar.content_region.width


async def test_the_time_to_go_counts_down_while_no_project_finishes() -> None:
    """A load waiting out a rate-limit window finishes no project for a while: the time to go
    still goes down, from the last estimate."""
    now = [1_000.0]
    progress = LoadProgress(
        projects_done=75, projects_total=150, rows=15_000, requests_left=300, eta_seconds=600
    )

    class _Counting(App[None]):
        def compose(self) -> ComposeResult:
            yield LoadProgressBar(id="load-progress", clock=lambda: now[0])

    async with _Counting().run_test(size=(120, 24)) as pilot:
        bar = pilot.app.query_one(LoadProgressBar)
        bar.show(progress)
        await pilot.pause()
        assert bar.text.endswith("about 10 min to go")
        now[0] += 240  # four minutes, and no project finished
        bar.count_down()
        await pilot.pause()
        assert bar.text.endswith("about 6 min to go")
        assert "75/150 projects · 300 requests left" in bar.text
        now[0] += 1_000  # past the estimate: never below a second
        bar.count_down()
        await pilot.pause()
        assert bar.text.endswith("about 1 s to go")
        # A new estimate starts the count again.
        bar.show(msgspec.structs.replace(progress, projects_done=76, eta_seconds=120))
        await pilot.pause()
        assert bar.text.endswith("about 2 min to go")


async def test_a_slow_first_project_still_shows_the_load_under_way(
    make_target: Callable[..., Target], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The projects' list comes at once, the first project's rows only much later (a big
    # project, a rate-limit window): the load says how far it is within a tenth all the same.
    backend = Backend(make_target())
    listed = asyncio.Event()
    release = asyncio.Event()
    synced_ccos = backend.synced_ccos

    async def slow_after_the_list(
        resume: CachedList | None = None,
    ) -> AsyncIterator[tuple[list[SyncedCco], LoadProgress]]:
        async for batch, progress in synced_ccos(resume):
            if progress.projects_done and not release.is_set():
                listed.set()
                await release.wait()
            yield batch, progress

    monkeypatch.setattr(backend, "synced_ccos", slow_after_the_list)
    app = CcoUnlinkApp(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await asyncio.wait_for(listed.wait(), 10)
        bar = app.screen.query_one(LoadProgressBar)
        await wait_until(pilot, lambda: bar.has_class("-loading"), timeout=2)
        assert bar.progress is not None and bar.progress.projects_done == 0
        assert "projects" in bar.text
        release.set()
        await settle(pilot)
        assert screen_of(pilot).table.row_count > 0
        assert not bar.has_class("-loading")
