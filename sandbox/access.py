"""Who may see what on the Procore side: company scoping, project lookup, tool levels."""

from __future__ import annotations

import sqlite3

from starlette.requests import Request

from sandbox.errors import MISSING_COMPANY, ApiError, bad_request, not_found
from sandbox.oauth import Caller

LEVEL_IDS = {"None": 1, "Read Only": 2, "Standard": 3, "Admin": 4}
# name -> (id, friendly name), the shape of /rest/v1.0/settings/permissions.
TOOLS = {
    "commitments": (3, "Commitments"),
    "budget": (5, "Budget"),
    "directory": (12, "Directory"),
    "erp_integrations": (62, "ERP Integrations"),
}


def is_member(conn: sqlite3.Connection, user_id: int, company_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM memberships WHERE user_id = ? AND company_id = ?", (user_id, company_id)
    ).fetchone()
    return row is not None


def _forbidden_company(company_id: int) -> ApiError:
    return ApiError(
        403,
        f"You do not have access to company {company_id}.",
        reason="company_access_denied",
    )


def header_company(conn: sqlite3.Connection, request: Request, caller: Caller) -> int:
    """The company of the Procore-Company-Id header, which the caller must belong to."""
    raw = request.headers.get("procore-company-id")
    if raw is None or raw.strip() == "":
        raise bad_request(MISSING_COMPANY)
    try:
        company_id = int(raw.strip())
    except ValueError:
        raise bad_request("Procore-Company-Id must be an integer") from None
    if not is_member(conn, caller.id, company_id):
        raise _forbidden_company(company_id)
    return company_id


def same_company(conn: sqlite3.Connection, caller: Caller, header: int, named: int) -> None:
    """A company named in the path or query must be one the caller belongs to and the header's."""
    if not is_member(conn, caller.id, named):
        raise _forbidden_company(named)
    if named != header:
        raise bad_request(f"company_id {named} does not match the Procore-Company-Id header")


def int_param(request: Request, name: str) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        raise bad_request(f"Missing required parameter: {name}")
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None


def project_in_company(conn: sqlite3.Connection, project_id: int, company_id: int) -> sqlite3.Row:
    """The project, or 404 when it does not exist or belongs to another company."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT p.*, c.name AS company_name FROM projects p JOIN companies c ON c.id = p.company_id"
        " WHERE p.id = ? AND p.company_id = ?",
        (project_id, company_id),
    ).fetchone()
    if row is None:
        raise not_found()
    return row


def tool_level(conn: sqlite3.Connection, user_id: int, scope: str, scope_id: int, tool: str) -> str:
    row = conn.execute(
        "SELECT level FROM tool_levels"
        " WHERE user_id = ? AND scope = ? AND scope_id = ? AND tool = ?",
        (user_id, scope, scope_id, tool),
    ).fetchone()
    return "None" if row is None else str(row["level"])


def tools_answer(conn: sqlite3.Connection, user_id: int, scope: str, scope_id: int) -> list[object]:
    rows = conn.execute(
        "SELECT tool, level FROM tool_levels WHERE user_id = ? AND scope = ? AND scope_id = ?"
        " ORDER BY tool",
        (user_id, scope, scope_id),
    ).fetchall()
    tools: list[object] = []
    for row in rows:
        tool_id, friendly = TOOLS.get(str(row["tool"]), (0, str(row["tool"])))
        level = str(row["level"])
        tools.append(
            {
                "id": tool_id,
                "name": row["tool"],
                "friendly_name": friendly,
                "user_access_level": {"id": LEVEL_IDS.get(level, 0), "name": level},
            }
        )
    return tools
