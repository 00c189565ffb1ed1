"""Turn Procore's JSON into typed records, naming the field when a reply cannot be trusted."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from services import safe_json
from services.errors import ProcoreReplyError
from services.models import (
    AccessLevel,
    CcoDetail,
    CcoLineDetail,
    CcoLineItem,
    CcoState,
    Commitment,
    Company,
    Project,
    QuickBooksLink,
    User,
)
from services.plain_text import printable


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProcoreReplyError(f"Procore sent a {what} that is not an object.")
    return value


def _int(record: dict[str, Any], key: str, what: str) -> int:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProcoreReplyError(f"Procore sent a {what} whose '{key}' is not a whole number.")
    return value


def _optional_int(record: dict[str, Any], key: str, what: str) -> int | None:
    return None if record.get(key) is None else _int(record, key, what)


def _text(record: dict[str, Any], key: str, what: str, *, default: str = "") -> str:
    value = record.get(key)
    if value is None:
        return default
    if isinstance(value, str | int) and not isinstance(value, bool):
        return printable(str(value))
    raise ProcoreReplyError(f"Procore sent a {what} whose '{key}' is not text.")


def _optional_text(record: dict[str, Any], key: str, what: str) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ProcoreReplyError(f"Procore sent a {what} whose '{key}' is not text.")
    return printable(value)


def _amount(value: object, key: str, what: str) -> Decimal:
    """An amount rounded to the cent (half to even, as Decimal rounds); none is zero."""
    if value is None:
        return Decimal("0.00")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ProcoreReplyError(f"Procore sent a {what} whose '{key}' is not an amount.")
    try:
        amount = Decimal(str(value))
        if amount.is_finite():
            # Raises InvalidOperation too: beyond 26 digits before the point, a cent is not
            # within Decimal's precision (1e400, say).
            return amount.quantize(_CENT)
    except InvalidOperation:
        pass
    raise ProcoreReplyError(f"Procore sent a {what} whose '{key}' is not an amount.")


_CENT = Decimal("0.01")


def _money(record: dict[str, Any], key: str, what: str) -> Decimal:
    return _amount(record.get(key), key, what)


def _moment(value: object, key: str, what: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ProcoreReplyError(f"Procore sent a {what} whose '{key}' is not a time.")
    try:
        return datetime.fromisoformat(value)  # "…Z" included, as Python 3.11 reads it
    except ValueError:
        raise ProcoreReplyError(f"Procore sent a {what} whose '{key}' is not a time.") from None


def _time(record: dict[str, Any], key: str, what: str) -> datetime | None:
    return _moment(record.get(key), key, what)


def user(value: Any) -> User:
    record = _object(value, "user")
    return User(
        id=_int(record, "id", "user"),
        login=_text(record, "login", "user"),
        name=_text(record, "name", "user"),
    )


def company(value: Any) -> Company:
    record = _object(value, "company")
    return Company(id=_int(record, "id", "company"), name=_text(record, "name", "company"))


def project(value: Any) -> Project:
    record = _object(value, "project")
    # display_name is "number - name"; the number has a place of its own.
    name = _text(record, "name", "project") or _text(record, "display_name", "project")
    # Only an origin_id Procore states as null marks a project unsynced; one it does not send
    # (another view of the list) leaves the project to be asked.
    return Project(
        id=_int(record, "id", "project"),
        name=name,
        number=_text(record, "project_number", "project"),
        synced=not ("origin_id" in record and record["origin_id"] is None),
    )


def commitment(value: Any) -> Commitment:
    record = _object(value, "commitment")
    vendor = record.get("vendor")
    vendor_name = ""
    if isinstance(vendor, dict):
        vendor_name = _text(vendor, "name", "commitment vendor") or _text(
            vendor, "company", "commitment vendor"
        )
    ref_number = None
    origin_data = record.get("origin_data")
    if isinstance(origin_data, str) and origin_data:
        try:
            decoded = safe_json.loads(origin_data)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict) and isinstance(decoded.get("ref_number"), str):
            ref_number = decoded["ref_number"]
    return Commitment(
        id=_int(record, "id", "commitment"),
        number=_text(record, "number", "commitment"),
        title=_text(record, "title", "commitment"),
        vendor=vendor_name,
        origin_id=_optional_text(record, "origin_id", "commitment"),
        po_ref_number=ref_number,
    )


class _OriginData(msgspec.Struct, gc=False):
    """A CCO's `origin_data`, as the sync writes it; other keys are ignored."""

    po_txn_id: str
    txn_line_ids: list[str]


