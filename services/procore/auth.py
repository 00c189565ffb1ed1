"""OAuth 2.0 sign-in to Procore with the client credentials grant (service accounts)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

from services.errors import ProcoreAuthError, ProcoreReplyError, ProcoreUnavailableError
from services.procore import endpoints

# Procore's tokens last 5400 s; asking for a new one a minute early means no call ever goes out
# with a token that dies in flight.
_EXPIRY_MARGIN_SECONDS = 60.0


@dataclass
class _Token:
    access_token: str = field(repr=False)
    expires_at: float


class ClientCredentials:
    """Holds a client id and secret and hands out a valid access token, one sign-in at a time."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self._token: _Token | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"ClientCredentials(client_id={self.client_id!r})"

    async def access_token(self, http: httpx.AsyncClient, base_url: str) -> str:
        async with self._lock:
            token = self._token
            if token is None or token.expires_at - _EXPIRY_MARGIN_SECONDS <= time.time():
                token = self._token = await self._request_token(http, base_url)
            return token.access_token

    def forget(self, access_token: str) -> None:
        """Drop a token the server refused, unless another task already replaced it."""
        if self._token is not None and self._token.access_token == access_token:
            self._token = None

    async def _request_token(self, http: httpx.AsyncClient, base_url: str) -> _Token:
        if not self._client_secret:
            raise ProcoreAuthError(
                "No Procore client secret: set PROCORE_CLIENT_SECRET or [procore] client_secret."
            )
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        try:
            response = await http.post(f"{base_url}{endpoints.TOKEN}", data=form)
        except httpx.TransportError as error:
            raise ProcoreUnavailableError(
                f"Procore could not be reached to sign in ({type(error).__name__})."
            ) from None
        if response.status_code in (400, 401, 403):
            raise ProcoreAuthError(
                f"Procore refused the sign-in of client '{self.client_id}': check the client id "
                "and secret."
            )
        if response.status_code != 200:
            raise ProcoreUnavailableError(
                f"Procore's sign-in answered HTTP {response.status_code}."
            )
        try:
            body = response.json()
            access_token = body["access_token"]
            expires_in = float(body.get("expires_in", 5400))
        except (ValueError, KeyError, TypeError):
            raise ProcoreReplyError("Procore's sign-in answer could not be read.") from None
        if not isinstance(access_token, str) or not access_token:
            raise ProcoreReplyError("Procore's sign-in answer holds no access token.")
        return _Token(access_token=access_token, expires_at=time.time() + expires_in)
