"""PATCH /rest/v1.0/companies/{company_id}/external_data: clearing ERP links (the unlink).

All checks run before anything is written, and the writes run in one transaction, so a request
either clears every item it names or changes nothing.

Clearing is idempotent, and each entity says whether this request `changed` it, so that of two
clients racing to clear one link exactly one hears it did. A request carrying an `Idempotency-Key`
is answered once: the same key (from the same user, with the same body) gets the first answer
again, so a client retrying after a lost answer learns that its first try did the change.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.access import header_company, same_company, tool_level
from sandbox.errors import ApiError, bad_request, not_found
from sandbox.formats import procore_time
from sandbox.oauth import authenticate
from sandbox.store import connection, transaction

CCO_TYPE = "CommitmentChangeOrder"
LINE_TYPE = "CommitmentChangeOrderLineItem"
MAX_ITEMS = 1000
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class _Item:
    item_type: str
    item_id: int


def _parse(body: bytes) -> list[_Item]:
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The body must be a JSON array") from None
    if not isinstance(data, list):
        raise bad_request("The body must be a JSON array of external data items")
    if len(data) > MAX_ITEMS:
        raise bad_request(f"At most {MAX_ITEMS} items per request")
    items: list[_Item] = []
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or not {"item_type", "item_id", "origin_id"} <= entry.keys():
            raise bad_request(f"Item {index} needs item_type, item_id and origin_id")
        item_id = entry["item_id"]
        if isinstance(item_id, bool) or not isinstance(item_id, int):
            raise bad_request(f"Item {index}: item_id must be an integer")
        item_type = entry["item_type"]
        if item_type not in (CCO_TYPE, LINE_TYPE):
            raise ApiError(422, f"Item {index}: unsupported item_type {item_type!r}")
        # Linking is the export's job; this endpoint only clears links.
        if entry["origin_id"] is not None or entry.get("origin_data") is not None:
            raise ApiError(
                422, f"Item {index}: origin_id and origin_data can only be set to null here"
            )
        items.append(_Item(item_type, item_id))
    return items


_PROJECT_OF = {
    CCO_TYPE: "SELECT c.project_id, p.company_id FROM ccos c"
    " JOIN projects p ON p.id = c.project_id WHERE c.id = ?",
    LINE_TYPE: "SELECT c.project_id, p.company_id FROM cco_line_items l"
    " JOIN ccos c ON c.id = l.cco_id JOIN projects p ON p.id = c.project_id WHERE l.id = ?",
}


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise bad_request(f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_KEY_LENGTH} characters")
    return key


async def external_data_endpoint(request: Request) -> Response:
    body = await request.body()
    key = _idempotency_key(request)
    body_hash = hashlib.sha256(body).hexdigest()
    with connection(request.app.state.data_file) as conn:
        caller = authenticate(conn, request)
        company_id = header_company(conn, request, caller)
        same_company(conn, caller, company_id, int(request.path_params["company_id"]))
        items = _parse(body)
        with transaction(conn):
            if key is not None:
                earlier = conn.execute(
                    "SELECT body_hash, reply FROM idempotent_replies WHERE user_id = ? AND key = ?",
                    (caller.id, key),
                ).fetchone()
                if earlier is not None:
                    if earlier["body_hash"] != body_hash:
                        raise ApiError(
                            422, f"This {IDEMPOTENCY_HEADER} was already used for another change"
                        )
                    return JSONResponse(json.loads(earlier["reply"]))
            projects: list[int] = []
            for item in items:
                row = conn.execute(_PROJECT_OF[item.item_type], (item.item_id,)).fetchone()
                if row is None or row["company_id"] != company_id:
                    raise not_found()
                if row["project_id"] not in projects:
                    projects.append(int(row["project_id"]))

            # The same three permissions the product checks, enforced again here.
            for project_id in projects:
                if tool_level(conn, caller.id, "project", project_id, "commitments") != "Admin":
                    raise ApiError(
                        403,
                        f"Admin on the Commitments tool of project {project_id} is required.",
                        reason="commitments_admin_required",
                    )
            erp = tool_level(conn, caller.id, "company", company_id, "erp_integrations")
            if items and erp not in ("Standard", "Admin"):
                raise ApiError(
                    403,
                    "Standard or Admin on the company's ERP Integrations tool is required.",
                    reason="erp_integrations_access_required",
                )
            if items and not caller.erp_integrated_accountant:
                raise ApiError(
                    403,
                    "The 'Can Push to Accounting' privilege in the Company Directory is required.",
                    reason="can_push_to_accounting_required",
                )

            now = procore_time(int(time.time()))
            entities = []
            for item in items:
                if item.item_type == CCO_TYPE:
                    # synced_at is when the link was made, so it goes with the link.
                    cursor = conn.execute(
                        "UPDATE ccos SET origin_id = NULL, origin_data = NULL, synced_at = NULL,"
                        " updated_at = ? WHERE id = ?"
                        " AND (origin_id IS NOT NULL OR origin_data IS NOT NULL)",
                        (now, item.item_id),
                    )
                else:
                    cursor = conn.execute(
                        "UPDATE cco_line_items SET origin_id = NULL"
                        " WHERE id = ? AND origin_id IS NOT NULL",
                        (item.item_id,),
                    )
                entities.append(
                    {
                        "id": item.item_id,
                        "item_type": item.item_type,
                        "item_id": item.item_id,
                        "origin_id": None,
                        "changed": cursor.rowcount > 0,
                    }
                )
            reply = {"entities": entities, "errors": []}
            if key is not None:
                conn.execute(
                    "INSERT INTO idempotent_replies (user_id, key, body_hash, reply, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (caller.id, key, body_hash, json.dumps(reply), int(time.time())),
                )
    return JSONResponse(reply)
