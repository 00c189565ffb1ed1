"""One object the UI and the headless commands hold: signed in to one company, ready to list and
unlink. It owns the Procore client, the QuickBooks connector and the audit log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from services import catalog, messages
from services.audit import AuditLog
from services.cache import ListCache, scope_of
from services.errors import ProcorePermissionError, QuickBooksError, SettingsError
from services.models import (
    CachedList,
    Company,
    ListChanges,
    LoadProgress,
    OutcomeKind,
    SyncedCco,
    UnlinkOutcome,
    User,
)
from services.procore import AuthorizationCode, ClientCredentials, Credentials, ProcoreClient
from services.procore.auth import OOB_REDIRECT
from services.procore.request_counter import RequestCounter
from services.procore.tokens import TokenStore
from services.quickbooks import QuickBooksConnector
from services.tls import tls_context
from services.unlink import Actor, UnlinkService
from services.urls import check_url


@dataclass(frozen=True)
class Target:
    """Where to connect and as whom; built from settings, flags and the environment."""

    procore_url: str
    connector_url: str
    client_id: str
    client_secret: str
    connector_token: str
    company_id: int
    audit_path: Path
    is_sandbox: bool = False
    procore_timeout: float = 30.0
    quickbooks_timeout: float = 60.0
    per_page: int = 100
    grant: str = "client_credentials"
    login_url: str = ""
    redirect_uri: str = OOB_REDIRECT
    token_file: Path | None = None
    """Where a person's sign-in is kept (authorization_code grant only)."""
    cache_path: Path | None = None
    """Where the last loaded list is kept for the next start; None keeps none."""
    cache_scope: str = ""
    """What a cached list belongs to besides company and user; "" means the Procore URL. The
    embedded sandbox names its data file instead: its URL changes with every start."""

    def __repr__(self) -> str:
        return f"Target(procore_url={self.procore_url!r}, client_id={self.client_id!r})"

    def check(self) -> None:
        """Refuse a target that cannot work, before any connection is tried."""
        for label, url in (
            ("Procore URL", self.procore_url),
            ("Procore sign-in URL", self.login_url),
            ("connector URL", self.connector_url),
        ):
            if url:
                check_url(label, url)
        if not self.client_id:
            raise SettingsError("No Procore client id: set [procore] client_id or --client-id.")
        if self.grant == "authorization_code" and self.token_file is None:
            raise SettingsError("The authorization_code grant needs a place to keep the sign-in.")
        if not self.client_secret:
            raise SettingsError(
                "No Procore client secret: set PROCORE_CLIENT_SECRET or [procore] client_secret."
            )
        if not self.connector_token:
            raise SettingsError(
                "No QuickBooks connector token: set QUICKBOOKS_CONNECTOR_TOKEN or "
                "[quickbooks] token."
            )


def procore_credentials(target: Target) -> Credentials:
    """The sign-in the target asks for: a service account's, or a person's kept in a file."""
    login_url = target.login_url or target.procore_url
    if target.grant == "authorization_code":
        assert target.token_file is not None  # Target.check
        return AuthorizationCode(
            target.client_id,
            target.client_secret,
            login_url,
            TokenStore(target.token_file),
            redirect_uri=target.redirect_uri,
        )
    return ClientCredentials(target.client_id, target.client_secret, login_url)


# Changes are asked for from a little before the cached list was saved: a change made while that
# list was loading, or a clock a little ahead of Procore's, is then still seen. Rows seen twice
# are simply replaced.
CHANGES_OVERLAP = timedelta(minutes=10)


def _now() -> datetime:
    return datetime.now(UTC)


