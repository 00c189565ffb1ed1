"""Read endpoints of the Procore-style REST API (docs/procore-api.md, "Endpoints used")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import shapes
from sandbox.access import (
    header_company,
    int_param,
    is_member,
    project_in_company,
    same_company,
    tools_answer,
)
from sandbox.errors import bad_request, not_found
from sandbox.external_data import external_data_endpoint, external_data_sync_endpoint
from sandbox.oauth import authenticate
from sandbox.paging import paginate
from sandbox.store import request_connection

CCO_SELECT = (
    "SELECT c.*, COALESCE((SELECT SUM(amount_cents) FROM cco_line_items l"
    " WHERE l.cco_id = c.id), 0) AS grand_total_cents,"
    " u.login AS created_by_login, u.name AS created_by_name"
    " FROM ccos c LEFT JOIN users u ON u.id = c.created_by_id"
)
COMMITMENT_SELECT = (
    "SELECT k.*, v.name AS vendor_name, p.name AS project_name FROM commitments k"
    " JOIN vendors v ON v.id = k.vendor_id JOIN projects p ON p.id = k.project_id"
)


def _list(request: Request, items: Sequence[object]) -> Response:
    """A page of a list, as JSONResponse writes it (compact, UTF-8) and in a fifth of the time:
    a page of 2,000 CCOs is the longest answer the sandbox gives."""
    chunk, headers = paginate(request, items)
    return Response(msgspec.json.encode(chunk), headers=headers, media_type="application/json")


async def me(request: Request) -> Response:
    with request_connection(request.app.state.data_file) as conn:
        caller = authenticate(conn, request)
    return JSONResponse({"id": caller.id, "login": caller.login, "name": caller.name})


async def companies(request: Request) -> Response:
    with request_connection(request.app.state.data_file) as conn:
        caller = authenticate(conn, request)
        rows = conn.execute(
            "SELECT c.id, c.name, c.is_active FROM companies c"
            " JOIN memberships m ON m.company_id = c.id WHERE m.user_id = ? ORDER BY c.id",
            (caller.id,),
        ).fetchall()
    items = [{"id": r["id"], "name": r["name"], "is_active": bool(r["is_active"])} for r in rows]
    return _list(request, items)


async def company_user(request: Request) -> Response:
    with request_connection(request.app.state.data_file) as conn:
        caller = authenticate(conn, request)
        company_id = header_company(conn, request, caller)
        same_company(conn, caller, company_id, int(request.path_params["company_id"]))
        user_id = int(request.path_params["user_id"])
        if not is_member(conn, user_id, company_id):
            raise not_found()
        row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return JSONResponse(
        {
            "id": row["id"],
            "login": row["login"],
            "name": row["name"],
            "email_address": row["email_address"],
            "erp_integrated_accountant": bool(row["erp_integrated_accountant"]),
        }
    )


async def projects(request: Request) -> Response:
    with request_connection(request.app.state.data_file) as conn:
        caller = authenticate(conn, request)
        company_id = header_company(conn, request, caller)
        same_company(conn, caller, company_id, int_param(request, "company_id"))
        rows = conn.execute(
            "SELECT p.*, c.name AS company_name FROM projects p"
            " JOIN companies c ON c.id = p.company_id WHERE p.company_id = ? ORDER BY p.id",
            (company_id,),
        ).fetchall()
    return _list(request, [shapes.project(r) for r in rows])


def _commitments(kind: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        with request_connection(request.app.state.data_file) as conn:
            caller = authenticate(conn, request)
            company_id = header_company(conn, request, caller)
            project = project_in_company(conn, int_param(request, "project_id"), company_id)
            rows = conn.execute(
                f"{COMMITMENT_SELECT} WHERE k.project_id = ? AND k.kind = ? ORDER BY k.id",
                (project["id"], kind),
            ).fetchall()
        wanted = _id_filter(request)
        if wanted is not None:
            rows = [row for row in rows if row["id"] in wanted]
        return _list(request, [shapes.commitment(r) for r in rows])

    return endpoint


def _id_filter(request: Request) -> set[int] | None:
    """`filters[id][]=…`, repeatable, as Procore's commitment lists take it; None when absent."""
    raw = request.query_params.getlist("filters[id][]")
    if not raw:
        return None
    try:
        return {int(value) for value in raw}
    except ValueError:
        raise bad_request("filters[id][] must be integers") from None


