"""Unlinks through a hostile wire, some of them killed with SIGKILL mid-way; then, CCO by CCO and
attempt by attempt, what was reported and recorded against what Procore (the sandbox) holds.

Between the client and a well-behaved sandbox sits tests/reliability/fault_proxy.py: it drops
connections before and after passing a request on, loses answers, cuts bodies short, corrupts
them, mislabels their compression, drips them out, and answers with gateways' 502 and 503 pages.
Most CCOs are unlinked by the headless command run in this process; a few by a real
`cco-unlink unlink` process that the proxy kills with SIGKILL at a chosen request, some of them
just before or just after its change reaches Procore. Afterwards a fresh start settles what the
killed runs left open, as the app and `cco-unlink audit` do.

The claims: no phantom success (reported unlinked, yet linked), no silent change (reported
anything else, yet unlinked), no change without its audit line, no "unexpected error", and every
attempt whose result was not confirmed is settled afterwards, in agreement with Procore. The run
must meet lost answers to changes and kills after a change was applied, or it proves nothing.

Seeded: CCO_UNLINK_CHAOS_SEED picks another run. CCO_UNLINK_CHAOS=long runs more rounds and
kills (under a minute); the default run takes a few seconds. docs/reliability.md has the figures.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cco_unlink.sandbox_target import CONNECTOR_PATH, sandbox_target
from sandbox import SandboxConfig, SandboxServer, inspect
from services.audit import AuditLog, AuditRecord
from services.backend import Backend
from services.models import OutcomeKind
from tests.clock import JumpingClock
from tests.conftest import REPO_ROOT
from tests.helpers import is_linked, restore_links, snapshot_links
from tests.reliability.fault_proxy import (
    Fault,
    FaultProxy,
    Kill,
    KillPlan,
    WireFaults,
    WireLog,
)
from tests.reliability.kit import CommandRun, headless_list, headless_unlink
from tests.reliability.test_bad_input import SECRETS

SEED = int(os.environ.get("CCO_UNLINK_CHAOS_SEED", "20261130"))
LONG = os.environ.get("CCO_UNLINK_CHAOS", "") == "long"
ROUNDS = 8 if LONG else 1
KILLS_PER_ROUND = 5 if LONG else 3
"""The first two kills of a round land on the change, just after and just before it reaches
Procore (their runs meet no other fault first); the others at any request, on a hostile wire."""
STILL_IN_QUICKBOOKS_PER_ROUND = 7
COMPANY = 5_200_001

TIMEOUT_S = 1.0
"""The client's timeouts on the hostile wire: a lost answer costs this long."""
CALM_TIMEOUT_S = 10.0
"""On a calm wire nothing is lost: a long timeout, so that a busy machine cannot trip it."""
WIRE = WireFaults(
    reads={
        Fault.DROP_BEFORE: 2,
        Fault.UNAVAILABLE: 2,
        Fault.DROP_AFTER: 2,
        Fault.SILENCE: 1,
        Fault.TRUNCATED: 1,
        Fault.CORRUPTED: 1,
        Fault.FALSE_GZIP: 1,
        Fault.DRIP: 1,
        Fault.BAD_GATEWAY: 1,
    },
    changes={
        Fault.DROP_BEFORE: 6,
        Fault.UNAVAILABLE: 6,
        Fault.DROP_AFTER: 10,
        Fault.SILENCE: 5,
        Fault.TRUNCATED: 6,
        Fault.CORRUPTED: 6,
        Fault.FALSE_GZIP: 6,
        Fault.DRIP: 5,
        Fault.BAD_GATEWAY: 8,
    },
    drip_every_s=0.1,
    drip_for_s=2 * TIMEOUT_S,
    silence_for_s=4 * TIMEOUT_S,
)
CALM = WireFaults(reads={}, changes={})
SUCCESS = {OutcomeKind.UNLINKED.value, OutcomeKind.ALREADY_UNLINKED.value}
NOT_CONFIRMED = OutcomeKind.OUTCOME_UNKNOWN.value


@dataclass(frozen=True)
class Attempt:
    round: int
    cco_id: int
    in_quickbooks: bool
    reported: str
    """The outcome printed; 'killed' when the process died first; 'command_failed:<status>'
    when the command stopped before the CCO; 'unexpected' for an error no outcome names."""
    linked_after: bool
    unexpected: str = ""
    """What was said, when it was an 'unexpected error' rather than a known outcome."""
    blacked_out: bool = False
    """Nothing got through once its change was applied: it cannot have been confirmed."""

    @property
    def killed(self) -> bool:
        return self.reported == "killed"


