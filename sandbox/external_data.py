"""Clearing ERP links (the unlink), in Procore's two documented forms.

- `PATCH /rest/v1.0/companies/{company_id}/external_data/sync` with `{"updates": [...]}`: the ERP
  External Data Sync action Procore's current ERP docs name for marking a record unsynced. Like
  every Procore sync action it takes at most 1,000 items and answers 200 `{"entities", "errors"}`:
  an item it cannot find is listed under `errors` and the others are still cleared.
- `PATCH /rest/v1.0/companies/{company_id}/external_data` with a bare array: the form of Procore's
  older worked example. All or nothing: an item it cannot find answers 404 and nothing changes.

Both take Procore's External Data item types for a CCO, `change_order` and `line_item`, and refuse
any other with 422. Permissions are checked before anything is written, and the writes of one
request run in one transaction.

Clearing is idempotent, and each entity says whether this request `changed` it, so that of two
clients racing to clear one link exactly one hears it did. A request carrying an `Idempotency-Key`
is answered once: the same key (from the same user, with the same body) gets the first answer
again, so a client retrying after a lost answer learns that its first try did the change.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.access import header_company, same_company, tool_level
from sandbox.errors import NOT_FOUND, ApiError, bad_request, not_found
from sandbox.formats import procore_time
from sandbox.oauth import Caller, authenticate
from sandbox.store import request_connection, transaction

CHANGE_ORDER_TYPE = "change_order"
LINE_ITEM_TYPE = "line_item"
MAX_ITEMS = 1000
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
REFUSED_LINE = "could not be marked unsynced (sandbox fault)"


@dataclass(frozen=True)
class _Item:
    item_type: str
    item_id: int


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The body must be JSON") from None


def _items(data: Any, shape: str) -> list[_Item]:
    if not isinstance(data, list):
        raise bad_request(f"The body must be {shape}")
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
        if item_type not in (CHANGE_ORDER_TYPE, LINE_ITEM_TYPE):
            raise ApiError(422, f"Item {index}: unsupported item_type {item_type!r}")
        # Linking is the export's job; this tool's sandbox only clears links.
        if any(entry.get(key) is not None for key in ("origin_id", "origin_code", "origin_data")):
            raise ApiError(
                422,
                f"Item {index}: origin_id, origin_code and origin_data can only be set to null",
            )
        items.append(_Item(item_type, item_id))
    return items


_PROJECT_OF = {
    CHANGE_ORDER_TYPE: "SELECT c.project_id, p.company_id FROM ccos c"
    " JOIN projects p ON p.id = c.project_id WHERE c.id = ?",
    LINE_ITEM_TYPE: "SELECT c.project_id, p.company_id FROM cco_line_items l"
    " JOIN ccos c ON c.id = l.cco_id JOIN projects p ON p.id = c.project_id WHERE l.id = ?",
}


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise bad_request(f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_KEY_LENGTH} characters")
    return key


def _check_permissions(
    conn: sqlite3.Connection, caller: Caller, company_id: int, projects: list[int]
) -> None:
    """The same three permissions the product checks, enforced again here."""
    for project_id in projects:
        if tool_level(conn, caller.id, "project", project_id, "commitments") != "Admin":
            raise ApiError(
                403,
                f"Admin on the Commitments tool of project {project_id} is required.",
                reason="commitments_admin_required",
            )
    if not projects:
        return
    if tool_level(conn, caller.id, "company", company_id, "erp_integrations") not in (
        "Standard",
        "Admin",
    ):
        raise ApiError(
            403,
            "Standard or Admin on the company's ERP Integrations tool is required.",
            reason="erp_integrations_access_required",
        )
    if not caller.erp_integrated_accountant:
        raise ApiError(
            403,
            "The 'Can Push to Accounting' privilege in the Company Directory is required.",
            reason="can_push_to_accounting_required",
        )


def _clear(conn: sqlite3.Connection, item: _Item, now: str) -> dict[str, Any]:
    if item.item_type == CHANGE_ORDER_TYPE:
        # synced_at is when the link was made, so it goes with the link.
        cursor = conn.execute(
            "UPDATE ccos SET origin_id = NULL, origin_data = NULL, synced_at = NULL,"
            " updated_at = ? WHERE id = ? AND (origin_id IS NOT NULL OR origin_data IS NOT NULL)",
            (now, item.item_id),
        )
    else:
        cursor = conn.execute(
            "UPDATE cco_line_items SET origin_id = NULL WHERE id = ? AND origin_id IS NOT NULL",
            (item.item_id,),
        )
    return {
        "id": item.item_id,
        "item_type": item.item_type,
        "item_id": item.item_id,
        "origin_id": None,
        "origin_code": None,
        "origin_data": None,
        "changed": cursor.rowcount > 0,
    }


async def _unlink(request: Request, *, sync: bool) -> Response:
    body = await request.body()
    key = _idempotency_key(request)
    body_hash = hashlib.sha256(body).hexdigest()
    with request_connection(request.app.state.data_file) as conn:
        caller = authenticate(conn, request)
        company_id = header_company(conn, request, caller)
        same_company(conn, caller, company_id, int(request.path_params["company_id"]))
        data = _json(body)
        if sync:
            if not isinstance(data, dict) or "updates" not in data:
                raise bad_request('The body must be {"updates": [...]}')
            items = _items(data["updates"], 'a list under "updates"')
        else:
            items = _items(data, "a JSON array of external data items")
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
            refuse_lines = sync and request.app.state.config.faults.refuse_line_items
            projects: list[int] = []
            found: list[_Item] = []
            errors: list[dict[str, Any]] = []
            for item in items:
                row = conn.execute(_PROJECT_OF[item.item_type], (item.item_id,)).fetchone()
                problem = None
                if row is None or row["company_id"] != company_id:
                    if not sync:
                        raise not_found()
                    problem = NOT_FOUND
                elif refuse_lines and item.item_type == LINE_ITEM_TYPE:
                    problem = REFUSED_LINE
                if problem is not None:
                    # (choice) Procore does not document an error entry's shape.
                    errors.append(
                        {"item_type": item.item_type, "item_id": item.item_id, "errors": problem}
                    )
                    continue
                found.append(item)
                if row["project_id"] not in projects:
                    projects.append(int(row["project_id"]))
            _check_permissions(conn, caller, company_id, projects)
            now = procore_time(int(time.time()))
            reply = {"entities": [_clear(conn, item, now) for item in found], "errors": errors}
            if key is not None:
                conn.execute(
                    "INSERT INTO idempotent_replies (user_id, key, body_hash, reply, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (caller.id, key, body_hash, json.dumps(reply), int(time.time())),
                )
    return JSONResponse(reply)


async def external_data_sync_endpoint(request: Request) -> Response:
    return await _unlink(request, sync=True)


async def external_data_endpoint(request: Request) -> Response:
    return await _unlink(request, sync=False)
