"""OAuth 2.0 token endpoint and bearer-token checks.

Sandbox users are OAuth clients: client_id = login, client_secret = "sandbox". Tokens live in
SQLite, so they survive a restart of the sandbox on the same data file, as real ones would.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.errors import unauthorized
from sandbox.store import connection, transaction


@dataclass(frozen=True)
class Caller:
    """The user behind a valid access token."""

    id: int
    login: str
    name: str
    erp_integrated_accountant: bool


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    # RFC 6749 section 5.2 shape (docs/procore-api.md, a choice: Procore's is undocumented).
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _issue(conn: sqlite3.Connection, user_id: int, ttl_s: int) -> dict[str, object]:
    now = int(time.time())
    access = secrets.token_urlsafe(32)
    refresh = secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO tokens(token, kind, user_id, created_at, expires_at) VALUES (?,?,?,?,?)",
        (access, "access", user_id, now, now + ttl_s),
    )
    conn.execute(
        "INSERT INTO tokens(token, kind, user_id, created_at, expires_at) VALUES (?,?,?,?,NULL)",
        (refresh, "refresh", user_id, now),
    )
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl_s,
        "created_at": now,
        "refresh_token": refresh,
    }


def _client(conn: sqlite3.Connection, form: dict[str, str]) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT id, client_secret FROM users WHERE login = ?", (form.get("client_id", ""),)
    ).fetchone()
    if row is None or not secrets.compare_digest(
        str(row["client_secret"]), form.get("client_secret", "")
    ):
        return None
    return row


async def _form(request: Request) -> dict[str, str] | None:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None
    body = (await request.body()).decode("utf-8", errors="replace")
    return {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}


async def token_endpoint(request: Request) -> Response:
    """POST /oauth/token: client_credentials, plus refresh_token (single use, rotated)."""
    form = await _form(request)
    if form is None:
        return _oauth_error(
            400, "invalid_request", "The body must be application/x-www-form-urlencoded."
        )
    grant = form.get("grant_type", "")
    ttl_s: int = request.app.state.config.token_ttl_s
    with connection(request.app.state.data_file) as conn, transaction(conn):
        client = _client(conn, form)
        if grant not in ("client_credentials", "refresh_token"):
            return _oauth_error(
                400, "unsupported_grant_type", f"Grant type {grant!r} is not supported."
            )
        if client is None:
            return _oauth_error(
                401, "invalid_client", "Client authentication failed: unknown client or bad secret."
            )
        if grant == "refresh_token":
            presented = form.get("refresh_token", "")
            row = conn.execute(
                "SELECT user_id, revoked FROM tokens WHERE token = ? AND kind = 'refresh'",
                (presented,),
            ).fetchone()
            # Single use, as Procore's: any attempt spends the presented token.
            conn.execute("UPDATE tokens SET revoked = 1 WHERE token = ?", (presented,))
            if row is None or row["revoked"] or row["user_id"] != client["id"]:
                return _oauth_error(400, "invalid_grant", "The refresh token is invalid")
        return JSONResponse(_issue(conn, int(client["id"]), ttl_s))


async def revoke_endpoint(request: Request) -> Response:
    """POST /oauth/revoke: always 200, like Procore's, even for tokens it does not know."""
    form = await _form(request) or {}
    with connection(request.app.state.data_file) as conn, transaction(conn):
        conn.execute("UPDATE tokens SET revoked = 1 WHERE token = ?", (form.get("token", ""),))
    return JSONResponse({})


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(conn: sqlite3.Connection, request: Request) -> Caller:
    """The caller of a Procore request; 401 if the token is missing, unknown, expired or revoked."""
    token = bearer_token(request)
    if token is None:
        raise unauthorized()
    row = conn.execute(
        "SELECT u.id, u.login, u.name, u.erp_integrated_accountant FROM tokens t"
        " JOIN users u ON u.id = t.user_id"
        " WHERE t.token = ? AND t.kind = 'access' AND t.revoked = 0 AND t.expires_at > ?",
        (token, int(time.time())),
    ).fetchone()
    if row is None:
        raise unauthorized()
    return Caller(
        int(row["id"]), str(row["login"]), str(row["name"]), bool(row["erp_integrated_accountant"])
    )


async def token_info_endpoint(request: Request) -> Response:
    """GET /oauth/token/info: what the presented token is, for debugging clients."""
    with connection(request.app.state.data_file) as conn:
        caller = authenticate(conn, request)
        row = conn.execute(
            "SELECT created_at, expires_at FROM tokens WHERE token = ?", (bearer_token(request),)
        ).fetchone()
    return JSONResponse(
        {
            "resource_owner_id": caller.id,
            "expires_in_seconds": max(0, int(row["expires_at"]) - int(time.time())),
            "created_at": int(row["created_at"]),
        }
    )