def _bool_filter(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise bad_request(f"{name} must be true or false")


def _time_range(request: Request, name: str) -> tuple[str | None, str | None] | None:
    """`start...end` (either end may be empty), or a single time meaning "from then on", as
    Procore-style UTC strings that compare correctly as text."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    start, _, end = raw.partition("...")

    def moment(text: str) -> str | None:
        if not text:
            return None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise bad_request(f"{name} must be an ISO-8601 time range: start...end") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return moment(start), moment(end)


async def ccos(request: Request) -> Response:
    """CCOs of a project; takes `filters[synced]` (our choice), `filters[contract_id|status]`
    and `filters[updated_at]` (a range, `start...end`)."""
    where = ["c.project_id = ?"]
    with request_connection(request.app.state.data_file) as conn:
        caller = authenticate(conn, request)
        company_id = header_company(conn, request, caller)
        project = project_in_company(conn, int(request.path_params["project_id"]), company_id)
        args: list[object] = [project["id"]]
        synced = _bool_filter(request, "filters[synced]")
        if synced is not None:
            where.append("c.origin_id IS NOT NULL" if synced else "c.origin_id IS NULL")
        contract = request.query_params.get("filters[contract_id]")
        if contract:
            try:
                args.append(int(contract))
            except ValueError:
                raise bad_request("filters[contract_id] must be an integer") from None
            where.append("c.contract_id = ?")
        status = request.query_params.get("filters[status]")
        if status:
            where.append("c.status = ?")
            args.append(status)
        updated = _time_range(request, "filters[updated_at]")
        if updated is not None:
            start, end = updated
            if start is not None:
                where.append("c.updated_at >= ?")
                args.append(start)
            if end is not None:
                where.append("c.updated_at <= ?")
                args.append(end)
        rows = conn.execute(
            f"{CCO_SELECT} WHERE {' AND '.join(where)} ORDER BY c.id", args
        ).fetchall()
    return _list(request, [shapes.cco(r) for r in rows])


async def cco_show(request: Request) -> Response:
    with request_connection(request.app.state.data_file) as conn:
        caller = authenticate(conn, request)
        company_id = header_company(conn, request, caller)
        project = project_in_company(conn, int(request.path_params["project_id"]), company_id)
        row = conn.execute(
            f"{CCO_SELECT} WHERE c.id = ? AND c.project_id = ?",
            (int(request.path_params["cco_id"]), project["id"]),
        ).fetchone()
        if row is None:
            raise not_found()
        lines = conn.execute(
            "SELECT * FROM cco_line_items WHERE cco_id = ? ORDER BY position, id", (row["id"],)
        ).fetchall()
    body = shapes.cco(row)
    body["line_items"] = [shapes.cco_line_item(line) for line in lines]
    return JSONResponse(body)


async def permissions(request: Request) -> Response:
    with request_connection(request.app.state.data_file) as conn:
        caller = authenticate(conn, request)
        company_id = header_company(conn, request, caller)
        if request.query_params.get("project_id"):
            project = project_in_company(conn, int_param(request, "project_id"), company_id)
            tools = tools_answer(conn, caller.id, "project", int(project["id"]))
        elif request.query_params.get("company_id"):
            same_company(conn, caller, company_id, int_param(request, "company_id"))
            tools = tools_answer(conn, caller.id, "company", company_id)
        else:
            raise bad_request("Missing required parameter: project_id or company_id")
    return JSONResponse({"tools": tools})


ROUTES = [
    Route("/rest/v1.0/me", me, methods=["GET"]),
    Route("/rest/v1.0/companies", companies, methods=["GET"]),
    Route(
        "/rest/v1.0/companies/{company_id:int}/users/{user_id:int}", company_user, methods=["GET"]
    ),
    Route(
        "/rest/v1.0/companies/{company_id:int}/external_data",
        external_data_endpoint,
        methods=["PATCH"],
    ),
    Route(
        "/rest/v1.0/companies/{company_id:int}/external_data/sync",
        external_data_sync_endpoint,
        methods=["PATCH"],
    ),
    Route("/rest/v1.0/projects", projects, methods=["GET"]),
    Route("/rest/v1.0/purchase_order_contracts", _commitments("purchase_order"), methods=["GET"]),
    Route("/rest/v1.0/work_order_contracts", _commitments("work_order"), methods=["GET"]),
    Route("/rest/v1.0/projects/{project_id:int}/commitment_change_orders", ccos, methods=["GET"]),
    Route(
        "/rest/v1.0/projects/{project_id:int}/commitment_change_orders/{cco_id:int}",
        cco_show,
        methods=["GET"],
    ),
    Route("/rest/v1.0/settings/permissions", permissions, methods=["GET"]),
]