@dataclass
class Tally:
    attempts: list[Attempt] = field(default_factory=list)
    wire: WireLog = field(default_factory=WireLog)
    settled_later: int = 0
    unaudited_changes: list[tuple[int, int]] = field(default_factory=list)
    unsettled: list[AuditRecord] = field(default_factory=list)
    disagreeing_records: list[AuditRecord] = field(default_factory=list)
    """Attempts whose last line says done while Procore holds the CCO linked, or the reverse."""
    not_confirmed_records: list[AuditRecord] = field(default_factory=list)
    """Attempts whose last line, after the next start, still says 'not confirmed'."""
    refresh_disagreements: int = 0
    elapsed: float = 0.0


@dataclass(frozen=True)
class Report:
    reported: str
    unexpected: str = ""


def _reported(run: CommandRun) -> Report:
    objects = run.objects()
    if objects:
        assert len(objects) == 1 and objects[0]["exit_code"] == run.status, run
        said = str(objects[0]["message"])
        return Report(str(objects[0]["outcome"]), said if "unexpected" in said.lower() else "")
    if "unexpected error" in run.err:
        return Report("unexpected", run.err.strip())
    assert run.status != 0 and run.err.startswith("cco-unlink: "), run
    return Report(f"command_failed:{run.status}")


async def _in_process(
    upstream: tuple[str, int],
    rng: random.Random,
    wire: WireLog,
    audit: Path,
    project: int,
    cco: int,
    blackout: bool = False,
) -> Report:
    """`cco-unlink unlink --json` in this process, through a proxy of its own."""
    # The blacked-out command meets no other fault: it must reach its change.
    faults, timeout = (CALM, CALM_TIMEOUT_S) if blackout else (WIRE, TIMEOUT_S)
    async with FaultProxy(upstream, faults, rng, wire, blackout_after_change=blackout) as proxy:
        target = sandbox_target(
            proxy.url, audit, procore_timeout=timeout, quickbooks_timeout=timeout
        )
        try:
            run = await headless_unlink(target, project, [cco])
        except Exception as error:  # the command line's last line of defence: "unexpected error"
            return Report("unexpected", f"{type(error).__name__}: {error}")
    return _reported(run)


def _kill_plan(rng: random.Random, index: int) -> tuple[KillPlan, WireFaults]:
    if index == 0:
        return KillPlan(Kill.AFTER_FORWARDING, at_change=True), CALM
    if index == 1:
        return KillPlan(Kill.BEFORE_FORWARDING, at_change=True), CALM
    return KillPlan(rng.choice(list(Kill)), request_number=rng.randint(1, 14)), WIRE


async def _killed_process(
    upstream: tuple[str, int],
    rng: random.Random,
    wire: WireLog,
    audit: Path,
    project: int,
    cco: int,
    index: int,
) -> Report:
    """A real `cco-unlink unlink` through a proxy that kills it (SIGKILL) at the plan's request;
    'killed', or its report when the plan's request never came."""
    plan, faults = _kill_plan(rng, index)
    timeout = CALM_TIMEOUT_S if faults is CALM else TIMEOUT_S
    settings = audit.with_name(f"{cco}.toml")
    settings.write_text(
        f'[audit]\npath = "{audit}"\n[procore]\ntimeout_seconds = {timeout}\n'
        f"[quickbooks]\ntimeout_seconds = {timeout}\n"
    )
    process: asyncio.subprocess.Process | None = None

    def kill() -> None:
        assert process is not None
        process.kill()

    async with FaultProxy(upstream, faults, rng, wire, kill=plan, on_kill=kill) as proxy:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cco_unlink", "--settings", str(settings),
            "--procore-url", proxy.url, "--connector-url", proxy.url + CONNECTOR_PATH,
            "unlink", "--project", str(project), "--cco", str(cco), "--json",
            cwd=REPO_ROOT, env={**os.environ, **SECRETS},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 120)
    if proxy.killed:
        assert process.returncode == -9, (process.returncode, err)
        return Report("killed")
    return _reported(CommandRun(process.returncode or 0, out.decode(), err.decode()))


async def _settle(server: SandboxServer, audit: Path) -> None:
    """The next start, straight to Procore: it settles what the round left open or could not
    confirm, as the app and `cco-unlink audit` do."""
    backend = Backend(sandbox_target(server.base_url, audit, procore_timeout=10.0), JumpingClock())
    try:
        await backend.connect()
    finally:
        await backend.aclose()
    assert backend.settlement is not None and not backend.settlement.left