class Backend:
    def __init__(self, target: Target) -> None:
        target.check()
        self.target = target
        credentials = procore_credentials(target)
        self.sign_in: AuthorizationCode | None = (
            credentials if isinstance(credentials, AuthorizationCode) else None
        )
        """A person's sign-in, which the UI can renew; None for a service account."""
        # Pacing within Procore's rate limit is the transport's; the counter shows it held.
        self.wire = RequestCounter(httpx.AsyncHTTPTransport(verify=tls_context(target.procore_url)))
        self._procore_http = httpx.AsyncClient(
            transport=self.wire,
            timeout=httpx.Timeout(target.procore_timeout, connect=10.0),
        )
        self.procore = ProcoreClient(
            target.procore_url,
            credentials,
            per_page=target.per_page,
            http=self._procore_http,
        )
        self._quickbooks_http = httpx.AsyncClient(
            timeout=httpx.Timeout(target.quickbooks_timeout, connect=10.0),
            verify=tls_context(target.connector_url),
        )
        self.quickbooks = QuickBooksConnector(
            target.connector_url, target.connector_token, http=self._quickbooks_http
        )
        self.audit = AuditLog(target.audit_path)
        self.user: User | None = None
        self.company: Company | None = None
        self._unlinker: UnlinkService | None = None

    @property
    def is_sandbox(self) -> bool:
        return self.target.is_sandbox

    async def connect(self) -> tuple[User, Company]:
        """Sign in and settle on the company: the configured one, else the first the user has."""
        user = await self.procore.me()
        companies = await self.procore.companies()
        wanted = self.target.company_id
        if wanted:
            chosen = next((c for c in companies if c.id == wanted), None)
            if chosen is None:
                raise ProcorePermissionError(
                    f"User '{user.login}' has no access to company {wanted}."
                )
        elif companies:
            chosen = companies[0]
        else:
            raise ProcorePermissionError(f"User '{user.login}' belongs to no Procore company.")
        self.user, self.company = user, chosen
        self._unlinker = UnlinkService(
            self.procore, self.quickbooks, self.audit, Actor(user=user, company_id=chosen.id)
        )
        return user, chosen

    async def complete_sign_in(self, code: str) -> tuple[User, Company]:
        """Exchange the code the person pasted, keep the tokens, and connect again as them."""
        if self.sign_in is None:
            raise SettingsError("This Procore connection signs in as a service account.")
        await self.sign_in.exchange(self.procore.transport.http, code)
        self.user = self.company = None
        self._unlinker = None
        return await self.connect()

    async def synced_ccos(self) -> AsyncIterator[tuple[list[SyncedCco], LoadProgress]]:
        """Every synced CCO, project by project; a complete load replaces the cached list."""
        company = await self._company()
        started = _now()
        loaded: list[SyncedCco] = []
        async for batch, progress in catalog.synced_ccos(self.procore, company.id):
            loaded += batch
            yield batch, progress
        cache = self._cache()
        if cache is not None:
            await asyncio.to_thread(cache.save, loaded, started)

    async def cached_list(self) -> CachedList | None:
        """The list as last loaded by this user in this company, if it was kept."""
        cache = self._cache()
        if cache is None:
            return None
        return await asyncio.to_thread(cache.load)

    async def changed_ccos(self) -> AsyncIterator[ListChanges]:
        """What changed in Procore since the cached list was saved, project by project; once
        every project has answered, the cache holds the list as it is now."""
        cache = self._cache()
        cached = await self.cached_list()
        if cache is None or cached is None:
            raise SettingsError("There is no cached list to bring up to date.")
        company = await self._company()
        if any(cco.company_id != company.id for cco in cached.rows):
            raise SettingsError("The cached list belongs to another company.")
        started = _now()
        projects = {cco.project_id for cco in cached.rows}
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
            await self.connect()
        assert self._unlinker is not None
        outcome = await self._unlinker.unlink(cco)
        cache = self._cache()
        if cache is not None and (outcome.kind.succeeded or outcome.kind is OutcomeKind.NOT_FOUND):
            await asyncio.to_thread(cache.forget, cco.id)
        return outcome

    async def delete_in_quickbooks(self, cco: SyncedCco) -> str:
        """Sandbox only: delete the CCO's lines from its purchase order, as step 1 of the fix."""
        if not self.is_sandbox:
            raise QuickBooksError("Deleting in QuickBooks Desktop is offered in the sandbox only.")
        if cco.link is None:
            raise QuickBooksError(messages.NO_QUICKBOOKS_LOCATION)
        deleted = await self.quickbooks.delete_lines(cco.link)
        return (
            messages.QUICKBOOKS_LINES_DELETED if deleted else messages.QUICKBOOKS_LINES_ALREADY_GONE
        )

    async def aclose(self) -> None:
        await self.procore.aclose()
        await self._procore_http.aclose()
        await self.quickbooks.aclose()
        await self._quickbooks_http.aclose()

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
        scope = scope_of(
            self.target.cache_scope or self.target.procore_url, self.target.company_id, who
        )
        return ListCache(self.target.cache_path, scope)

    async def _company(self) -> Company:
        if self.company is None:
            await self.connect()
        assert self.company is not None
        return self.company