_origin_data = msgspec.json.Decoder(_OriginData)


def quickbooks_link(origin_data: str | None) -> QuickBooksLink | None:
    """Read `{"po_txn_id": …, "txn_line_ids": […]}`; None when absent or unreadable."""
    parts = link_parts(origin_data)
    if parts is None:
        return None
    po_txn_id, line_ids = parts
    return QuickBooksLink(po_txn_id=po_txn_id, txn_line_ids=tuple(line_ids.split(",")))


def link_parts(origin_data: str | None) -> tuple[str, str] | None:
    """quickbooks_link's reading as a list row keeps it: the purchase order's TxnID and the
    lines' TxnLineIDs joined by commas (QuickBooks ids hold none). The usual CCO, of one line,
    gets that line's very string back, no copy. None when absent or unreadable."""
    if not origin_data:
        return None
    try:
        decoded = _origin_data.decode(origin_data)
    except (msgspec.DecodeError, RecursionError):  # ValidationError included: another shape
        return None
    line_ids = decoded.txn_line_ids
    if not decoded.po_txn_id.strip() or not line_ids:
        return None
    # QuickBooks ids hold no comma: one that does is not one of its ids (and rows join them).
    if len(line_ids) == 1:  # the usual CCO, checked without a generator
        line = line_ids[0]
        return (decoded.po_txn_id, line) if line.strip() and "," not in line else None
    if not all(line.strip() and "," not in line for line in line_ids):
        return None
    return decoded.po_txn_id, ",".join(line_ids)


class ChangeOrder(msgspec.Struct, gc=False):
    """A commitment change order as Procore lists it, with the fields the list reads; msgspec
    decodes a page of them straight from the answer's bytes and checks each field's type."""

    id: int
    contract_id: int
    number: str | int | None = None
    title: str | int | None = None
    grand_total: str | int | float | None = None
    synced_at: str | None = None
    updated_at: str | None = None
    origin_id: str | None = None
    origin_data: str | None = None

    @property
    def is_synced(self) -> bool:
        return bool(self.origin_id)


CHANGE_ORDER = "commitment change order"
change_orders_page = msgspec.json.Decoder(list[ChangeOrder])


def change_orders(content: bytes) -> list[ChangeOrder]:
    """A page of CCOs, decoded and checked in one pass."""
    try:
        return change_orders_page.decode(content)
    except msgspec.ValidationError as error:
        raise unreadable(CHANGE_ORDER, error) from None
    except msgspec.DecodeError:
        raise ProcoreReplyError(f"Procore sent a {CHANGE_ORDER} list that is not JSON.") from None
    except RecursionError:
        raise ProcoreReplyError(
            f"Procore sent a {CHANGE_ORDER} list with JSON nested too deeply to read."
        ) from None


def unreadable(what: str, error: msgspec.ValidationError) -> ProcoreReplyError:
    """msgspec's words for a field of the wrong type ("Expected `int`, got `str` - at
    `$[3].id`"), said as every other unreadable reply is: naming the field."""
    detail = str(error)
    _, _, where = detail.rpartition(" - at `")
    field_name = where.rstrip("`").rpartition(".")[2] if where else ""
    if field_name and not field_name.startswith("$"):
        return ProcoreReplyError(f"Procore sent a {what} whose '{field_name}' cannot be read.")
    return ProcoreReplyError(f"Procore sent a {what} list that cannot be read: {detail}.")