async def _round(
    number: int, server: SandboxServer, data: Path, folder: Path, tally: Tally
) -> None:
    synced = inspect.synced_ccos(data, company_id=COMPANY)
    rng = random.Random(f"{SEED}:{number}")
    # Every CCO that can be unlinked, and a few still in QuickBooks that must stay linked.
    gone = [cco.id for cco in synced if not cco.in_quickbooks]
    still_there = [cco for cco in synced if cco.in_quickbooks]
    demo = [cco for cco in synced if not cco.in_quickbooks]
    demo += rng.sample(still_there, min(len(still_there), STILL_IN_QUICKBOOKS_PER_ROUND))
    to_kill = rng.sample(gone, KILLS_PER_ROUND)
    # One command's change is applied and then nothing more gets through, the read-back included:
    # a lost answer for certain; it must say "not confirmed", and the next start must settle it.
    blackout = next(cco_id for cco_id in gone if cco_id not in to_kill)
    upstream = (server.host, server.port)
    # One audit log for the round, written by every command at once, in this process and in the
    # others, as one person's log is.
    audit = folder / f"round{number}.jsonl"

    async def one(cco_id: int) -> Report:
        project = next(c.project_id for c in demo if c.id == cco_id)
        own = random.Random(f"{SEED}:{number}:{cco_id}")
        if cco_id in to_kill:
            return await _killed_process(
                upstream, own, tally.wire, audit, project, cco_id, to_kill.index(cco_id)
            )
        return await _in_process(
            upstream, own, tally.wire, audit, project, cco_id, cco_id == blackout
        )

    reports = await asyncio.gather(*(one(cco.id) for cco in demo))

    linked = {cco.id: is_linked(data, cco.id) for cco in demo}
    for cco, report in zip(demo, reports, strict=True):
        tally.attempts.append(
            Attempt(
                number,
                cco.id,
                cco.in_quickbooks,
                report.reported,
                linked[cco.id],
                report.unexpected,
                cco.id == blackout,
            )
        )

    await _settle(server, audit)
    records = [entry for entry in AuditLog(audit).read() if isinstance(entry, AuditRecord)]
    # By the next start, or by a command of the round that started after a killed one.
    tally.settled_later += sum(r.settled_later for r in records)
    tally.unsettled += AuditLog(audit).unsettled()

    started = {r.cco_id for r in records if r.started}
    tally.unaudited_changes += [
        (number, cco_id)
        for cco_id, is_still in linked.items()
        if not is_still and cco_id not in started
    ]
    # Each attempt's last word, settled later or not, must agree with Procore.
    last: dict[str, AuditRecord] = {}
    for record in records:
        if record.attempt and not record.started:
            last[record.attempt] = record
    for record in last.values():
        if record.outcome == NOT_CONFIRMED:
            tally.not_confirmed_records.append(record)
        elif (record.outcome in SUCCESS) == linked[record.cco_id]:
            tally.disagreeing_records.append(record)

    # The refresh a person would do: list again, straight to Procore.
    listed = await headless_list(sandbox_target(server.base_url, folder / "refresh.jsonl"))
    assert listed.status == 0, listed.err
    shown = {row["cco_id"] for row in listed.objects()}
    tally.refresh_disagreements += sum((cco_id in shown) != linked[cco_id] for cco_id in linked)


async def _run(server: SandboxServer, data: Path, folder: Path) -> Tally:
    snapshot = snapshot_links(data)
    tally = Tally()
    started = time.monotonic()
    for number in range(ROUNDS):
        restore_links(data, snapshot)
        await _round(number, server, data, folder, tally)
    tally.elapsed = time.monotonic() - started
    return tally


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory, seeded_template: Path) -> Iterator[Tally]:
    """One run for every claim below: it is the expensive part."""
    folder = tmp_path_factory.mktemp("wire-chaos")
    data = folder / "sandbox.sqlite3"
    shutil.copyfile(seeded_template, data)
    with pytest.MonkeyPatch.context() as patch:
        # Module-scoped, so the autouse isolated home is not in place yet: make one.
        for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            patch.setenv(variable, str(folder / "home" / variable.lower()))
        for variable in (
            "CCO_UNLINK_SETTINGS",
            "PROCORE_CLIENT_SECRET",
            "QUICKBOOKS_CONNECTOR_TOKEN",
        ):
            patch.delenv(variable, raising=False)
        with SandboxServer(SandboxConfig(data_file=data)) as server:
            tally = asyncio.run(_run(server, data, folder))
    _print(tally)
    yield tally


