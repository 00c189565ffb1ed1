"""The Backend's side of the wire: the Procore client with its sign-in, and the QuickBooks
connector, over two HTTP clients.

Importing this module loads httpx and its stack, about a tenth of a second: the Backend imports it
on first use, so a restart paints its cached list before paying for it (see Backend.connections).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from typing import TYPE_CHECKING

import httpx

from services.clock import SYSTEM_CLOCK, Clock
from services.http_pool import procore_transport
from services.models import Actor
from services.procore.auth import AuthorizationCode, ClientCredentials, Credentials
from services.procore.client import ProcoreClient
from services.procore.request_counter import RequestCounter
from services.procore.tokens import TokenStore
from services.tls import tls_context
from services.urls import invalid_url

if TYPE_CHECKING:
    from services.audit import AuditLog
    from services.models import User
    from services.quickbooks.connector import QuickBooksConnector
    from services.target import Target
    from services.unlink import UnlinkService


LAZY_PARTS = ("httpcore", "httpcore._backends.anyio", "anyio._backends._asyncio")
"""What httpx and httpcore import only when first used: httpcore with the first client (about
20 ms), anyio's asyncio backend with the first connection (10-15 ms)."""


def load_lazy_parts() -> None:
    """Import LAZY_PARTS now (Backend.open does it in a thread), not on the event loop as the first
    requests go out. A part that a newer release moved is simply left to load when used."""
    for name in LAZY_PARTS:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


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


class Connections:
    def __init__(self, target: Target, clock: Clock = SYSTEM_CLOCK) -> None:
        for label, url in (
            ("Procore URL", target.procore_url),
            ("connector URL", target.connector_url),
        ):
            try:  # the HTTP client's own reading, past Target.check's quicker one
                httpx.URL(url)
            except (httpx.InvalidURL, ValueError):
                raise invalid_url(label, url) from None
        credentials = procore_credentials(target)
        self.sign_in: AuthorizationCode | None = (
            credentials if isinstance(credentials, AuthorizationCode) else None
        )
        """A person's sign-in, which the UI can renew; None for a service account."""
        # Pacing within Procore's rate limit is the transport's; the counter shows it held.
        self.wire = RequestCounter(procore_transport(tls_context(target.procore_url)))
        self._procore_http = httpx.AsyncClient(
            transport=self.wire,
            timeout=httpx.Timeout(target.procore_timeout, connect=10.0),
        )
        self.procore = ProcoreClient(
            target.procore_url,
            credentials,
            per_page=target.per_page,
            http=self._procore_http,
            clock=clock,
        )
        self._target, self._clock = target, clock
        self._quickbooks_http: httpx.AsyncClient | None = None

    @functools.cached_property
    def quickbooks(self) -> QuickBooksConnector:
        """Made when first asked (a check, an unlink, settling): listing never asks, and loading
        the connector and its qbXML took 3-4 ms of a first start's way to its first rows."""
        from services.quickbooks.connector import QuickBooksConnector

        target = self._target
        self._quickbooks_http = httpx.AsyncClient(
            timeout=httpx.Timeout(target.quickbooks_timeout, connect=10.0),
            verify=tls_context(target.connector_url),
        )
        return QuickBooksConnector(
            target.connector_url,
            target.connector_token,
            http=self._quickbooks_http,
            clock=self._clock,
        )

    def unlinker(self, audit: AuditLog, user: User, company_id: int) -> UnlinkService:
        # Here, not at the top: listing needs none of it (nor the audit log it writes to).
        from services.unlink import UnlinkService

        return UnlinkService(
            self.procore, self.quickbooks, audit, Actor(user=user, company_id=company_id)
        )

    async def aclose(self) -> None:
        await self.procore.aclose()
        await self._procore_http.aclose()
        if "quickbooks" in vars(self):  # made (see quickbooks)
            await self.quickbooks.aclose()
        if self._quickbooks_http is not None:
            await self._quickbooks_http.aclose()
