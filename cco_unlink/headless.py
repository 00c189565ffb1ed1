"""`cco-unlink list | unlink | audit`: the same workflow as the screen, for scripts and cron.

Every unlink goes through `Backend.unlink`, the service the screen uses, and is told in the words
of `services.messages`; only the layout differs. Each command ends with an exit status from
`cco_unlink.exit_codes`. `--json` prints one JSON object per line, one line per CCO (or per audit
record), so a script can read the answer as it comes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import msgspec

from cco_unlink import exit_codes
from services import catalog, locations, messages
from services.audit import Action, AuditLog, AuditRecord, DamagedLine
from services.backend import Backend
from services.batch import UnlinkBatch
from services.check import CheckResult
from services.errors import (
    CcoUnlinkError,
    ProcoreError,
    ProcoreSignInRequiredError,
    SettingsError,
)
from services.models import (
    CcoPlace,
    Company,
    LoadProgress,
    Project,
    QuickBooksEvidence,
    SyncedCco,
    UnlinkOutcome,
    cents_text,
)
from services.plain_text import printable
from services.settings import Settings

COMMANDS = ("list", "check", "unlink", "audit")

BackendOpener = Callable[[], contextlib.AbstractContextManager[Backend]]


def add_commands(commands: Any) -> None:
    """Register the headless sub-commands on the main parser's sub-parsers."""
    listing = commands.add_parser(
        "list",
        help="print the CCOs synced with QuickBooks Desktop",
        description="Print the company's CCOs synced with QuickBooks® Desktop, one per line.",
    )
    listing.add_argument("--project", metavar="ID", type=_record_id, help="this project only")
    listing.add_argument("--json", action="store_true", help="one JSON object per CCO")

    check = commands.add_parser(
        "check",
        help="check CCOs in QuickBooks Desktop without changing anything",
        description=(
            "Ask QuickBooks® Desktop whether each CCO is still there, and what of it remains; "
            "nothing is changed. Without --cco, every synced CCO of the project. Exit status 0 "
            "when all are gone, 3 when any is still there."
        ),
    )
    check.add_argument("--project", metavar="ID", type=_record_id, required=True)
    check.add_argument(
        "--cco", metavar="ID", type=_record_id, action="append",
        help="CCO id; repeat for several (default: every synced CCO of the project)",
    )  # fmt: skip
    check.add_argument("--json", action="store_true", help="one JSON object per CCO")

    unlink = commands.add_parser(
        "unlink",
        help="unlink CCOs gone from QuickBooks Desktop, as the screen does",
        description=(
            "Unlink each CCO named, once QuickBooks® Desktop confirms it is gone and you hold the "
            "three permissions. Exit status: see the README."
        ),
    )
    unlink.add_argument("--project", metavar="ID", type=_record_id, required=True)
    unlink.add_argument(
        "--cco", metavar="ID", type=_record_id, action="append", required=True,
        help="CCO id; repeat for several",
    )  # fmt: skip
    unlink.add_argument("--json", action="store_true", help="one JSON object per CCO")

    audit = commands.add_parser(
        "audit",
        help="show the audit log of unlink attempts",
        description="Show every unlink attempt recorded, oldest first; damaged lines are named.",
    )
    audit.add_argument("--json", action="store_true", help="the records as JSON lines")


def _record_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (a whole number)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (ids are positive)")
    return value


