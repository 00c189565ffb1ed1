"""One object the UI and the headless commands hold: signed in to one company, ready to list and
unlink. It owns the Procore client, the QuickBooks connector and the audit log."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from services import locations, messages
from services.clock import SYSTEM_CLOCK, Clock
from services.errors import (
    CcoUnlinkError,
    ProcorePermissionError,
    ProcoreUnreachableError,
    QuickBooksError,
    QuickBooksNotSentError,
    QuickBooksStatusError,
    SettingsError,
)
from services.models import (
    Actor,
    CachedList,
    CcoDetail,
    Company,
    ListChanges,
    LoadProgress,
    OutcomeKind,
    SyncedCco,
    UnlinkOutcome,
    User,
)
from services.procore import environments
from services.procore.endpoints import web_change_order
from services.target import Target

# The audit log, the list cache, the catalogue, deleting and checking are imported where first
# used: a Backend is made before the app's first frame, which uses none of them (a first start's
# shows "Connecting to Procore…"), and together they held it back by about 8 ms.
if TYPE_CHECKING:
    from services.audit import AuditLog
    from services.cache import ListCache
    from services.catalog import ProjectPreference
    from services.cco_delete import DeleteOutcome
    from services.check import CheckResult
    from services.connections import Connections
    from services.procore.auth import AuthorizationCode
    from services.procore.client import ProcoreClient
    from services.procore.request_counter import RequestCounter
    from services.quickbooks.connector import QuickBooksConnector
    from services.quickbooks.deletion import DeletePlan
    from services.settle import SettleReport
    from services.unlink import UnlinkService

log = logging.getLogger(__name__)


# Changes are asked for from a little before the cached list was saved: a change made while that
# list was loading, or a clock a little ahead of Procore's, is then still seen. Rows seen twice
# are simply replaced.
CHANGES_OVERLAP = timedelta(minutes=10)


def _now() -> datetime:
    return datetime.now(UTC)


def _load_the_wire(settling: bool) -> None:
    """Import the network side and what its first requests would import on the event loop,
    each import a pause of the screen: the HTTP stack's lazy parts (services/connections.py),
    the catalogue the load reads the list with and, when there is an audit log to read
    (`settling`), the reading back of unfinished attempts that follows signing in."""
    importlib.import_module("services.connections").load_lazy_parts()
    importlib.import_module("services.catalog")
    if settling:
        importlib.import_module("services.settle")
        importlib.import_module("services.quickbooks.connector")


def _retrieved(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()


class Backend:
    def __init__(
        self,
        target: Target,
        clock: Clock = SYSTEM_CLOCK,
        *,
        before_connecting: Callable[[], None] | None = None,
    ) -> None:
        target.check()
        self.target = target
        self.clock = clock
        """The time the Procore client paces itself by; tests hand in one that skips waits."""
        self._before_connecting = before_connecting
        """Called once, before anything is sent: starts an embedded sandbox left to wait."""
        self.user: User | None = None
        self.company: Company | None = None
        self._connections: Connections | None = None
        self._unlinker: UnlinkService | None = None
        self._read_ahead: tuple[str, Future[CachedList | None]] | None = None
        self._wire_loading: asyncio.Future[None] | None = None
        self.settlement: SettleReport | None = None
        """What the last connect() found of attempts a stopped run left open, and settled."""

    @functools.cached_property
    def preference(self) -> ProjectPreference:
        """The projects a filter names, loaded before the others."""
        from services.catalog import ProjectPreference

        return ProjectPreference()

    @functools.cached_property
    def audit(self) -> AuditLog:
        from services.audit import AuditLog

        return AuditLog(self.target.audit_path)

    @property
    def is_sandbox(self) -> bool:
        return self.target.is_sandbox

    @property
    def is_production(self) -> bool:
        return self.target.environment == "production"

    @property
    def environment_label(self) -> str:
        """Which Procore this is, as a person calls it."""
        fallback = environments.LABELS[
            environments.EMBEDDED_SANDBOX if self.is_sandbox else environments.CUSTOM
        ]
        return environments.LABELS.get(self.target.environment, fallback)

    def web_address(self, cco: SyncedCco) -> str:
        """Where a person opens the CCO in Procore's web app, to correct or delete it there."""
        root = environments.WEB_ROOTS.get(self.target.environment, self.target.procore_url)
        return root.rstrip("/") + web_change_order(cco.project_id, cco.id)

    async def open(self) -> Connections:
        """The side of the wire, made on first use. Its import costs about a tenth of a second
        (httpx and its stack); run in a thread, it leaves the event loop free to paint."""
        if self._connections is None:
            self.start_connecting()
            assert self._wire_loading is not None
            try:
                # Shared with any other caller, and left running if this one is cancelled.
                await asyncio.shield(self._wire_loading)
            except Exception:
                self._wire_loading = None  # a later open() (a refresh) tries again
                raise
        return self.connections

    def start_connecting(self) -> None:
        """Begin what connecting waits for, without waiting: the embedded sandbox's child (its
        start-up, on another core, is most of a first start's wait) and the network side's
        code, loaded in a thread. For the UI to call as soon as its first frame is out, so that
        both run while it loads and lays out the rest of its screen; open() does it otherwise.
        Must be called on the event loop."""
        if self._connections is None and self._wire_loading is None:
            self.start_target()
            # In the thread at once, not once the event loop next runs a task: the caller may
            # hold the loop a while yet (the UI loading the list's screen).
            loop = asyncio.get_running_loop()
            settling = self.target.audit_path.exists()
            self._wire_loading = loop.run_in_executor(None, _load_the_wire, settling)
            # Its failure is open()'s to raise; an app that quits first has nothing to say.
            self._wire_loading.add_done_callback(_retrieved)

    def start_target(self) -> None:
        """Start what this backend connects to, when that is ours to start (the embedded
        sandbox's child, started once); nothing otherwise. For the UI to call as it makes its
        first frame: that child's start-up is most of a first start's wait."""
        start, self._before_connecting = self._before_connecting, None
        if start is not None:
            start()

    @property
    def connections(self) -> Connections:
        if self._connections is None:
            self.start_target()
            from services.connections import Connections  # see open()

            self._connections = Connections(self.target, self.clock)
        return self._connections

    @property
    def procore(self) -> ProcoreClient:
        return self.connections.procore

    @property
    def quickbooks(self) -> QuickBooksConnector:
        return self.connections.quickbooks

    @property
    def wire(self) -> RequestCounter:
        """Every request sent to Procore, and how many were answered 429."""
        return self.connections.wire

    @property
    def sign_in(self) -> AuthorizationCode | None:
        """A person's sign-in, which the UI can renew; None for a service account."""
        return self.connections.sign_in

    async def connect(self) -> tuple[User, Company]:
        """Sign in and settle on the company: the configured one, else the first the user has."""
        procore = (await self.open()).procore
        try:
            # Not cancelled when the other fails: it may be saving a single-use refresh token.
            user, companies = await asyncio.gather(procore.me(), procore.companies())
        except ProcoreUnreachableError as error:
            if self.target.is_sandbox:
                raise ProcoreUnreachableError(
                    messages.sandbox_not_answering(error.message, locations.log_file())
                ) from error
            raise
        wanted = self.target.company_id
        if wanted:
            chosen = next((c for c in companies if c.id == wanted), None)
            if chosen is None:
                raise ProcorePermissionError(messages.company_out_of_reach(user.login, wanted))
        elif companies:
            chosen = companies[0]
        else:
            raise ProcorePermissionError(messages.no_company(user.login))
        self.user, self.company = user, chosen
        self._unlinker = None
        self.settlement = await self.settle_unfinished()
        return user, chosen

    async def settle_unfinished(self) -> SettleReport | None:
        """Read back what attempts left open by a stopped run did, and record it (see
        services/settle.py). Never raises for the backend's sake: what cannot be read back now
        stays open, and is named in the report. None without an audit log: nothing was ever
        attempted here (a first start), and nothing is loaded to say so."""
        if not self.target.audit_path.exists():
            return None
        from services.settle import Backends, SettleReport, settle_unfinished

        assert self.company is not None
        backends = Backends(self.procore, self.quickbooks)
        try:
            return await settle_unfinished(self.audit, backends, self.company.id)
        except CcoUnlinkError as error:
            log.warning("open attempts not settled: %s", error.message)
            return SettleReport(problem=error.message)
        except OSError as error:
            # The log cannot be read: an unlink will refuse, saying why (UnlinkService).
            log.warning("audit log %s not read: %s", self.audit.path, error)
            return SettleReport(problem=str(error))

    async def complete_sign_in(self, code: str) -> tuple[User, Company]:
        """Exchange the code the person pasted, keep the tokens, and connect again as them."""
        if self.sign_in is None:
            raise SettingsError("This Procore connection signs in as a service account.")
        await self.sign_in.exchange((await self.open()).procore.transport.http, code)
        self.user = self.company = None
        self._unlinker = None
        return await self.connect()

    async def synced_ccos(
        self, resume: CachedList | None = None
    ) -> AsyncIterator[tuple[list[SyncedCco], LoadProgress]]:
        """Every synced CCO, project by project, each project saved to the cached list as it
        comes in: a load stopped part-way (quit, crash) leaves an unfinished list, and passing
        that list as `resume` loads only the projects it lacks. The finished list is dated from
        when its load began, so the next start asks for every change since then."""
        company = await self._company()
        cache = self._cache()
        skip: frozenset[int] = frozenset()
        if cache is not None and resume is not None and resume.loaded_projects is not None:
            started, skip, resuming = resume.saved_at, resume.loaded_projects, True
        else:
            started, resuming = _now(), False
        opened: asyncio.Future[None] | None = None
        begun: asyncio.Future[None] | None = None
        from services import catalog

        with cache.kept_open() if cache is not None else contextlib.nullcontext():
            if cache is not None:
                # While the projects are asked for: the first write finds the file open.
                opened = asyncio.ensure_future(asyncio.to_thread(cache.open_for_writes))
            async for loaded in catalog.synced_ccos(
                self.procore,
                company.id,
                skip=skip,
                preference=self.preference,
                clock=self.clock,
            ):
                if cache is not None and not resuming and not loaded.project_id:
                    # Procore has listed the projects: only now is the kept list given up for
                    # this load's (a refresh that cannot reach Procore leaves it as it was).
                    # In its thread while the first project's requests go out; done before
                    # anything is saved.
                    begun = asyncio.ensure_future(asyncio.to_thread(cache.begin_load, started))
                if cache is not None and loaded.project_id:
                    if begun is not None:
                        await begun
                    await asyncio.to_thread(cache.save_project, loaded.project_id, loaded.rows)
                yield loaded.rows, loaded.progress
            if cache is not None:
                for writing in (opened, begun):
                    if writing is not None:
                        await writing
                await asyncio.to_thread(cache.finish_load, started)

    def prefer_projects(self, words: Sequence[str]) -> None:
        """Load the projects these words name (the person's filter) before the others."""
        self.preference.set(words)

    def prepare_first_screen(self) -> None:
        """Begin reading, in a thread, the cached list when one may be kept for this sign-in.
        Called before the app's first frame, so a restart's rows are in memory when its screen
        mounts. Without one, nothing: the network side's code loads on first use (open()), as
        loading it here held the first frame up by 20-30 ms (a thread shares the interpreter
        lock) and brought the first rows no sooner. Nor without a cache file (a first start):
        its thread found nothing, while it took the interpreter lock from the first frame."""
        path = self.target.cache_path
        if self._read_ahead is not None or path is None or not path.exists():
            return
        cache = self._cache()
        if cache is not None:
            reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="first-screen")
            self._read_ahead = (cache.scope, reader.submit(cache.head))
            reader.shutdown(wait=False)

    @property
    def reading_cached_list(self) -> bool:
        """Whether prepare_first_screen found a cached list to read: a restart's."""
        return self._read_ahead is not None

    def cached_list_at_hand(self, wait_s: float = 0.0) -> CachedList | None:
        """The cached list if prepare_first_screen has read it, waiting up to `wait_s` for the
        read to end; None otherwise. cached_list() answers with the same list."""
        cache, ahead = self._cache(), self._read_ahead
        if cache is None or ahead is None or ahead[0] != cache.scope:
            return None
        with contextlib.suppress(FutureTimeout):
            ahead[1].exception(timeout=wait_s)
        if not ahead[1].done():
            return None
        return None if ahead[1].exception() else ahead[1].result()

    async def cached_list(self) -> CachedList | None:
        """The first rows of the list as last loaded by this user in this company, if it was
        kept; cached_rest() reads the others."""
        cache = self._cache()
        if cache is None:
            return None
        ahead, self._read_ahead = self._read_ahead, None
        if ahead is not None and ahead[0] == cache.scope:
            # Already read: answered without yielding, so the caller can use it before the
            # event loop paints anything.
            try:
                return ahead[1].result() if ahead[1].done() else await asyncio.wrap_future(ahead[1])
            except Exception:
                # Only a convenience: the list then comes from Procore.
                log.exception("Reading the list cache ahead failed")
                return None
        if not cache.path.exists():
            return None
        return await asyncio.to_thread(cache.head)

    async def cached_rest(self, cached: CachedList) -> AsyncIterator[list[SyncedCco]]:
        """The rows of the cached list after `cached`'s first ones, a chunk at a time, read and
        decoded in a thread. Raises CacheUnreadableError when the cache fails part-way."""
        cache = self._cache()
        if cache is None or cached.complete:
            return
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[list[SyncedCco] | None] = asyncio.Queue()

        def read() -> None:
            try:
                for chunk in cache.rest(cached):
                    loop.call_soon_threadsafe(chunks.put_nowait, chunk)
            finally:
                loop.call_soon_threadsafe(chunks.put_nowait, None)

        reading = asyncio.ensure_future(asyncio.to_thread(read))
        try:
            while (chunk := await chunks.get()) is not None:
                yield chunk
            await reading  # its failure, if any
        finally:
            reading.cancel()

    async def changed_ccos(self, cached: CachedList | None = None) -> AsyncIterator[ListChanges]:
        """What changed in Procore since `cached` (by default, the cached list read afresh) was
        saved, project by project; once every project has answered, the cache holds the list
        as it is now."""
        from services import catalog

        cache = self._cache()
        if cached is None:
            cached = await self.cached_list()
        if cache is None or cached is None:
            raise SettingsError("There is no cached list to bring up to date.")
        company = await self._company()
        # One load of one company fills a scope: its first rows say whose it is.
        if any(cco.company_id != company.id for cco in cached.rows):
            raise SettingsError("The cached list belongs to another company.")
        started = _now()
        projects = await asyncio.to_thread(cache.projects)
        changed: list[SyncedCco] = []
        removed: list[int] = []
        removed_projects: list[int] = []
        since = cached.saved_at - CHANGES_OVERLAP
        async for changes in catalog.changed_ccos(self.procore, company.id, since, projects):
            changed += changes.changed
            removed += changes.removed
            removed_projects += changes.removed_projects
            yield changes
        await asyncio.to_thread(cache.apply, changed, removed, removed_projects, started)

    async def unlink(self, cco: SyncedCco) -> UnlinkOutcome:
        if self._unlinker is None:
            user, company = self.user, self.company
            if user is None or company is None:
                user, company = await self.connect()
            self._unlinker = self.connections.unlinker(self.audit, user, company.id)
        outcome = await self._unlinker.unlink(cco)
        cache = self._cache()
        if cache is not None and (outcome.kind.succeeded or outcome.kind is OutcomeKind.NOT_FOUND):
            await asyncio.to_thread(cache.forget, cco.id)
        return outcome

    async def detail(self, cco: SyncedCco) -> CcoDetail:
        """The CCO read fresh from Procore: status, creator, line items with cost codes."""
        company = await self._company()
        return await self.procore.change_order_detail(company.id, cco.project_id, cco.id)

    async def delete_in_procore(self, cco: SyncedCco) -> DeleteOutcome:
        """Delete the CCO in Procore (step 3), only once it is unlinked; audited."""
        company = await self._company()
        assert self.user is not None
        from services.cco_delete import CcoDeleter

        deleter = CcoDeleter(self.procore, self.audit, Actor(self.user, company.id))
        return await deleter.delete(cco)

    async def check(self, cco: SyncedCco) -> CheckResult:
        """Whether the CCO is still in QuickBooks Desktop, with the evidence; changes nothing."""
        company = await self._company()
        from services.check import QuickBooksCheck

        return await QuickBooksCheck(self.procore, self.quickbooks, company.id).check(cco)

    @property
    def can_delete_in_quickbooks(self) -> bool:
        """Step 1 from the screen: always on the sandbox's simulated QuickBooks; on a real
        company only with [quickbooks] allow_delete."""
        return self.is_sandbox or self.target.allow_quickbooks_delete

    async def plan_quickbooks_delete(self, cco: SyncedCco) -> DeletePlan | None:
        """What deleting the CCO's lines in QuickBooks would take, for the person to confirm;
        None when none of its lines is left there. Changes nothing."""
        if not self.can_delete_in_quickbooks:
            raise QuickBooksError(messages.QUICKBOOKS_DELETE_NOT_ALLOWED)
        if cco.link is None:
            raise QuickBooksError(messages.NO_QUICKBOOKS_LOCATION)
        return await (await self.open()).quickbooks.plan_delete(cco.link)

    async def delete_in_quickbooks(
        self, cco: SyncedCco, confirmed: DeletePlan | None = None
    ) -> str:
        """Delete the CCO's lines from its purchase order in QuickBooks, as step 1 of the fix:
        only what the person `confirmed`, recorded in the audit log before it is sent. Without
        a confirmed plan, only on the sandbox's simulated QuickBooks."""
        if not self.can_delete_in_quickbooks:
            raise QuickBooksError(messages.QUICKBOOKS_DELETE_NOT_ALLOWED)
        if cco.link is None:
            raise QuickBooksError(messages.NO_QUICKBOOKS_LOCATION)
        if confirmed is None and not self.is_sandbox:
            raise QuickBooksError(messages.QUICKBOOKS_DELETE_UNCONFIRMED)
        from services.audit import Action, QuickBooksDeleted, Subject, Who

        user, company = self.user, self.company
        if user is None or company is None:
            user, company = await self.connect()
        who, subject = (
            Who(user.login, user.id),
            Subject(company.id, cco.project_id, cco.id, cco.number),
        )
        quickbooks = (await self.open()).quickbooks
        evidence = confirmed.evidence() if confirmed else cco.link.po_txn_id
        with self.audit.attempt(
            Action.QUICKBOOKS_DELETE, who, subject, uuid.uuid4().hex, evidence=evidence
        ) as attempt:
            try:
                deleted = await quickbooks.delete_lines(cco.link, confirmed)
            except QuickBooksError as error:
                # A refusal, or a failure before the change was sent, changed nothing; any other
                # failure may have come after the change was made: a later run reads it back.
                unchanged = isinstance(error, QuickBooksStatusError | QuickBooksNotSentError)
                if not unchanged:
                    error.message = messages.quickbooks_delete_unknown(error.message)
                problem = attempt.settle(
                    QuickBooksDeleted.FAILED, error.message, confirmed=unchanged
                )
                if problem:
                    # The person hears of the failure through this error: of the audit too.
                    error.message = f"{error.message} {problem}"
                raise
            if deleted is None:
                message = messages.QUICKBOOKS_LINES_ALREADY_GONE
            elif deleted.whole_order:
                message = messages.QUICKBOOKS_ORDER_DELETED
            else:
                message = messages.QUICKBOOKS_LINES_DELETED
            problem = attempt.settle(
                QuickBooksDeleted.ALREADY_GONE if deleted is None else QuickBooksDeleted.YES,
                message,
                evidence=deleted.evidence() if deleted else None,
            )
        return f"{message} {problem}".rstrip()

    async def aclose(self) -> None:
        if self._connections is not None:
            await self._connections.aclose()

    def _cache(self) -> ListCache | None:
        """The cache of this sign-in: known before connecting, so a start can show it at once.
        The company is the one configured (0: the user's first), as the connection picks it."""
        if self.target.cache_path is None:
            return None
        # A service account is its client id. A person is known only once signed in: their list
        # must never be shown to whoever signs in next on the same machine.
        if self.target.grant == "authorization_code":
            if self.user is None:
                return None
            who = f"{self.target.client_id}:{self.user.login}"
        else:
            who = self.target.client_id
        from services.cache import ListCache, scope_of

        scope = scope_of(
            self.target.cache_scope or self.target.procore_url, self.target.company_id, who
        )
        return ListCache(self.target.cache_path, scope)

    async def _company(self) -> Company:
        if self.company is None:
            await self.connect()
        assert self.company is not None
        return self.company