def cents(change_order: ChangeOrder) -> int:
    """The CCO's grand total in whole cents. Procore writes most as "1234.50": read straight
    into an integer; anything else (more places, an exponent, a number) through Decimal."""
    value = change_order.grand_total
    if isinstance(value, str):
        units, dot, places = value.partition(".")
        digits = units[1:] if units.startswith("-") else units
        if dot and len(places) == 2 and digits.isascii() and digits.isdigit() and places.isdigit():
            whole = int(digits) * 100 + int(places)
            return -whole if units.startswith("-") else whole
    return int(_amount(value, "grand_total", CHANGE_ORDER).scaleb(2))


def synced_epoch(change_order: ChangeOrder) -> int | None:
    """When the CCO was synced, else last updated, in seconds since 1970 UTC (a time without a
    zone is taken as UTC)."""
    if change_order.synced_at:
        moment = _moment(change_order.synced_at, "synced_at", CHANGE_ORDER)
    else:
        moment = _moment(change_order.updated_at, "updated_at", CHANGE_ORDER)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def text(value: str | int | None) -> str:
    """A field a row shows (a CCO's number, its title): printable; run for every row loaded."""
    if value is None:
        return ""
    shown = str(value)
    return shown if shown.isprintable() else printable(shown)


def cco_state(value: Any, project_id: int) -> CcoState:
    record = _object(value, "commitment change order")
    what = "commitment change order"
    raw_lines = record.get("line_items", [])
    if not isinstance(raw_lines, list):
        raise ProcoreReplyError(
            "Procore sent a commitment change order whose 'line_items' is not a list."
        )
    lines = []
    for raw_line in raw_lines:
        line = _object(raw_line, "line item")
        lines.append(
            CcoLineItem(
                id=_int(line, "id", "line item"),
                origin_id=_optional_text(line, "origin_id", "line item"),
            )
        )
    return CcoState(
        id=_int(record, "id", what),
        project_id=project_id,
        number=_text(record, "number", what),
        origin_id=_optional_text(record, "origin_id", what),
        origin_data=_optional_text(record, "origin_data", what),
        line_items=tuple(lines),
        commitment_id=_optional_int(record, "contract_id", what),
    )


def cco_detail(value: Any, project_id: int, read_at: datetime) -> CcoDetail:
    """The CCO with what a person reads of it: status, who created it, its lines."""
    state = cco_state(value, project_id)
    record = _object(value, "commitment change order")
    what = "commitment change order"
    creator = record.get("created_by")
    created_by = ""
    if isinstance(creator, dict):
        created_by = _text(creator, "name", "creator") or _text(creator, "login", "creator")
    lines = []
    for raw_line in record.get("line_items") or []:
        line = _object(raw_line, "line item")
        code = line.get("cost_code")
        cost_code = ""
        if isinstance(code, dict):
            parts = (_text(code, "full_code", "cost code"), _text(code, "name", "cost code"))
            cost_code = " ".join(part for part in parts if part)
        lines.append(
            CcoLineDetail(
                id=_int(line, "id", "line item"),
                description=_text(line, "description", "line item"),
                amount=_money(line, "amount", "line item"),
                cost_code=cost_code,
                origin_id=_optional_text(line, "origin_id", "line item"),
            )
        )
    return CcoDetail(
        state=state,
        status=_text(record, "status", what),
        created_by=created_by,
        created_at=_time(record, "created_at", what),
        updated_at=_time(record, "updated_at", what),
        lines=tuple(lines),
        read_at=read_at,
    )