def _print(tally: Tally) -> None:
    attempts = tally.attempts
    killed = [a for a in attempts if a.killed]
    print(
        f"\nwire chaos (seed {SEED}): {len(attempts)} unlink attempts in {ROUNDS} rounds, "
        f"{tally.elapsed:.1f} s; {tally.wire.requests} requests through the proxy"
    )
    print("  faults: " + ", ".join(f"{f}: {n}" for f, n in sorted(tally.wire.faults.items())))
    print(
        f"  answers to applied changes lost: {len(tally.wire.lost_change_answers)}; kills: "
        f"{len(killed)} ({sum(not a.linked_after for a in killed)} after the change was applied)"
    )
    for kind, count in sorted(Counter(a.reported for a in attempts).items()):
        print(f"  reported {kind}: {count}")
    print(
        f"  phantom successes: {len(_phantom(tally))}; silent changes: {len(_silent(tally))}; "
        f"changes without an audit line: {len(tally.unaudited_changes)}; unexpected errors: "
        f"{len(_unexpected(tally))}; CCOs still in QuickBooks unlinked: "
        f"{sum(a.in_quickbooks and not a.linked_after for a in attempts)}; settled later: "
        f"{tally.settled_later}; left unsettled: {len(tally.unsettled)}; still not confirmed: "
        f"{len(tally.not_confirmed_records)}; records disagreeing with Procore: "
        f"{len(tally.disagreeing_records)}; refresh disagreeing: {tally.refresh_disagreements}"
    )


def _phantom(tally: Tally) -> list[Attempt]:
    return [a for a in tally.attempts if a.reported in SUCCESS and a.linked_after]


def _silent(tally: Tally) -> list[Attempt]:
    """Changed, yet reported as anything but done or not confirmed (a killed run reports
    nothing: its audit line must account for it)."""
    return [
        a
        for a in tally.attempts
        if not a.killed
        and not a.linked_after
        and a.reported not in SUCCESS
        and a.reported != NOT_CONFIRMED
    ]


def _unexpected(tally: Tally) -> list[Attempt]:
    return [a for a in tally.attempts if a.reported == "unexpected" or a.unexpected]


def test_the_run_met_lost_answers_faults_and_kills_on_both_sides_of_a_change(
    chaos: Tally,
) -> None:
    assert chaos.wire.lost_change_answers, "no answer to an applied change was lost"
    # Each kind of fault on its own is tests/reliability/test_fault_proxy.py's; a short run
    # meets most of them, a long one all.
    met = {fault for fault, count in chaos.wire.faults.items() if count and fault is not Fault.NONE}
    assert len(met) >= (len(Fault) - 1 if LONG else 5), met
    killed = [a for a in chaos.attempts if a.killed]
    assert any(not a.linked_after for a in killed), "no run was killed after its change applied"
    assert any(a.linked_after for a in killed), "no run was killed just before its change"
    assert any(a.reported == OutcomeKind.UNLINKED.value for a in chaos.attempts)


def test_no_phantom_success(chaos: Tally) -> None:
    assert _phantom(chaos) == []


def test_no_silent_change(chaos: Tally) -> None:
    assert _silent(chaos) == []


def test_no_change_without_an_audit_line(chaos: Tally) -> None:
    assert chaos.unaudited_changes == []


def test_no_cco_still_in_quickbooks_is_unlinked(chaos: Tally) -> None:
    assert [a for a in chaos.attempts if a.in_quickbooks and not a.linked_after] == []


def test_no_unexpected_error(chaos: Tally) -> None:
    assert Counter(a.unexpected for a in _unexpected(chaos)) == {}


def test_no_attempt_is_left_open_and_every_record_agrees_with_procore(chaos: Tally) -> None:
    assert chaos.settled_later > 0  # the killed runs' attempts, at least
    assert chaos.unsettled == []
    assert chaos.disagreeing_records == []
    assert chaos.refresh_disagreements == 0


def test_what_could_not_be_confirmed_said_so(chaos: Tally) -> None:
    blacked_out = [a for a in chaos.attempts if a.blacked_out]
    assert blacked_out and {a.reported for a in blacked_out} == {NOT_CONFIRMED}
    assert all(not a.linked_after for a in blacked_out)  # applied, as the proxy let it


def test_every_attempt_not_confirmed_is_settled_by_the_next_start(chaos: Tally) -> None:
    assert chaos.not_confirmed_records == []
