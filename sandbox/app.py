"""The sandbox's ASGI application: Procore-style API at the root, QuickBooks connector beside it."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox import cco_delete, connector, demo, procore_api
from sandbox.config import SandboxConfig
from sandbox.errors import (
    RATE_LIMITED,
    ApiError,
    api_error_handler,
    http_error_handler,
    unexpected_error_handler,
)
from sandbox.faults import FaultInjector
from sandbox.oauth import (
    authorize_decision,
    authorize_page,
    bearer_token,
    ensure_schema,
    revoke_endpoint,
    token_endpoint,
    token_info_endpoint,
)
from sandbox.rate_limit import RateLimiter
from sandbox.store import connection, create_schema

CONNECTOR_PREFIX = "/quickbooks/"
# Retry-After on simulated overload: long enough to be noticed, short enough for tests.
OVERLOAD_RETRY_AFTER_S = 2


class LatencyMiddleware:
    """Adds the configured latency to every request, as a slow network would. Plain ASGI: the
    request-wrapping base class cost a fifth of each answer's time even at no latency."""

    def __init__(self, app: ASGIApp, config: SandboxConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.config.latency_ms > 0:
            await asyncio.sleep(self.config.latency_ms / 1000)
        await self.app(scope, receive, send)


class ProcoreLimitsMiddleware:
    """Rate limits (headers on every Procore answer, 429 past a window) and simulated overload.
    Plain ASGI too: the request-wrapping base class cost about 0.1 ms of CPU an answer."""

    def __init__(self, app: ASGIApp, config: SandboxConfig, limiter: RateLimiter) -> None:
        self.app = app
        self.config = config
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONNECTOR_PREFIX):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        # Procore counts per access token; callers without one are counted per address.
        token = bearer_token(request)
        client = request.client.host if request.client else "unknown"
        decision = self.limiter.hit(f"token:{token}" if token else f"addr:{client}")
        limits = decision.headers()
        if not decision.allowed:
            await JSONResponse({"errors": RATE_LIMITED}, 429, limits)(scope, receive, send)
        elif self.config.faults.procore_unavailable:
            overload = {"Retry-After": str(OVERLOAD_RETRY_AFTER_S), **limits}
            body = {"errors": "Procore is under heavy load. Please retry later."}
            await JSONResponse(body, 503, overload)(scope, receive, send)
        else:

            async def with_limits(message: Message) -> None:
                if message["type"] == "http.response.start":
                    MutableHeaders(scope=message).update(limits)
                await send(message)

            await self.app(scope, receive, with_limits)


def create_app(config: SandboxConfig) -> Starlette:
    """Build the sandbox app; seeds `config.data_file` with demo data if it is missing or empty."""
    demo.ensure(config.data_file, config.seed)
    with connection(config.data_file) as conn:
        # Files seeded by an older sandbox get the tables added since.
        create_schema(conn)
    ensure_schema(config.data_file)
    limiter = RateLimiter(
        config.rate_limit_per_hour,
        config.rate_limit_per_10s,
        hour_s=config.rate_limit_hour_window_s,
        spike_s=config.rate_limit_spike_window_s,
        clock=config.clock,
        time_scale=config.time_scale,
    )
    routes = [
        Route("/oauth/authorize", authorize_page, methods=["GET"]),
        Route("/oauth/authorize", authorize_decision, methods=["POST"]),
        Route("/oauth/token", token_endpoint, methods=["POST"]),
        Route("/oauth/token/info", token_info_endpoint, methods=["GET"]),
        Route("/oauth/revoke", revoke_endpoint, methods=["POST"]),
        *procore_api.ROUTES,
        *cco_delete.ROUTES,
        *connector.ROUTES,
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            # Outermost, so that a fault is what the client sees on the wire.
            Middleware(FaultInjector, config=config),
            Middleware(LatencyMiddleware, config=config),
            Middleware(ProcoreLimitsMiddleware, config=config, limiter=limiter),
        ],
        exception_handlers={
            ApiError: api_error_handler,
            HTTPException: http_error_handler,
            Exception: unexpected_error_handler,
        },
    )
    app.state.config = config
    app.state.data_file = config.data_file
    app.state.limiter = limiter
    return app