def tool_levels(value: Any) -> dict[str, AccessLevel]:
    """Map each tool's name and friendly name (lower-case) to the user's level on it."""
    record = _object(value, "permissions answer")
    tools = record.get("tools")
    if not isinstance(tools, list):
        raise ProcoreReplyError("Procore sent a permissions answer without a list of tools.")
    levels: dict[str, AccessLevel] = {}
    for raw_tool in tools:
        tool = _object(raw_tool, "tool permission")
        access = tool.get("user_access_level")
        level_name = ""
        if isinstance(access, dict):
            level_name = _text(access, "name", "tool permission")
        elif isinstance(access, str):
            level_name = access
        # No level at all is no access; a level cco-unlink cannot read is an unreadable answer,
        # not a missing permission: the person must not be told to ask for what they may have.
        level = AccessLevel.from_name(level_name) if level_name else AccessLevel.NONE
        if level is None:
            raise ProcoreReplyError(
                f"Procore sent a tool permission level cco-unlink does not know: {level_name!r}."
            )
        for key in ("name", "friendly_name"):
            label = _text(tool, key, "tool permission").strip().lower()
            if label:
                levels[label] = max(level, levels.get(label, AccessLevel.NONE))
    return levels


def can_push_to_accounting(value: Any) -> bool:
    record = _object(value, "company user")
    flag = record.get("erp_integrated_accountant")
    if flag is None:
        return False
    if not isinstance(flag, bool):
        raise ProcoreReplyError(
            "Procore sent a company user whose 'erp_integrated_accountant' is not true or false."
        )
    return flag


def sync_errors(answer: Any) -> list[str]:
    """What a sync action's answer lists under `errors`, each entry told in a few words.

    Procore documents that a sync action answers 200 with `{"entities", "errors"}` but not the
    shape of an error entry, so any entry counts, whatever it holds (choice).
    """
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if not errors:
        return []
    entries = errors if isinstance(errors, list) else [errors]
    told = []
    for entry in entries[:MAX_ERRORS_TOLD]:
        try:
            told.append(printable(_error_entry(entry)))
        except RecursionError:  # str() of an entry nested hundreds deep
            told.append("refused, in words nested too deeply to read")
    if len(entries) > MAX_ERRORS_TOLD:
        told.append(f"and {len(entries) - MAX_ERRORS_TOLD} more")
    return told


MAX_ERRORS_TOLD = 10
"""Entries of a sync answer's errors told in a message; the rest are counted (choice)."""


def _error_entry(entry: Any) -> str:
    if not isinstance(entry, dict):
        return str(entry)[:200]
    item = " ".join(str(entry[key]) for key in ("item_type", "item_id") if key in entry)
    detail = next(
        (entry[key] for key in ("errors", "error", "message") if entry.get(key)), "refused"
    )
    if isinstance(detail, dict):
        detail = "; ".join(f"{name} {text}" for name, text in detail.items())
    elif isinstance(detail, list):
        detail = "; ".join(str(text) for text in detail)
    text = f"{item}: {detail}" if item else str(detail)
    return text[:200]


def cleared_anything(answer: Any) -> bool:
    """Whether an external_data answer says the request changed at least one item.

    Only an answer whose every entity says `"changed": false` means "nothing changed"; anything
    else, including an answer that does not say, is taken as a change, so that an unlink is
    never reported as someone else's doing on a guess.
    """
    entities = answer.get("entities") if isinstance(answer, dict) else None
    if not isinstance(entities, list) or not entities:
        return True
    flags = [entity.get("changed") if isinstance(entity, dict) else None for entity in entities]
    return not all(flag is False for flag in flags)


def confirms_cleared(answer: Any, sent: set[tuple[str, int]]) -> bool:
    """Whether an external_data answer lists every item sent, each with its link cleared."""
    entities = answer.get("entities") if isinstance(answer, dict) else None
    if not isinstance(entities, list):
        return False
    cleared = {
        (entity.get("item_type"), entity.get("item_id"))
        for entity in entities
        if isinstance(entity, dict) and "origin_id" in entity and entity["origin_id"] is None
    }
    return bool(sent) and sent <= cleared
