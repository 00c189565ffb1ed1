"""OAuth 2.0 sign-in to Procore: client credentials for service accounts, the authorization-code
grant (with the out-of-band redirect) for people, and single-use refresh tokens.

Both hand the transport a valid access token, one sign-in or refresh at a time, and drop a token
the server refused so the next call gets a fresh one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

import httpx

from services import messages, plain_text, safe_json, wire
from services.errors import (
    ProcoreAuthError,
    ProcoreReplyError,
    ProcoreSignInRequiredError,
    ProcoreUnavailableError,
    ProcoreUnreachableError,
)
from services.procore import endpoints
from services.procore.tokens import TokenPair, TokenStore, pair_from_answer
from services.wire import NoAnswer, UnusableReply

log = logging.getLogger(__name__)

# Procore's tokens last 5400 s; asking for a new one a minute early means no call ever goes out
# with a token that dies in flight.
_EXPIRY_MARGIN_SECONDS = 60.0


class Credentials(Protocol):
    """What the transport needs from a sign-in."""

    async def access_token(self, http: httpx.AsyncClient, base_url: str) -> str: ...

    def forget(self, access_token: str) -> None: ...


class ProcoreAuth(httpx.Auth):
    """Signs every request to Procore's API, and on a 401 renews the token and sends the request
    once more: the one place where a refused token is handled."""

    def __init__(self, credentials: Credentials, http: httpx.AsyncClient, base_url: str) -> None:
        self.credentials = credentials
        self._http = http
        self._base_url = base_url

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.credentials.access_token(self._http, self._base_url)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        self.credentials.forget(token)
        token = await self.credentials.access_token(self._http, self._base_url)
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


T = TypeVar("T")


class _Once:
    """A sign-in step no caller can cancel: a token request, a refresh, a code exchange.

    A refresh token is single-use and a code is good once: a request cancelled in flight may have
    spent it with its answer never saved. So the step runs as a task of its own, which callers
    await through a shield. Callers arriving meanwhile share it; a cancelled caller leaves it to
    finish and save its result for the others and the next."""

    def __init__(self) -> None:
        self._task: asyncio.Future[Any] | None = None

    async def run(self, start: Callable[[], Awaitable[T]]) -> T:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(start())
            self._task.add_done_callback(_retrieved)
        result: T = await asyncio.shield(self._task)
        return result


def _retrieved(task: asyncio.Future[Any]) -> None:
    """Mark the step's failure as seen: when every caller was cancelled, nobody else reads it."""
    if not task.cancelled():
        task.exception()


@dataclass
class _Token:
    access_token: str = field(repr=False)
    expires_at: float


async def _post_token(http: httpx.AsyncClient, login_url: str, form: dict[str, str]) -> Any:
    """POST a grant to /oauth/token; the parsed answer, or the typed failure."""
    try:
        response = await wire.exchange(http, "POST", f"{login_url}{endpoints.TOKEN}", data=form)
    except (httpx.TransportError, NoAnswer) as error:
        nothing_answered = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
        failure = ProcoreUnreachableError if nothing_answered else ProcoreUnavailableError
        detail = error.reason if isinstance(error, NoAnswer) else type(error).__name__
        raise failure(f"Procore could not be reached to sign in ({detail}).") from None
    except UnusableReply as error:
        raise ProcoreReplyError(
            f"Procore's sign-in answer could not be used: {error.reason}."
        ) from None
    if response.status_code in (400, 401, 403):
        raise ProcoreAuthError(_oauth_error_text(response))
    if response.status_code != 200:
        raise ProcoreUnavailableError(f"Procore's sign-in answered HTTP {response.status_code}.")
    try:
        return safe_json.loads(response.content)
    except ValueError as error:
        detail = str(error) if isinstance(error, safe_json.NestedTooDeep) else "not JSON"
        raise ProcoreReplyError(f"Procore's sign-in answer could not be read: {detail}.") from None


def _oauth_error_text(response: httpx.Response) -> str:
    try:
        body = safe_json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        said = body.get("error_description") or body.get("errors") or body.get("error")
        if isinstance(said, str) and said:
            return plain_text.said(said)
    return f"HTTP {response.status_code}"


class ClientCredentials:
    """Holds a client id and secret and hands out a valid access token, one sign-in at a time."""

    def __init__(self, client_id: str, client_secret: str, login_url: str = "") -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self._login_url = login_url.rstrip("/")
        self._token: _Token | None = None
        self._requesting = _Once()

    def __repr__(self) -> str:
        return f"ClientCredentials(client_id={self.client_id!r})"

    async def access_token(self, http: httpx.AsyncClient, base_url: str) -> str:
        token = self._token
        if token is None or token.expires_at - _EXPIRY_MARGIN_SECONDS <= time.time():
            token = await self._requesting.run(
                lambda: self._request_token(http, self._login_url or base_url)
            )
        return token.access_token

    def forget(self, access_token: str) -> None:
        """Drop a token the server refused, unless another task already replaced it."""
        if self._token is not None and self._token.access_token == access_token:
            self._token = None

    async def _request_token(self, http: httpx.AsyncClient, login_url: str) -> _Token:
        if not self._client_secret:
            raise ProcoreAuthError(messages.NO_CLIENT_SECRET)
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        try:
            body = await _post_token(http, login_url, form)
        except ProcoreAuthError:
            raise ProcoreAuthError(
                f"Procore refused the sign-in of client '{self.client_id}': check the client id "
                "and secret."
            ) from None
        try:
            access_token = body["access_token"]
            expires_in = float(body.get("expires_in", 5400))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ProcoreReplyError("Procore's sign-in answer could not be read.") from None
        if not isinstance(access_token, str) or not access_token:
            raise ProcoreReplyError("Procore's sign-in answer holds no access token.")
        # Procore gives a service account no refresh token: a new grant is the refresh.
        self._token = _Token(access_token=access_token, expires_at=time.time() + expires_in)
        return self._token


