"""Counts what crosses the wire to Procore: requests sent and 429 answers received.

It sits under httpx (an httpx transport), so every request the client sends passes through it,
whichever call sent it. Pacing itself is the transport's (services/procore/transport.py); these
counts are how a run proves it: a paced load shows requests and no 429.
"""

from __future__ import annotations

import httpx

from services import request_tally


class RequestCounter(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.requests = 0
        """Requests sent to Procore's API (token requests excluded: Procore counts them apart)."""
        self.rate_limited = 0
        """Answers with status 429."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if "authorization" in request.headers:
            self.requests += 1
            request_tally.count_one()
        response = await self._inner.handle_async_request(request)
        if response.status_code == 429:
            self.rate_limited += 1
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
