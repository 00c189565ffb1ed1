"""What `cco-unlink setup` asks of Procore and QuickBooks Desktop, with no UI.

Setup signs in with the answers given so far (before the connector is known), lists the companies
the user can pick, and at the end tests both connections exactly as the app will make them: the
same Target, the same clients. Each failure raises or reports a CcoUnlinkError's message, which the
screen shows beside the answer that caused it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from services import messages
from services.connections import Connections, procore_credentials
from services.errors import CcoUnlinkError, ProcorePermissionError
from services.models import Company, User
from services.procore.auth import AuthorizationCode
from services.procore.client import ProcoreClient
from services.quickbooks.connector import QuickBooksConnector
from services.target import Target

PROBE_TXN_ID = "0-0000000000"
"""A TxnID QuickBooks never hands out (its counters start above 0): asking for that purchase order
is answered "no such object", which shows the connector, its token and QuickBooks all work, and
reads nothing from the company file."""


@dataclass(frozen=True)
class SignedIn:
    user: User
    companies: list[Company]


class SetupSignIn:
    """A sign-in with setup's answers so far: a service account's, or a person's by code."""

    def __init__(self, target: Target) -> None:
        target.check_procore()
        self._credentials = procore_credentials(target)
        self._client = ProcoreClient(
            target.procore_url, self._credentials, timeout=target.procore_timeout
        )
        # One address per sign-in: the person may have opened it already when a code fails.
        self.authorize_url: str | None = (
            self._credentials.authorize_url()
            if isinstance(self._credentials, AuthorizationCode)
            else None
        )
        """Where a person approves cco-unlink; None for a service account."""

    @property
    def needs_code(self) -> bool:
        """A person with no kept sign-in for this environment and client."""
        credentials = self._credentials
        return isinstance(credentials, AuthorizationCode) and not credentials.signed_in

    async def sign_in(self, code: str | None = None) -> SignedIn:
        """Exchange the pasted code (a person), then ask Procore who this is and which companies
        they belong to. Raises a CcoUnlinkError saying what went wrong."""
        if code is not None and isinstance(self._credentials, AuthorizationCode):
            await self._credentials.exchange(self._client.transport.http, code)
        user, companies = await asyncio.gather(self._client.me(), self._client.companies())
        if not companies:
            raise ProcorePermissionError(messages.no_company(user.login))
        return SignedIn(user, companies)

    async def aclose(self) -> None:
        await self._client.aclose()


@dataclass(frozen=True)
class Check:
    ok: bool
    message: str


@dataclass(frozen=True)
class ConnectionChecks:
    procore: Check
    quickbooks: Check

    @property
    def ok(self) -> bool:
        return self.procore.ok and self.quickbooks.ok


async def check_connections(target: Target) -> ConnectionChecks:
    """Both connections as the app will open them, each with a line saying how it went. A target
    that cannot work at all (a missing token, a URL refused) raises SettingsError instead."""
    target.check()
    connections = Connections(target)
    try:
        procore, quickbooks = await asyncio.gather(
            _check_procore(connections.procore, target.company_id),
            _check_quickbooks(connections.quickbooks, target.connector_token_env),
        )
    finally:
        await connections.aclose()
    return ConnectionChecks(procore, quickbooks)


async def _check_procore(procore: ProcoreClient, company_id: int) -> Check:
    try:
        user, companies = await asyncio.gather(procore.me(), procore.companies())
    except CcoUnlinkError as error:
        return Check(False, messages.setup_procore_failed(error.message))
    company = next((c for c in companies if c.id == company_id), None)
    if company is None:
        detail = messages.setup_company_out_of_reach(user.login, company_id)
        return Check(False, messages.setup_procore_failed(detail))
    return Check(True, messages.setup_procore_ok(user.name, user.login, company.name, company.id))


async def _check_quickbooks(quickbooks: QuickBooksConnector, token_env: str) -> Check:
    try:
        await quickbooks.purchase_order(PROBE_TXN_ID)
    except CcoUnlinkError as error:
        return Check(False, messages.setup_quickbooks_failed(error.message, token_env))
    return Check(True, messages.setup_quickbooks_ok(quickbooks.url))