def run(
    arguments: argparse.Namespace,
    settings: Settings,
    open_backend: BackendOpener,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    if arguments.command == "audit":
        path = locations.audit_file(settings.audit.path)
        settle_open_attempts(path, open_backend, err)
        return show_audit(path, arguments.json, out, err)
    with open_backend() as backend:
        return asyncio.run(_run_with(backend, arguments, out, err))


async def _run_with(
    backend: Backend, arguments: argparse.Namespace, out: TextIO, err: TextIO
) -> int:
    try:
        if arguments.command == "list":
            return await list_command(backend, arguments.project, arguments.json, out, err)
        if arguments.command == "check":
            return await check_command(
                backend, arguments.project, arguments.cco, arguments.json, out, err
            )
        return await unlink_command(
            backend, arguments.project, arguments.cco, arguments.json, out, err
        )
    finally:
        await backend.aclose()


async def list_command(
    backend: Backend, project_id: int | None, as_json: bool, out: TextIO, err: TextIO
) -> int:
    """`cco-unlink list`: print the rows, or say why not; return the exit status."""
    progress = ProgressOnTerminal(err)
    try:
        rows = await list_ccos(backend, project_id, progress.show)
    except CcoUnlinkError as error:
        progress.clear()
        return say_error(error, err)
    progress.clear()
    write_rows(rows, as_json, out)
    return exit_codes.OK


def say_error(error: CcoUnlinkError, err: TextIO) -> int:
    """One line on stderr; the exit status. Without a screen to sign in on, it names the command
    that signs in."""
    text = error.message
    if isinstance(error, ProcoreSignInRequiredError):
        text = f"{text} {messages.RUN_LOGIN}"
    print(f"cco-unlink: {text}", file=err)
    return exit_codes.for_error(error)


class ProgressOnTerminal:
    """The load's progress on one line of stderr, redrawn in place: only when stderr is a
    terminal, so that scripts and logs get the rows and nothing else. The line fits the
    terminal's width: one that wrapped could not be redrawn in place."""

    BAR_WIDTH = 24
    NARROWEST_BAR = 8

    def __init__(self, err: TextIO, columns: int | None = None) -> None:
        self.err = err
        self.live = _is_terminal(err)
        self.columns = columns
        self.drawn = False

    def show(self, progress: LoadProgress) -> None:
        if not self.live:
            return
        self.err.write(f"\r\x1b[K{self.fitted(progress)}")
        self.err.flush()
        self.drawn = True

    def fitted(self, progress: LoadProgress) -> str:
        # The last column stays free: a line that reaches it wraps on some terminals.
        room = (self.columns or _columns(self.err)) - 1
        text = messages.load_progress(progress)
        bar = min(self.BAR_WIDTH, room - len(text) - len("[] "))
        if bar >= self.NARROWEST_BAR:
            return progress_line(progress, bar)
        return text if len(text) <= room else text[: room - 1] + "…"

    def clear(self) -> None:
        if self.drawn:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self.drawn = False


def progress_line(progress: LoadProgress, width: int) -> str:
    filled = round(progress.fraction * width)
    return f"[{'#' * filled}{'-' * (width - filled)}] {messages.load_progress(progress)}"


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


async def unlink_command(
    backend: Backend,
    project_id: int,
    cco_ids: Sequence[int],
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    """`cco-unlink unlink`: one line per CCO; the highest exit status among them."""
    try:
        reports = await unlink_ccos(
            backend,
            project_id,
            cco_ids,
            lambda report: write_reports([report], as_json, out),
            lambda cco: print(
                f"cco-unlink: CCO (id {cco.id}): {messages.BATCH_NOT_TRIED}", file=err
            ),
        )
    except CcoUnlinkError as error:
        return say_error(error, err)
    return max(report.exit_code for report in reports)


async def check_command(
    backend: Backend,
    project_id: int,
    cco_ids: Sequence[int] | None,
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    """`cco-unlink check`: one line per CCO; 0 when all are gone, else the highest status."""
    try:
        results = await check_ccos(
            backend, project_id, cco_ids, lambda result: write_checks([result], as_json, out)
        )
    except CcoUnlinkError as error:
        return say_error(error, err)
    return max((result.exit_code for result in results), default=exit_codes.OK)


# ---------------------------------------------------------------------------------------- list


async def list_ccos(
    backend: Backend,
    project_id: int | None = None,
    on_progress: Callable[[LoadProgress], None] | None = None,
) -> list[SyncedCco]:
    """The synced CCOs of the company, or of one project of it. A load of the company that was
    stopped part-way is resumed: the rows it saved, and only the projects it had not reached."""
    _, company = await backend.connect()
    if project_id is None:
        cached = await backend.cached_list()
        resume = None
        if (
            cached is not None
            and not cached.load_finished
            and all(cco.company_id == company.id for cco in cached.rows)
        ):
            resume = cached
        rows: list[SyncedCco] = []
        if resume is not None:
            rows += resume.rows
            async for chunk in backend.cached_rest(resume):
                rows += chunk
        async for batch, progress in backend.synced_ccos(resume=resume):
            rows += batch
            if on_progress is not None:
                on_progress(progress)
    else:
        project = await _project(backend, company, project_id)
        rows = await catalog.project_ccos(backend.procore, company.id, project)
    rows.sort(key=lambda row: (row.project_name, row.commitment_number, row.number, row.id))
    return rows


class ListedCco(msgspec.Struct):
    """A CCO as `list` prints it: a JSON object a line, its keys in this order, or columns."""

    cco_id: int
    cco_number: str
    title: str
    amount: str
    project_id: int
    project: str
    commitment_id: int
    commitment: str
    vendor: str
    purchase_order: str
    synced_at: str | None


def listed(row: SyncedCco) -> ListedCco:
    """Run for every row printed: the amount from its cents and the time from its seconds,
    written as str(Decimal) and datetime.isoformat() write them in a fraction of their time."""
    epoch = row.synced_epoch
    return ListedCco(
        row.id,
        row.number,
        row.title,
        cents_text(row.cents, separators=False),
        row.project_id,
        row.project_name,
        row.commitment_id,
        row.commitment_label,
        row.vendor,
        row.po_reference,
        None if epoch is None else _utc_iso(epoch),
    )


def _utc_iso(epoch: int) -> str:
    """What datetime.fromtimestamp(epoch, UTC).isoformat() writes, the date looked up once a day."""
    day, seconds = divmod(epoch, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    return f"{_day_iso(day)}T{hours:02d}:{seconds // 60:02d}:{seconds % 60:02d}+00:00"


@functools.lru_cache(maxsize=4096)
def _day_iso(day: int) -> str:
    return datetime.fromtimestamp(day * 86_400, UTC).date().isoformat()


_JSON_LINES = msgspec.json.Encoder()
_JSON_CHUNK = 1_000
_LIST_COLUMNS = ("project_id", "cco_id", "cco_number", "title", "amount", "commitment", "synced_at")


def write_rows(rows: Sequence[SyncedCco], as_json: bool, out: TextIO) -> None:
    if as_json:
        # Encoded a thousand rows at a time: json.dumps per row cost about 4 µs a row, and the
        # whole list at once held twice its memory (90 MB more at 100,000 rows).
        for start in range(0, len(rows), _JSON_CHUNK):
            chunk = [listed(row) for row in rows[start : start + _JSON_CHUNK]]
            out.write(_JSON_LINES.encode_lines(chunk).decode())
        return
    # Tab-separated with a header: readable, and as easy for `cut` and `awk` as for eyes.
    print("\t".join(_LIST_COLUMNS), file=out)
    for row in rows:
        fields = listed(row)
        print("\t".join(_cell(getattr(fields, column)) for column in _LIST_COLUMNS), file=out)


def _cell(value: Any) -> str:
    return "" if value is None else printable(str(value))


# -------------------------------------------------------------------------------------- unlink


@dataclass(frozen=True)
class UnlinkReport:
    """One CCO's unlink, as the headless commands tell it."""

    project_id: int
    cco_id: int
    cco_number: str
    outcome: UnlinkOutcome

    @property
    def exit_code(self) -> int:
        return exit_codes.for_outcome(self.outcome.kind)

    def as_json(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "cco_id": self.cco_id,
            "cco_number": self.cco_number,
            "outcome": self.outcome.kind.value,
            "message": self.outcome.message,
            "exit_code": self.exit_code,
            "missing": [permission.value for permission in self.outcome.missing],
            "evidence": self.outcome.evidence,
            "quickbooks": evidence_json(self.outcome.quickbooks),
            "audit_error": self.outcome.audit_error or None,
        }


async def unlink_ccos(
    backend: Backend,
    project_id: int,
    cco_ids: Sequence[int],
    on_report: Callable[[UnlinkReport], None] | None = None,
    on_not_tried: Callable[[SyncedCco], None] | None = None,
) -> list[UnlinkReport]:
    """Unlink each CCO in turn through the screen's own service; `on_report` hears each outcome
    as it comes, so an interrupted run has already said what it did."""
    project, ccos = await _named_ccos(backend, project_id, cco_ids)
    reports: list[UnlinkReport] = []

    def heard(cco: SyncedCco, outcome: UnlinkOutcome) -> None:
        report = UnlinkReport(project.id, cco.id, cco.number, outcome)
        reports.append(report)
        if on_report is not None:
            on_report(report)

    # The screen's own batch: the same order, the same stop after a failure that would repeat.
    batch = UnlinkBatch(ccos, backend.unlink)
    await batch.run(on_outcome=heard)
    if on_not_tried is not None:
        for result in batch.results:
            if result.outcome is None:
                on_not_tried(result.cco)
    return reports


def write_reports(reports: Sequence[UnlinkReport], as_json: bool, out: TextIO) -> None:
    for report in reports:
        if as_json:
            print(json.dumps(report.as_json(), ensure_ascii=False), file=out)
            continue
        number = printable(f"#{report.cco_number} ") if report.cco_number else ""
        lines = messages.outcome_text(report.outcome).split("\n")
        text = "\n  ".join(printable(line) for line in lines)
        print(f"CCO {number}(id {report.cco_id}): {text}", file=out)
        if report.outcome.audit_error:
            print(f"  {report.outcome.audit_error}", file=out)
    out.flush()


async def _named_ccos(
    backend: Backend, project_id: int, cco_ids: Sequence[int] | None
) -> tuple[Project, list[SyncedCco]]:
    """The project and the CCOs named, each once, in the order first named (none named: every
    synced CCO of the project, by id). A CCO the synced list lacks is read on its own (see
    _unlisted)."""
    _, company = await backend.connect()
    project = await _project(backend, company, project_id)
    listed = {
        row.id: row for row in await catalog.project_ccos(backend.procore, company.id, project)
    }
    wanted = list(dict.fromkeys(cco_ids)) if cco_ids else sorted(listed)
    return project, [
        listed.get(cco_id) or await _unlisted(backend, company, project, cco_id)
        for cco_id in wanted
    ]


async def _project(backend: Backend, company: Company, project_id: int) -> Project:
    for project in await backend.procore.projects(company.id):
        if project.id == project_id:
            return project
    raise SettingsError(messages.unknown_project(project_id, company.name))


async def _unlisted(backend: Backend, company: Company, project: Project, cco_id: int) -> SyncedCco:
    """A CCO the synced list does not hold (unlinked already, unknown, or listed since): the
    service reads it fresh and says which; this only carries what the audit line names."""
    number = ""
    with contextlib.suppress(ProcoreError):
        number = (await backend.procore.change_order(company.id, project.id, cco_id)).number
    return SyncedCco(
        id=cco_id,
        place=CcoPlace(
            company_id=company.id,
            project_id=project.id,
            project_name=project.name,
            project_number=project.number,
            commitment_id=0,
            commitment_number="",
            commitment_title="",
            vendor="",
            po_txn_id=None,
            po_reference="",
        ),
        number=number,
        title="",
        cents=0,
        synced_epoch=None,
        origin_id="",
        line_ids="",
    )


# --------------------------------------------------------------------------------------- check


@dataclass(frozen=True)
class CheckReport:
    """One CCO's check, as the headless commands tell it."""

    project_id: int
    cco_number: str
    result: CheckResult

    @property
    def exit_code(self) -> int:
        return exit_codes.FOR_CHECK[self.result.kind]

    def as_json(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "cco_id": self.result.cco_id,
            "cco_number": self.cco_number,
            "result": self.result.kind.value,
            "message": self.result.message,
            "exit_code": self.exit_code,
            "quickbooks": evidence_json(self.result.evidence),
        }


def evidence_json(evidence: QuickBooksEvidence | None) -> dict[str, Any] | None:
    """What QuickBooks said of a CCO, for scripts: the order (null when it is gone) and the
    CCO's lines still on it."""
    if evidence is None:
        return None
    order = evidence.purchase_order
    return {
        "po_txn_id": evidence.link.po_txn_id,
        "purchase_order": None
        if order is None
        else {
            "txn_id": order.txn_id,
            "ref_number": order.ref_number,
            "vendor": order.vendor,
            "time_modified": order.time_modified,
        },
        "cco_lines": list(evidence.link.txn_line_ids),
        "lines_remaining": list(evidence.remaining),
        "checked_at": evidence.checked_at.isoformat(),
    }


async def check_ccos(
    backend: Backend,
    project_id: int,
    cco_ids: Sequence[int] | None,
    on_report: Callable[[CheckReport], None] | None = None,
) -> list[CheckReport]:
    """Check each CCO named (or every synced CCO of the project) in QuickBooks, in turn."""
    project, ccos = await _named_ccos(backend, project_id, cco_ids)
    reports = []
    for cco in ccos:
        report = CheckReport(project.id, cco.number, await backend.check(cco))
        reports.append(report)
        if on_report is not None:
            on_report(report)
    return reports


def write_checks(reports: Sequence[CheckReport], as_json: bool, out: TextIO) -> None:
    for report in reports:
        if as_json:
            print(json.dumps(report.as_json(), ensure_ascii=False), file=out)
            continue
        number = printable(f"#{report.cco_number} ") if report.cco_number else ""
        message = printable(report.result.message)
        print(f"CCO {number}(id {report.result.cco_id}): {message}", file=out)
    out.flush()


# --------------------------------------------------------------------------------------- audit


def settle_open_attempts(path: Path, open_backend: BackendOpener, err: TextIO) -> None:
    """Before showing the log, read back from Procore what attempts a stopped run left open did,
    and record it; what cannot be read back now is said on stderr and shown as not settled."""
    try:
        open_attempts = len(AuditLog(path).unsettled())
    except OSError:
        return  # show_audit says why the file cannot be read
    if not open_attempts:
        return
    try:
        with open_backend() as backend:
            problem = asyncio.run(_settle_with(backend))
    except CcoUnlinkError as error:
        problem = error.message
    if problem:
        print(f"cco-unlink: {messages.unsettled_left(open_attempts, problem)}", file=err)


async def _settle_with(backend: Backend) -> str:
    try:
        await backend.connect()  # settles what it can (Backend.settle_unfinished)
    finally:
        await backend.aclose()
    report = backend.settlement
    return report.problem if report is not None and report.left else ""


def show_audit(path: Path, as_json: bool, out: TextIO, err: TextIO) -> int:
    """Print every record; name each damaged line on stderr and go on past it. A started line
    is shown only while its attempt is open: then it says so."""
    try:
        entries = list(AuditLog(path).read())
    except OSError as error:
        print(f"cco-unlink: {path}: {error.strerror or error}", file=err)
        return exit_codes.FAILURE
    ended = {e.attempt for e in entries if isinstance(e, AuditRecord) and not e.started}
    for entry in entries:
        if isinstance(entry, DamagedLine):
            print(
                "cco-unlink: "
                + messages.audit_line_damaged(str(path), entry.line_number, entry.problem),
                file=err,
            )
        elif as_json:
            print(json.dumps(asdict(entry), ensure_ascii=False), file=out)
        elif not entry.started or entry.attempt not in ended:
            print(_audit_line(entry), file=out)
    return exit_codes.OK


def _audit_line(record: AuditRecord) -> str:
    action = "" if record.action == Action.UNLINK else f"{record.action} "
    said = (
        f"NOT SETTLED: {messages.NOT_SETTLED}"
        if record.started
        else f"{record.outcome}: {record.message}"
    )
    line = (
        f"{record.time}  {record.user}  company {record.company_id}  project "
        f"{record.project_id}  CCO #{record.cco_number or '?'} (id {record.cco_id})  "
        f"{action}{said}"
    )
    # The message may quote Procore's own words: no control character reaches the terminal.
    return printable(line)
