"""Holds each Procore request until the rate limit has room for it, so concurrent loading runs at
the speed the limit allows and never into a 429.

It sits under httpx (an httpx transport), so every request the client sends passes through it,
whichever call sent it. Procore's X-Rate-Limit headers (read into the transport's RateLimitState)
say how many requests are left in the window nearest to running out and when it frees up. The gate
never has more requests in flight than are left, counting those in flight as spent already: an
answer's Remaining may or may not include them, so assuming it does not is the safe side. When
nothing is left it waits for the window's reset, then sends one request to learn the new budget.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx

from services.procore.transport import RateLimitState

# Upper bound on requests in flight, whatever the budget: enough to hide a slow network's latency
# at Procore's documented rates, and a polite number of connections to one host.
MAX_IN_FLIGHT = 16
# Margin after a window's reset before probing it again: the reset is in whole seconds already.
RESET_MARGIN_S = 0.05


class RateLimitGate(httpx.AsyncBaseTransport):
    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        max_in_flight: int = MAX_IN_FLIGHT,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._inner = inner
        self.state = RateLimitState()
        self.max_in_flight = max_in_flight
        self._clock = clock
        self._sleep = sleep
        self._in_flight = 0
        self._resume_at = 0.0
        self._changed = asyncio.Condition()
        self.requests = 0
        """Requests sent to Procore's API (token requests excluded)."""
        self.rate_limited = 0
        """Answers with status 429."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # Token requests carry no bearer token and are counted apart by Procore: let them by.
        if "authorization" not in request.headers:
            return await self._inner.handle_async_request(request)
        await self._acquire()
        self.requests += 1
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            await self._release(None)
            raise
        await self._release(response)
        return response

    def _room(self) -> int:
        """How many more requests may be in flight now."""
        if self.state.remaining is None:
            # Budget unknown (the first request, or the first after a reset): one at a time.
            return 1 - self._in_flight
        return min(self.max_in_flight, self.state.remaining) - self._in_flight

    async def _acquire(self) -> None:
        while True:
            async with self._changed:
                now = self._clock()
                if now >= self._resume_at:
                    if self._room() > 0:
                        self._in_flight += 1
                        return
                    if self._in_flight > 0:
                        # An answer on its way will say more; wait for it.
                        await self._changed.wait()
                        continue
                    # Nothing left and nothing in flight: wait for the reset, then probe once.
                    self._resume_at = now + self._until_reset(now)
                    self.state.remaining = None
                wait = self._resume_at - now
            await self._sleep(wait)

    def _until_reset(self, now: float) -> float:
        reset = self.state.reset_at
        if reset is None:
            return RESET_MARGIN_S
        return max(0.0, reset - now) + RESET_MARGIN_S

    async def _release(self, response: httpx.Response | None) -> None:
        async with self._changed:
            self._in_flight -= 1
            if response is not None:
                if response.status_code == 429:
                    self.rate_limited += 1
                    self.state.remaining = 0
                before = self.state.remaining
                self.state.update(response.headers)
                if response.status_code == 429:
                    self.state.remaining = 0
                elif self.state.remaining is None and before is None:
                    # No headers at all: a server without rate limits; do not throttle.
                    self.state.remaining = self.max_in_flight
            self._changed.notify_all()

    async def aclose(self) -> None:
        await self._inner.aclose()
