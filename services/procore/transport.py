"""One HTTP exchange with Procore: auth, company header, pacing, retries, and typed errors.

Retries are for requests that are safe to repeat: reads, and changes the server makes idempotent
(clearing a link twice leaves it cleared). A change whose answer was lost is reported as such, never
as a failure that changed nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from services import safe_json
from services.clock import SYSTEM_CLOCK, Clock
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
    ProcoreUnreachableError,
)
from services.plain_text import said
from services.procore import endpoints
from services.procore.auth import Credentials, ProcoreAuth
from services.safe_json import NestedTooDeep
from services.wire import NoAnswer, UnusableReply, exchange

log = logging.getLogger(__name__)

_RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class RateLimitState:
    """What Procore's X-Rate-Limit headers said, counted down as requests leave, so the client
    waits for the window to free up instead of running into a 429.

    Procore reports whichever window (hourly or 10-second spike) is nearer to running out. Each
    request leaving takes one from `remaining`; each answer sets it to what Procore counted. When
    nothing is left the client waits for the reset, then lets one request through to learn the
    new budget while the others wait for its answer: the probe's own answer, since an answer to
    a request sent before it may still describe the old window.
    """

    # How long other requests hold back while one probes a window that has just reset, at most
    # between two looks: any answer wakes them sooner, and only the probe's own ends the probe.
    PROBE_SECONDS = 0.25

    def __init__(self) -> None:
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_at: float | None = None
        self.in_flight = 0
        """Requests reserved and not answered yet: Procore may not have counted them."""
        self.probing = False
        """A request is out to learn a new window's budget; the others wait for an answer."""
        self._reported_reset: float | None = None

    def update(self, headers: httpx.Headers) -> None:
        """Take Procore's count, less the requests still on their way (counted pessimistically:
        some may already be in Procore's figure).

        Answers can overtake each other. One about an older state of the window (an earlier
        reset) is ignored, and of two about the same window the lower count wins; a later reset
        means the window moved on and its count is taken as it is.
        """
        try:
            limit = int(headers["X-Rate-Limit-Limit"])
            remaining = int(headers["X-Rate-Limit-Remaining"])
            reset_at = float(headers["X-Rate-Limit-Reset"])
        except (KeyError, ValueError):
            return
        estimate = max(0, remaining - self.in_flight)
        reported = self._reported_reset
        if reported is not None and reset_at < reported:
            return
        if reported is not None and reset_at == reported and self.remaining is not None:
            estimate = min(estimate, self.remaining)
        self.limit, self.reset_at, self._reported_reset = limit, reset_at, reset_at
        self.remaining = estimate

    @property
    def reported_reset(self) -> float | None:
        """When Procore last said the reported window frees up (Unix seconds)."""
        return self._reported_reset

    def finished(self, headers: httpx.Headers | None, *, probe: bool = False) -> None:
        """One reserved request is over, answered with these headers or not answered at all;
        `probe` when it was the request that probed a reset window."""
        self.in_flight = max(0, self.in_flight - 1)
        if probe:
            self.probing = False
        if headers is not None:
            self.update(headers)

    def reserve(self, now: float) -> float:
        """Seconds to wait before one more request may leave; 0 = go now (and it is counted).
        A request let go while nothing was left is the probe: `probing` says so."""
        if self.remaining is None or self.reset_at is None:
            self.in_flight += 1
            return 0.0
        if self.remaining > 0:
            self.remaining -= 1
            self.in_flight += 1
            return 0.0
        if self.probing:
            # A second probe could take the one slot the reset freed: wait for the first's answer.
            return self.PROBE_SECONDS
        if now < self.reset_at:
            return self.reset_at - now
        # The window has moved on: this request probes it; the next ones wait for its answer.
        self.reset_at = now + self.PROBE_SECONDS
        self.in_flight += 1
        self.probing = True
        return 0.0


