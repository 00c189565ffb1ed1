"""One HTTP exchange with Procore: auth, company header, pacing, retries, and typed errors.

Retries are for requests that are safe to repeat: reads, and changes the server makes idempotent
(clearing a link twice leaves it cleared). A change whose answer was lost is reported as such, never
as a failure that changed nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from services.errors import (
    ProcoreAuthError,
    ProcoreError,
    ProcoreNotFoundError,
    ProcoreOutcomeUnknownError,
    ProcorePermissionError,
    ProcoreRateLimitError,
    ProcoreReplyError,
    ProcoreRequestError,
    ProcoreUnavailableError,
)
from services.procore import endpoints
from services.procore.auth import ClientCredentials

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

_RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class RateLimitState:
    """What Procore's last X-Rate-Limit headers said; lets the client slow down before a 429."""

    def __init__(self) -> None:
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_at: float | None = None

    def update(self, headers: httpx.Headers) -> None:
        try:
            self.limit = int(headers["X-Rate-Limit-Limit"])
            self.remaining = int(headers["X-Rate-Limit-Remaining"])
            self.reset_at = float(headers["X-Rate-Limit-Reset"])
        except (KeyError, ValueError):
            return

    def wait_before_next(self, now: float) -> float:
        if self.remaining is None or self.reset_at is None or self.remaining > 0:
            return 0.0
        return max(0.0, self.reset_at - now)


class ProcoreTransport:
    def __init__(
        self,
        base_url: str,
        credentials: ClientCredentials,
        *,
        timeout: float = 30.0,
        http: httpx.AsyncClient | None = None,
        max_attempts: int = 4,
        max_wait_seconds: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0))
        self._owns_http = http is None
        self._max_attempts = max_attempts
        self._max_wait = max_wait_seconds
        self._sleep = sleep
        self.rate_limit = RateLimitState()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def get(
        self, path: str, *, company_id: int | None, params: dict[str, Any] | None = None
    ) -> Any:
        response = await self._send("GET", path, company_id=company_id, params=params)
        return _json(response)

    async def get_pages(
        self, path: str, *, company_id: int | None, params: dict[str, Any], per_page: int
    ) -> AsyncIterator[list[Any]]:
        """Yield each page of a list, following the Link header's `next` until there is none."""
        url: str | None = path
        query: dict[str, Any] | None = {**params, "page": 1, "per_page": per_page}
        while url is not None:
            response = await self._send("GET", url, company_id=company_id, params=query)
            page = _json(response)
            if not isinstance(page, list):
                raise ProcoreReplyError(
                    f"Procore answered {path} with something other than a list."
                )
            yield page
            next_link = response.links.get("next", {}).get("url")
            # The next link carries every query parameter itself.
            url, query = (next_link, None) if next_link else (None, None)

    async def patch(
        self, path: str, *, company_id: int, body: Any, headers: dict[str, str] | None = None
    ) -> Any:
        response = await self._send(
            "PATCH", path, company_id=company_id, json=body, extra_headers=headers
        )
        return _json(response)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        company_id: int | None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        extra_headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        refreshed = False
        attempt = 0
        sent_without_answer = False
        while True:
            attempt += 1
            server_wait: float | None = None
            await self._pace()
            token = await self.credentials.access_token(self._http, self.base_url)
            headers = {
                **(extra_headers or {}),
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
            }
            if company_id is not None:
                headers[endpoints.COMPANY_HEADER] = str(company_id)
            try:
                response = await self._http.request(
                    method, url, params=params, json=json, headers=headers
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                # Nothing reached the server: always safe to try again.
                failure: ProcoreError = ProcoreUnavailableError(
                    f"Procore could not be reached ({_describe(error)})."
                )
            except httpx.TransportError as error:
                # The request may have been applied and its answer lost.
                sent_without_answer = sent_without_answer or method != "GET"
                failure = ProcoreUnavailableError(f"Procore did not answer ({_describe(error)}).")
            else:
                self.rate_limit.update(response.headers)
                if response.status_code < 400:
                    return response
                if response.status_code == 401 and not refreshed:
                    self.credentials.forget(token)
                    refreshed = True
                    attempt -= 1
                    continue
                failure = _error_for(response)
                if response.status_code not in _RETRYABLE_STATUS:
                    raise failure
                server_wait = _server_wait(response)
                if server_wait is not None and server_wait > self._max_wait:
                    raise failure
            if attempt >= self._max_attempts:
                if sent_without_answer:
                    raise ProcoreOutcomeUnknownError(failure.message)
                raise failure
            delay = _backoff(attempt)
            if server_wait is not None:
                delay = server_wait + random.uniform(0, 0.5)
            log.info("Procore %s %s failed (%s); retrying in %.1f s", method, path, failure, delay)
            await self._sleep(delay)

    async def _pace(self) -> None:
        wait = self.rate_limit.wait_before_next(time.time())
        if wait > self._max_wait:
            raise ProcoreRateLimitError(
                f"Procore's rate limit is used up for {int(wait)} more seconds; try again then."
            )
        if wait > 0:
            await self._sleep(wait + random.uniform(0, 0.25))


def _backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: 0.5 s, 1 s, 2 s … capped at 8 s."""
    return random.uniform(0.1, min(8.0, 0.5 * 2 ** (attempt - 1)))


def _server_wait(response: httpx.Response) -> float | None:
    retry_after = response.headers.get("Retry-After")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return None
    reset = response.headers.get("X-Rate-Limit-Reset")
    if response.status_code == 429 and reset is not None:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            return None
    return None


def _describe(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    if isinstance(error, httpx.ConnectError):
        return "connection refused or host unknown"
    return "connection dropped"


def _json(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ProcoreReplyError(
            f"Procore answered {response.request.url.path} with something that is not JSON."
        ) from None


def error_text(response: httpx.Response) -> str:
    """Procore's own words from an error body, whichever of its shapes it used."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    for key in ("errors", "error", "message"):
        value = body.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return "; ".join(str(item) for item in value)
        if isinstance(value, dict):
            message = value.get("message")
            if isinstance(message, str):
                return message
            return "; ".join(f"{field}: {problem}" for field, problem in value.items())
    return ""


def _error_for(response: httpx.Response) -> ProcoreError:
    status = response.status_code
    said = error_text(response)
    suffix = f" Procore said: {said}" if said else ""
    if status == 401:
        return ProcoreAuthError(f"Your Procore sign-in expired or was revoked.{suffix}")
    if status == 403:
        reason = ""
        try:
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("reason"), str):
                reason = body["reason"]
        except ValueError:
            pass
        return ProcorePermissionError(f"Procore refused access.{suffix}", reason=reason)
    if status == 404:
        return ProcoreNotFoundError(f"Procore has no such record, or you cannot see it.{suffix}")
    if status == 429:
        return ProcoreRateLimitError(f"Procore's rate limit was reached.{suffix}")
    if status >= 500:
        return ProcoreUnavailableError(f"Procore is having trouble (HTTP {status}).{suffix}")
    return ProcoreRequestError(f"Procore refused the request (HTTP {status}).{suffix}")
