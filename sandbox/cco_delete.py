"""`DELETE /rest/v1.0/projects/{project_id}/commitment_change_orders/{id}`: step 3 of the fix.

Procore answers 204 No Content, or 400/401/403 (docs/procore-api.md). Deleting a change order
takes 'Admin' on the project's Commitments tool, the level that edits commitments (the Procore
permissions matrix). A CCO still linked to QuickBooks Desktop is refused with 422: a synced record
is unlinked before it is deleted, as the article orders (choice: Procore documents no answer for
it; before unlink existed a synced record could be deleted only after Procore Support reset it).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.access import header_company, project_in_company, tool_level
from sandbox.errors import ApiError, not_found
from sandbox.oauth import authenticate
from sandbox.store import request_connection, transaction

STILL_LINKED = (
    "This commitment change order is synced with your ERP system. Unlink it before deleting it."
)


async def delete_cco(request: Request) -> Response:
    with request_connection(request.app.state.data_file) as conn:
        caller = authenticate(conn, request)
        company_id = header_company(conn, request, caller)
        project = project_in_company(conn, int(request.path_params["project_id"]), company_id)
        cco_id = int(request.path_params["cco_id"])
        with transaction(conn):
            row = conn.execute(
                "SELECT id, origin_id, origin_data FROM ccos WHERE id = ? AND project_id = ?",
                (cco_id, project["id"]),
            ).fetchone()
            if row is None:
                raise not_found()
            if tool_level(conn, caller.id, "project", project["id"], "commitments") != "Admin":
                raise ApiError(
                    403,
                    f"Admin on the Commitments tool of project {project['id']} is required.",
                    reason="commitments_admin_required",
                )
            linked_lines = conn.execute(
                "SELECT 1 FROM cco_line_items WHERE cco_id = ? AND origin_id IS NOT NULL",
                (cco_id,),
            ).fetchone()
            if row["origin_id"] is not None or row["origin_data"] is not None or linked_lines:
                raise ApiError(422, STILL_LINKED, reason="synced_with_erp")
            conn.execute("DELETE FROM cco_line_items WHERE cco_id = ?", (cco_id,))
            conn.execute("DELETE FROM ccos WHERE id = ?", (cco_id,))
    return Response(status_code=204)


ROUTES = [
    Route(
        "/rest/v1.0/projects/{project_id:int}/commitment_change_orders/{cco_id:int}",
        delete_cco,
        methods=["DELETE"],
    ),
]