class ProcoreTransport:
    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 30.0,
        http: httpx.AsyncClient | None = None,
        max_attempts: int = 4,
        max_wait_seconds: float = 30.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0))
        self._owns_http = http is None
        self.auth = ProcoreAuth(credentials, self._http, self.base_url)
        """Signs each request; renews a refused token and sends once more (one place)."""
        self._max_attempts = max_attempts
        self._max_wait = max_wait_seconds
        self._clock = clock
        """Reads the time and waits, for pacing and retries (a test's clock skips the waits)."""
        self.rate_limit = RateLimitState()
        self._pace_lock = asyncio.Lock()
        self._window_news = asyncio.Event()
        """Set whenever an answer has been counted into the rate-limit state."""

    @property
    def http(self) -> httpx.AsyncClient:
        """The HTTP client, shared with the sign-in so one connection pool serves both."""
        return self._http

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def get(
        self, path: str, *, company_id: int | None, params: dict[str, Any] | None = None
    ) -> Any:
        response = await self._send("GET", path, company_id=company_id, params=params)
        return _json(response)

    async def get_pages(
        self,
        path: str,
        *,
        company_id: int | None,
        params: dict[str, Any],
        per_page: int,
        decode: Callable[[bytes], list[Any]] | None = None,
    ) -> AsyncIterator[list[Any]]:
        """Yield each page of a list, following the Link header's `next` until there is none.
        `decode` turns a page's bytes into typed records (raising ProcoreReplyError), for lists
        long enough that decoding to dicts first would cost more than the answer's wait."""
        url: str | None = path
        query: dict[str, Any] | None = {**params, "page": 1, "per_page": per_page}
        while url is not None:
            response = await self._send("GET", url, company_id=company_id, params=query)
            page = decode(response.content) if decode is not None else _json(response)
            if not isinstance(page, list):
                raise ProcoreReplyError(
                    f"Procore answered {path} with something other than a list."
                )
            yield page
            next_link = response.links.get("next", {}).get("url")
            if next_link and not self._same_origin(next_link):
                # The token goes with every request: never to a host Procore's answer names.
                raise ProcoreReplyError(
                    f"Procore's answer to {path} points its next page to another address."
                )
            # The next link carries every query parameter itself.
            url, query = (next_link, None) if next_link else (None, None)

    def _same_origin(self, url: str) -> bool:
        try:
            link, base = httpx.URL(url), httpx.URL(self.base_url)
        except httpx.InvalidURL:
            return False
        if not link.is_absolute_url:
            return True
        return (link.scheme, link.host, link.port) == (base.scheme, base.host, base.port)

    async def patch(
        self,
        path: str,
        *,
        company_id: int,
        body: Any,
        headers: dict[str, str] | None = None,
        idempotent: bool = False,
    ) -> Any:
        """PATCH; pass idempotent=True only when sending it twice is the same as sending it once:
        then a 5xx or a lost answer is retried, else it is reported as it is."""
        response = await self._send(
            "PATCH",
            path,
            company_id=company_id,
            json=body,
            extra_headers=headers,
            idempotent=idempotent,
        )
        return _json(response)

    async def delete(self, path: str, *, company_id: int) -> None:
        """DELETE, sent once: a second try after a lost answer would hear 404 either way."""
        await self._send("DELETE", path, company_id=company_id, idempotent=False)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        company_id: int | None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        extra_headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        # Only a request that is safe to repeat is sent again after Procore may have acted on it;
        # a 429 or a connection never made is always retried (Procore did nothing).
        safe_to_repeat = method == "GET" if idempotent is None else idempotent
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        attempt = 0
        sent_without_answer = False
        headers = {**(extra_headers or {}), "Accept": "application/json"}
        if company_id is not None:
            headers[endpoints.COMPANY_HEADER] = str(company_id)
        while True:
            attempt += 1
            server_wait: float | None = None
            try:
                response = await self._request_once(method, url, params, json, headers)
            except ProcoreError as error:
                # The sign-in failed (self.auth): after a lost answer, that says nothing of
                # whether the earlier try was applied.
                raise _unless_lost(error, sent_without_answer) from None
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                # Nothing reached the server: always safe to try again.
                failure: ProcoreError = ProcoreUnreachableError(
                    f"Procore could not be reached ({_describe(error)})."
                )
            except (httpx.TransportError, NoAnswer) as error:
                # The request may have been applied and its answer lost.
                sent_without_answer = sent_without_answer or method != "GET"
                failure = ProcoreUnavailableError(f"Procore did not answer ({_describe(error)}).")
                if not safe_to_repeat:
                    raise ProcoreOutcomeUnknownError(failure.message) from None
            except UnusableReply as error:
                # Procore answered, unreadably. A read gets the same answer again; a change's
                # caller reads the record back to learn whether it was applied.
                raise ProcoreReplyError(
                    f"Procore's answer to {_path_of(url)} could not be used: {error.reason}."
                ) from None
            else:
                if response.status_code < 300:
                    return response
                failure = _error_for(response)
                if response.status_code not in _RETRYABLE_STATUS:
                    # After an earlier try's answer was lost, a refusal now says nothing of
                    # whether that try was applied.
                    raise _unless_lost(failure, sent_without_answer)
                if response.status_code != 429 and not safe_to_repeat:
                    raise failure
                server_wait = _server_wait(response, self._clock.time())
                if server_wait is not None and server_wait > self._max_wait:
                    raise failure
            if attempt >= self._max_attempts:
                if sent_without_answer:
                    raise ProcoreOutcomeUnknownError(failure.message)
                raise failure
            delay = _backoff(attempt)
            if server_wait is not None:
                # Wait for the reset, then a jittered share more so that clients refused together
                # do not all come back in the same instant.
                delay = server_wait + random.uniform(0, min(2.0, 0.25 * 2**attempt))
            log.info("Procore %s %s failed (%s); retrying in %.1f s", method, path, failure, delay)
            await self._clock.sleep(delay)

    async def _request_once(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        json: Any,
        headers: dict[str, str],
    ) -> httpx.Response:
        """Send once, when the rate-limit window has room, and count the answer into it."""
        probe = await self._pace()
        answered: httpx.Headers | None = None
        try:
            response = await exchange(
                self._http,
                method,
                url,
                auth=self.auth,
                params=params,
                json=json,
                headers=headers,
            )
            answered = response.headers
            return response
        finally:
            self.rate_limit.finished(answered, probe=probe)
            self._window_news.set()

    async def _pace(self) -> bool:
        """Hold a request back until Procore's rate-limit window has room for it; True when it
        goes as the probe of a window that has just reset."""
        async with self._pace_lock:  # one waiter at a time, so each sees the others' requests
            while True:
                probing = self.rate_limit.probing
                wait = self.rate_limit.reserve(self._clock.time())
                if wait <= 0:
                    return self.rate_limit.probing and not probing
                if wait > self._max_wait:
                    raise ProcoreRateLimitError(
                        f"Procore's rate limit is used up for {int(wait)} more seconds; try "
                        "again then."
                    )
                if self.rate_limit.probing:
                    # However long the probe takes, its answer (or its failure) says more than
                    # a guess at the time: wait for it rather than probe a second time.
                    self._window_news.clear()
                    await self._window_news.wait()
                else:
                    await self._until_news(wait + random.uniform(0, 0.05))

    async def _until_news(self, seconds: float) -> None:
        """Wait `seconds`, or less if an answer comes back meanwhile: any answer counting fewer
        requests than feared may make room at once."""
        self._window_news.clear()
        news = asyncio.ensure_future(self._window_news.wait())
        nap = asyncio.ensure_future(self._clock.sleep(seconds))
        try:
            await asyncio.wait((news, nap), return_when=asyncio.FIRST_COMPLETED)
        finally:
            news.cancel()
            nap.cancel()