class AuthorizationCode:
    """A person's sign-in: the authorize URL, the code exchange, and single-use refresh tokens.

    The token pair lives in a TokenStore. Every refresh returns a new pair and kills the old one
    whatever the outcome, so the new pair is written to disk before it is used, and only one
    refresh runs at a time: across tasks (a lock) and across processes (the store's file lock).
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        login_url: str,
        store: TokenStore,
        *,
        redirect_uri: str = endpoints.OOB_REDIRECT,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.login_url = login_url.rstrip("/")
        self.store = store
        self.redirect_uri = redirect_uri
        self._pair: TokenPair | None = None
        self._refreshing = _Once()
        self._exchanging = _Once()
        self.refreshes = 0
        """Refreshes this object made, for the log and for tests."""

    def __repr__(self) -> str:
        return f"AuthorizationCode(client_id={self.client_id!r}, store={self.store!r})"

    def authorize_url(self, state: str | None = None) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": state or secrets.token_urlsafe(12),
        }
        return f"{self.login_url}{endpoints.AUTHORIZE}?{urlencode(query)}"

    @property
    def signed_in(self) -> bool:
        return (self._pair or self.store.load(self.client_id)) is not None

    async def exchange(self, http: httpx.AsyncClient, code: str) -> None:
        """Trade the code the person pasted for a token pair, and keep it: once, whoever else
        asks meanwhile, and to the end even if the caller is cancelled."""
        code = code.strip()
        if not code:
            raise ProcoreSignInRequiredError(messages.SIGN_IN_CODE_EMPTY)
        await self._exchanging.run(lambda: self._exchange(http, code))

    async def _exchange(self, http: httpx.AsyncClient, code: str) -> None:
        form = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "code": code,
            "redirect_uri": self.redirect_uri,
        }
        try:
            body = await _post_token(http, self.login_url, form)
        except ProcoreAuthError as error:
            raise ProcoreSignInRequiredError(messages.sign_in_code_refused(error.message)) from None
        pair = pair_from_answer(self.client_id, body)
        if pair is None:
            raise ProcoreReplyError("Procore's sign-in answer holds no token pair.")
        async with self.store.locked():
            self.store.save(pair)
        self._pair = pair

    async def access_token(self, http: httpx.AsyncClient, base_url: str) -> str:
        known = self._pair or self.store.load(self.client_id)
        if known is None:
            raise ProcoreSignInRequiredError(messages.SIGN_IN_NEEDED)
        pair: TokenPair = known
        if pair.expires_soon(time.time()):
            # Shared and shielded: a cancelled caller must not spend the single-use refresh
            # token and drop the new pair (see _Once).
            pair = await self._refreshing.run(lambda: self._refresh(http, known))
        self._pair = pair
        return pair.access_token

    def forget(self, access_token: str) -> None:
        """Procore refused this token (401): refresh before the next call, once, whoever asks."""
        if self._pair is not None and self._pair.access_token == access_token:
            self._pair = dataclasses.replace(self._pair, expires_at=0.0)

    async def sign_out(self, http: httpx.AsyncClient) -> bool:
        """Delete the stored pair here and revoke it at Procore (best effort): True when Procore
        confirmed the revoke."""
        pair = self._pair or self.store.load(self.client_id)
        self._pair = None
        async with self.store.locked():
            self.store.clear()
        if pair is None:
            return False
        form = {
            "token": pair.access_token,
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        try:
            answer = await wire.exchange(
                http, "POST", f"{self.login_url}{endpoints.REVOKE}", data=form
            )
        except (httpx.TransportError, NoAnswer, UnusableReply):
            log.info("Procore could not be reached to revoke the sign-in; deleted it here only")
            return False
        return answer.status_code == 200

    async def _refresh(self, http: httpx.AsyncClient, pair: TokenPair) -> TokenPair:
        async with self.store.locked():
            on_disk = self.store.load(self.client_id)
            if on_disk is None:
                # Signed out elsewhere, or the store was lost: the refresh token may be alive,
                # but the person chose to leave; ask them in again.
                raise ProcoreSignInRequiredError(messages.SIGN_IN_NEEDED)
            if on_disk.refresh_token != pair.refresh_token and not on_disk.expires_soon(
                time.time()
            ):
                self._pair = on_disk
                return on_disk  # another process refreshed first; its pair is the live one
            form = {
                "grant_type": "refresh_token",
                "client_id": self.client_id,
                "client_secret": self._client_secret,
                "refresh_token": on_disk.refresh_token,
                "redirect_uri": self.redirect_uri,
            }
            try:
                body = await _post_token(http, self.login_url, form)
            except ProcoreAuthError:
                # The refresh token is spent, revoked or unknown: nothing left to refresh with.
                self.store.clear()
                self._pair = None
                raise ProcoreSignInRequiredError(messages.SIGN_IN_EXPIRED) from None
            fresh = pair_from_answer(self.client_id, body)
            if fresh is None:
                raise ProcoreReplyError("Procore's refresh answer holds no token pair.")
            self.store.save(fresh)
            self._pair = fresh
            self.refreshes += 1
            log.info("Procore sign-in refreshed (%s)", self.store.path)
            return fresh
