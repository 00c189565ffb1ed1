"""OAuth 2.0 as Procore speaks it: the authorize page, the token endpoint, revoke and token info.

Sandbox users are OAuth clients: client_id = login, client_secret = "sandbox". An app signing a
person in with the authorization-code grant is one such client; the person who approves on the
authorize page is the resource owner the tokens act as. Tokens and codes live in SQLite, so they
survive a restart of the sandbox on the same data file, as real ones would.
"""

from __future__ import annotations

import html
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from sandbox.errors import unauthorized
from sandbox.store import connection, request_connection, transaction

OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"
# Procore's authorization codes are single-use and last 10 minutes.
CODE_TTL_S = 600
GRANTS = ("authorization_code", "client_credentials", "refresh_token")

# Kept apart from store.SCHEMA and created on every start, so data files seeded before these
# tables existed gain them without a reset.
OAUTH_SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_pairs (
    access_token  TEXT PRIMARY KEY,
    refresh_token TEXT NOT NULL UNIQUE,
    client_login  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_codes (
    code         TEXT PRIMARY KEY,
    client_login TEXT NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    redirect_uri TEXT NOT NULL,
    expires_at   INTEGER NOT NULL,
    used         INTEGER NOT NULL DEFAULT 0
);
"""


def ensure_schema(data_file: Path) -> None:
    with connection(data_file) as conn:
        conn.executescript(OAUTH_SCHEMA)


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


def _issue(
    conn: sqlite3.Connection, user_id: int, client_login: str, ttl_s: int
) -> dict[str, object]:
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
    conn.execute(
        "INSERT INTO oauth_pairs(access_token, refresh_token, client_login) VALUES (?,?,?)",
        (access, refresh, client_login),
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
        "SELECT id, login, client_secret FROM users WHERE login = ?",
        (form.get("client_id", ""),),
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
    """POST /oauth/token: authorization_code, client_credentials, refresh_token (single use)."""
    form = await _form(request)
    if form is None:
        return _oauth_error(
            400, "invalid_request", "The body must be application/x-www-form-urlencoded."
        )
    grant = form.get("grant_type", "")
    ttl_s: int = request.app.state.config.token_ttl_s
    with request_connection(request.app.state.data_file) as conn, transaction(conn):
        client = _client(conn, form)
        if grant not in GRANTS:
            return _oauth_error(
                400, "unsupported_grant_type", f"Grant type {grant!r} is not supported."
            )
        if client is None:
            return _oauth_error(
                401, "invalid_client", "Client authentication failed: unknown client or bad secret."
            )
        login = str(client["login"])
        owner = _resource_owner(conn, grant, form, client)
        if isinstance(owner, Response):
            return owner
        return JSONResponse(_issue(conn, owner, login, ttl_s))


def _resource_owner(
    conn: sqlite3.Connection, grant: str, form: dict[str, str], client: sqlite3.Row
) -> int | Response:
    """The user the new tokens act for, or the grant's refusal."""
    if grant == "refresh_token":
        user_id = _spend_refresh_token(conn, form.get("refresh_token", ""), client)
        if user_id is None:
            return _oauth_error(400, "invalid_grant", "The refresh token is invalid")
        return user_id
    if grant == "authorization_code":
        user_id = _spend_code(conn, form, str(client["login"]))
        if user_id is None:
            return _oauth_error(
                400,
                "invalid_grant",
                "The authorization code is invalid, expired, already used, or was issued "
                "to another client or redirect URI",
            )
        return user_id
    return int(client["id"])


def _spend_refresh_token(
    conn: sqlite3.Connection, presented: str, client: sqlite3.Row
) -> int | None:
    """The user a refresh token acts for, or None; spent whatever the outcome, as Procore's are."""
    row = conn.execute(
        "SELECT t.user_id, t.revoked, p.client_login FROM tokens t"
        " LEFT JOIN oauth_pairs p ON p.refresh_token = t.token"
        " WHERE t.token = ? AND t.kind = 'refresh'",
        (presented,),
    ).fetchone()
    conn.execute("UPDATE tokens SET revoked = 1 WHERE token = ?", (presented,))
    if row is None or row["revoked"]:
        return None
    # Tokens issued before pairs were recorded belong to the user that is also the client.
    owner_ok = (
        row["client_login"] == client["login"]
        if row["client_login"] is not None
        else row["user_id"] == client["id"]
    )
    return int(row["user_id"]) if owner_ok else None


def _spend_code(conn: sqlite3.Connection, form: dict[str, str], client_login: str) -> int | None:
    code = form.get("code", "")
    row = conn.execute("SELECT * FROM oauth_codes WHERE code = ?", (code,)).fetchone()
    conn.execute("UPDATE oauth_codes SET used = 1 WHERE code = ?", (code,))
    if row is None or row["used"] or row["expires_at"] <= int(time.time()):
        return None
    if row["client_login"] != client_login:
        return None
    if row["redirect_uri"] != form.get("redirect_uri", ""):
        return None
    return int(row["user_id"])


async def revoke_endpoint(request: Request) -> Response:
    """POST /oauth/revoke: revokes the token and its pair; 200 whatever the token, like Procore."""
    form = await _form(request) or {}
    token = form.get("token", "")
    with request_connection(request.app.state.data_file) as conn, transaction(conn):
        pair = conn.execute(
            "SELECT access_token, refresh_token FROM oauth_pairs"
            " WHERE access_token = ? OR refresh_token = ?",
            (token, token),
        ).fetchone()
        tokens = [token] if pair is None else [pair["access_token"], pair["refresh_token"]]
        conn.executemany("UPDATE tokens SET revoked = 1 WHERE token = ?", [(t,) for t in tokens])
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
    with request_connection(request.app.state.data_file) as conn:
        caller = authenticate(conn, request)
        token = bearer_token(request)
        row = conn.execute(
            "SELECT created_at, expires_at FROM tokens WHERE token = ?", (token,)
        ).fetchone()
        pair = conn.execute(
            "SELECT client_login FROM oauth_pairs WHERE access_token = ?", (token,)
        ).fetchone()
    return JSONResponse(
        {
            "resource_owner_id": caller.id,
            "scopes": [],
            "expires_in_seconds": max(0, int(row["expires_at"]) - int(time.time())),
            "application": {"uid": pair["client_login"] if pair else caller.login},
            "created_at": int(row["created_at"]),
        }
    )


# The authorize page ---------------------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:36em;margin:3em auto;line-height:1.5}}
code{{font-size:1.4em;background:#eee;padding:.2em .4em;user-select:all}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=html.escape(title), body=body), status_code=status)


def _redirect_allowed(uri: str) -> bool:
    return uri == OOB_REDIRECT or uri.startswith(("http://", "https://"))


async def authorize_page(request: Request) -> Response:
    """GET /oauth/authorize: the app asks; a demo user picks who they are and approves."""
    query = request.query_params
    client_login = query.get("client_id", "")
    redirect_uri = query.get("redirect_uri", "")
    with request_connection(request.app.state.data_file) as conn:
        client = conn.execute("SELECT login FROM users WHERE login = ?", (client_login,)).fetchone()
        users = conn.execute("SELECT login, name FROM users ORDER BY id").fetchall()
    if client is None:
        return _page("Unknown application", "<p>No app has this client_id.</p>", 400)
    if query.get("response_type") != "code":
        return _page("Unsupported request", "<p>response_type must be <b>code</b>.</p>", 400)
    if not _redirect_allowed(redirect_uri):
        return _page("Bad redirect URI", "<p>redirect_uri is not allowed.</p>", 400)
    options = "".join(
        f'<option value="{html.escape(u["login"])}">{html.escape(u["name"])}'
        f" ({html.escape(u['login'])})</option>"
        for u in users
    )
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
        for name, value in (
            ("client_id", client_login),
            ("redirect_uri", redirect_uri),
            ("state", query.get("state", "")),
        )
    )
    body = (
        f"<p>The app <b>{html.escape(client_login)}</b> asks to act on your behalf in Procore "
        "(sandbox).</p>"
        f'<form method="post" action="/oauth/authorize">{hidden}'
        f'<p><label>Sign in as <select name="login">{options}</select></label></p>'
        '<p><button name="decision" value="approve">Approve</button> '
        '<button name="decision" value="deny">Deny</button></p></form>'
    )
    return _page("Authorize application", body)


async def authorize_decision(request: Request) -> Response:
    """POST /oauth/authorize: issue a code (shown on the page for the OOB redirect) or refuse."""
    form = await _form(request) or {}
    client_login = form.get("client_id", "")
    redirect_uri = form.get("redirect_uri", "")
    state = form.get("state", "")
    if not _redirect_allowed(redirect_uri):
        return _page("Bad redirect URI", "<p>redirect_uri is not allowed.</p>", 400)
    with request_connection(request.app.state.data_file) as conn, transaction(conn):
        client = conn.execute("SELECT login FROM users WHERE login = ?", (client_login,)).fetchone()
        user = conn.execute(
            "SELECT id FROM users WHERE login = ?", (form.get("login", ""),)
        ).fetchone()
        if client is None or user is None:
            return _page("Unknown application or user", "<p>Nothing was authorized.</p>", 400)
        code = None
        if form.get("decision") == "approve":
            code = secrets.token_urlsafe(24)
            conn.execute(
                "INSERT INTO oauth_codes(code, client_login, user_id, redirect_uri, expires_at)"
                " VALUES (?,?,?,?,?)",
                (code, client_login, int(user["id"]), redirect_uri, int(time.time()) + CODE_TTL_S),
            )
    if redirect_uri != OOB_REDIRECT:
        params = {"code": code} if code else {"error": "access_denied"}
        if state:
            params["state"] = state
        separator = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", status_code=302)
    if code is None:
        return _page("Access denied", "<p>You refused; the app was given nothing.</p>")
    return _page(
        "Authorization code",
        f'<p>Copy this code and paste it into the app:</p><p><code id="code">{code}</code></p>'
        "<p>It works once, within 10 minutes.</p>",
    )