def _unless_lost(error: ProcoreError, sent_without_answer: bool) -> ProcoreError:
    """`error` as it is, or, when an earlier try of this change went out and its answer was
    lost, an outcome-unknown error: that try may have been applied whatever Procore says now."""
    if sent_without_answer:
        return ProcoreOutcomeUnknownError(error.message)
    return error


def _backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: 0.5 s, 1 s, 2 s … capped at 8 s."""
    return random.uniform(0.1, min(8.0, 0.5 * 2 ** (attempt - 1)))


def _server_wait(response: httpx.Response, now: float) -> float | None:
    retry_after = response.headers.get("Retry-After")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return None
    reset = response.headers.get("X-Rate-Limit-Reset")
    if response.status_code == 429 and reset is not None:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


def _path_of(url: str) -> str:
    try:
        return httpx.URL(url).path
    except httpx.InvalidURL:
        return url


def _describe(error: httpx.TransportError | NoAnswer) -> str:
    if isinstance(error, NoAnswer):
        return error.reason
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    if isinstance(error, httpx.ConnectError):
        return "connection refused or host unknown"
    return "connection dropped"


def _json(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return safe_json.loads(response.content)
    except NestedTooDeep:
        raise ProcoreReplyError(
            f"Procore answered {response.request.url.path} with JSON nested too deeply to read."
        ) from None
    except ValueError:
        raise ProcoreReplyError(
            f"Procore answered {response.request.url.path} with something that is not JSON."
        ) from None


def error_text(response: httpx.Response) -> str:
    """Procore's own words from an error body, whichever of its shapes it used: printable, and
    no longer than a message can quote."""
    return said(_error_words(response))


def _error_words(response: httpx.Response) -> str:
    try:
        body = safe_json.loads(response.content)
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
    if status < 400:
        # Not a refusal: an answer that points elsewhere says nothing of whether a change sent
        # was applied (the caller reads back), and the token is never sent after it.
        return ProcoreReplyError(f"Procore's answer redirected elsewhere (HTTP {status}).")
    said = error_text(response)
    suffix = f" Procore said: {said}" if said else ""
    if status == 401:
        return ProcoreAuthError(f"Your Procore sign-in expired or was revoked.{suffix}")
    if status == 403:
        reason = ""
        try:
            body = safe_json.loads(response.content)
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
