"""The simulated QuickBooks Desktop company file: answers to the qbXML requests it supports.

Each handler takes one `*Rq` element and returns its `*Rs` element. Status codes follow
docs/quickbooks-connector.md: 0 OK; 1 a filter matched nothing; 500 (Warn) a named TxnID or
ListID does not exist; 3120 a Mod or Del target does not exist; 3140 a bad reference; 3200 a stale
EditSequence; 3180 a request or element the simulation does not process. Handlers check
everything before writing, so a refused request changes nothing.
"""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sandbox import qb_ids
from sandbox.formats import money, parse_money, qb_time
from sandbox.qbxml import (
    bool_of,
    check_sequence,
    exclusive,
    response_for,
    sub,
    text_of,
)

OK = "Status OK"
NO_MATCH = "A query request did not find a matching object in QuickBooks"

Handler = Callable[[sqlite3.Connection, ET.Element, int], ET.Element]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

PO_QUERY_ORDER: tuple[str, ...] = (
    "TxnID",
    "RefNumber",
    "RefNumberCaseSensitive",
    "MaxReturned",
    "ModifiedDateRangeFilter",
    "TxnDateRangeFilter",
    "EntityFilter",
    "AccountFilter",
    "RefNumberFilter",
    "RefNumberRangeFilter",
    "CurrencyFilter",
    "IncludeLineItems",
    "IncludeLinkedTxns",
    "IncludeRetElement",
    "OwnerID",
)
PO_FILTERS = PO_QUERY_ORDER[3:11]
PO_MOD_ORDER: tuple[str | tuple[str, ...], ...] = (
    "TxnID",
    "EditSequence",
    "VendorRef",
    "ClassRef",
    ("InventorySiteRef", "ShipToEntityRef"),
    "TemplateRef",
    "TxnDate",
    "RefNumber",
    "VendorAddress",
    "ShipAddress",
    "TermsRef",
    "DueDate",
    "ExpectedDate",
    "ShipMethodRef",
    "FOB",
    "IsManuallyClosed",
    "Memo",
    "VendorMsg",
    "IsToBePrinted",
    "IsToBeEmailed",
    "IsTaxIncluded",
    "SalesTaxCodeRef",
    "Other1",
    "Other2",
    "ExchangeRate",
    ("PurchaseOrderLineMod", "PurchaseOrderLineGroupMod"),
)
PO_MOD_SIMULATED = {"TxnID", "EditSequence", "VendorRef", "TxnDate", "RefNumber", "Memo"}
LINE_MOD_ORDER: tuple[str, ...] = (
    "TxnLineID",
    "ItemRef",
    "ManufacturerPartNumber",
    "Desc",
    "Quantity",
    "UnitOfMeasure",
    "OverrideUOMSetRef",
    "Rate",
    "ClassRef",
    "Amount",
    "TaxAmount",
    "InventorySiteLocationRef",
    "CustomerRef",
    "ServiceDate",
    "SalesTaxCodeRef",
    "IsManuallyClosed",
    "OverrideItemAccountRef",
    "Other1",
    "Other2",
)
LINE_MOD_SIMULATED = {"TxnLineID", "ItemRef", "Desc", "Quantity", "Rate", "Amount"}


class _Refused(Exception):
    """A request-level failure: becomes the `*Rs` status instead of data."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _not_simulated(what: str) -> _Refused:
    return _Refused(3180, f"There was an error when processing the request. {what}")


def _missing_target(object_id: str) -> _Refused:
    return _Refused(3120, f'Object "{object_id}" specified in the request cannot be found.')


def _warn_missing(value: str) -> str:
    return (
        "The query request has not been fully completed. There was a required element "
        f'("{value}") that could not be found in QuickBooks.'
    )


# -- PurchaseOrderRet -----------------------------------------------------------------------------
@dataclass
class _Line:
    txn_line_id: str
    item_list_id: str | None
    description: str | None
    quantity: str | None
    rate: str | None
    amount_cents: int


def _lines(conn: sqlite3.Connection, txn_id: str) -> list[_Line]:
    rows = conn.execute(
        "SELECT * FROM qb_po_lines WHERE txn_id = ? ORDER BY position", (txn_id,)
    ).fetchall()
    return [
        _Line(
            r["txn_line_id"],
            r["item_list_id"],
            r["description"],
            r["quantity"],
            r["rate"],
            int(r["amount_cents"]),
        )
        for r in rows
    ]


def _item_name(conn: sqlite3.Connection, list_id: str) -> str:
    row = conn.execute("SELECT full_name FROM qb_items WHERE list_id = ?", (list_id,)).fetchone()
    return "" if row is None else str(row["full_name"])


def purchase_order_ret(
    conn: sqlite3.Connection, po: sqlite3.Row, include_lines: bool, only: set[str] | None
) -> ET.Element:
    """A PurchaseOrderRet with its children in the order qbxml130.xsd requires."""
    lines = _lines(conn, po["txn_id"])
    vendor = conn.execute(
        "SELECT name FROM qb_vendors WHERE list_id = ?", (po["vendor_list_id"],)
    ).fetchone()
    ret = ET.Element("PurchaseOrderRet")
    sub(ret, "TxnID", po["txn_id"])
    sub(ret, "TimeCreated", po["time_created"])
    sub(ret, "TimeModified", po["time_modified"])
    sub(ret, "EditSequence", po["edit_sequence"])
    sub(ret, "TxnNumber", str(po["txn_number"]))
    vendor_ref = sub(ret, "VendorRef")
    sub(vendor_ref, "ListID", po["vendor_list_id"])
    sub(vendor_ref, "FullName", "" if vendor is None else vendor["name"])
    sub(ret, "TxnDate", po["txn_date"])
    sub(ret, "RefNumber", po["ref_number"])
    sub(ret, "TotalAmount", money(sum(line.amount_cents for line in lines)))
    sub(ret, "IsManuallyClosed", "false")
    sub(ret, "IsFullyReceived", "false")
    if po["memo"]:
        sub(ret, "Memo", po["memo"])
    sub(ret, "IsToBePrinted", "false")
    sub(ret, "IsToBeEmailed", "false")
    if include_lines:
        for line in lines:
            ret.append(_line_ret(conn, line))
    if only is not None:
        for child in list(ret):
            if child.tag not in only:
                ret.remove(child)
    return ret


def _line_ret(conn: sqlite3.Connection, line: _Line) -> ET.Element:
    el = ET.Element("PurchaseOrderLineRet")
    sub(el, "TxnLineID", line.txn_line_id)
    if line.item_list_id is not None:
        item = sub(el, "ItemRef")
        sub(item, "ListID", line.item_list_id)
        sub(item, "FullName", _item_name(conn, line.item_list_id))
    if line.description is not None:
        sub(el, "Desc", line.description)
    if line.quantity is not None:
        sub(el, "Quantity", line.quantity)
    if line.rate is not None:
        sub(el, "Rate", line.rate)
    sub(el, "Amount", money(line.amount_cents))
    sub(el, "ReceivedQuantity", "0")
    sub(el, "IsBilled", "false")
    sub(el, "IsManuallyClosed", "false")
    return el


def _po(conn: sqlite3.Connection, txn_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM qb_purchase_orders WHERE txn_id = ?", (txn_id,)
    ).fetchone()
    return row


# -- PurchaseOrderQueryRq -------------------------------------------------------------------------
def _query_flags(rq: ET.Element) -> None:
    if rq.get("iterator") is not None:
        raise _not_simulated("The sandbox does not simulate query iterators.")
    if rq.get("metaData", "NoMetaData") != "NoMetaData":
        raise _not_simulated("The sandbox does not simulate metaData queries.")


def _filtered_purchase_orders(conn: sqlite3.Connection, rq: ET.Element) -> list[sqlite3.Row]:
    where: list[str] = []
    args: list[object] = []
    for tag in (
        "ModifiedDateRangeFilter",
        "AccountFilter",
        "RefNumberRangeFilter",
        "CurrencyFilter",
    ):
        if rq.find(tag) is not None:
            raise _not_simulated(f"The sandbox does not simulate {tag}.")
    date_filter = rq.find("TxnDateRangeFilter")
    if date_filter is not None:
        check_sequence(date_filter, ("FromTxnDate", "ToTxnDate", "DateMacro"))
        if date_filter.find("DateMacro") is not None:
            raise _not_simulated("The sandbox does not simulate DateMacro.")
        for tag, op in (("FromTxnDate", ">="), ("ToTxnDate", "<=")):
            value = text_of(date_filter.find(tag))
            if value:
                where.append(f"txn_date {op} ?")
                args.append(value)
    entity = rq.find("EntityFilter")
    if entity is not None:
        ids = [text_of(e) for e in entity.findall("ListID")]
        names = [text_of(e) for e in entity.findall("FullName")]
        if not ids and not names:
            raise _not_simulated("The sandbox simulates EntityFilter by ListID or FullName only.")
        marks = ",".join("?" * (len(ids) or len(names)))
        if ids:
            where.append(f"vendor_list_id IN ({marks})")
            args.extend(ids)
        else:
            where.append(
                f"vendor_list_id IN (SELECT list_id FROM qb_vendors WHERE name IN ({marks}))"
            )
            args.extend(names)
    ref_filter = rq.find("RefNumberFilter")
    if ref_filter is not None:
        criterion = text_of(ref_filter.find("MatchCriterion"))
        value = text_of(ref_filter.find("RefNumber")).lower()
        patterns = {"StartsWith": f"{value}%", "Contains": f"%{value}%", "EndsWith": f"%{value}"}
        if criterion not in patterns:
            raise _not_simulated(f"Unknown MatchCriterion {criterion!r}.")
        where.append("lower(ref_number) LIKE ?")
        args.append(patterns[criterion])
    sql = "SELECT * FROM qb_purchase_orders"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY txn_number"
    max_returned = text_of(rq.find("MaxReturned"))
    if max_returned:
        if not max_returned.isdigit():
            raise _not_simulated("MaxReturned must be a number.")
        sql += f" LIMIT {int(max_returned)}"
    return list(conn.execute(sql, args).fetchall())


def _named_purchase_orders(
    conn: sqlite3.Connection, rq: ET.Element
) -> tuple[list[sqlite3.Row], list[str]]:
    """POs named by TxnID or RefNumber, in the order asked; and the names that matched nothing."""
    found: list[sqlite3.Row] = []
    missing: list[str] = []
    seen: set[str] = set()
    for tag, column in (
        ("TxnID", "txn_id = ?"),
        ("RefNumber", "lower(ref_number) = lower(?)"),
        ("RefNumberCaseSensitive", "ref_number = ?"),
    ):
        for element in rq.findall(tag):
            value = text_of(element)
            rows = conn.execute(
                f"SELECT * FROM qb_purchase_orders WHERE {column} ORDER BY txn_number", (value,)
            ).fetchall()
            if not rows:
                missing.append(value)
            for row in rows:
                if row["txn_id"] not in seen:
                    seen.add(row["txn_id"])
                    found.append(row)
    return found, missing


def purchase_order_query(conn: sqlite3.Connection, rq: ET.Element, now: int) -> ET.Element:
    check_sequence(
        rq,
        PO_QUERY_ORDER,
        repeatable=("TxnID", "RefNumber", "RefNumberCaseSensitive", "IncludeRetElement", "OwnerID"),
    )
    exclusive(rq, ("TxnID",), ("RefNumber",), ("RefNumberCaseSensitive",), PO_FILTERS)
    exclusive(rq, ("ModifiedDateRangeFilter",), ("TxnDateRangeFilter",))
    exclusive(rq, ("RefNumberFilter",), ("RefNumberRangeFilter",))
    include_lines = bool_of(rq.find("IncludeLineItems"))
    only = {text_of(e) for e in rq.findall("IncludeRetElement")} or None
    try:
        _query_flags(rq)
        if any(rq.find(t) is not None for t in ("TxnID", "RefNumber", "RefNumberCaseSensitive")):
            rows, missing = _named_purchase_orders(conn, rq)
            # A lookup by id that misses is QuickBooks' 500 Warn, which still returns the hits.
            code, message = (500, _warn_missing(missing[0])) if missing else (0, OK)
        else:
            rows = _filtered_purchase_orders(conn, rq)
            code, message = (0, OK) if rows else (1, NO_MATCH)
    except _Refused as refused:
        return response_for(rq, refused.code, refused.message)
    rs = response_for(rq, code, message)
    for row in rows:
        rs.append(purchase_order_ret(conn, row, include_lines, only))
    return rs


# -- PurchaseOrderModRq ---------------------------------------------------------------------------
def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _Refused(
            3180, f'There was an error when saving a purchase order: "{text}" is not a {what}.'
        ) from None
    return value


def _item_ref(conn: sqlite3.Connection, ref: ET.Element) -> str:
    list_id = text_of(ref.find("ListID"))
    name = text_of(ref.find("FullName"))
    row = conn.execute(
        "SELECT list_id FROM qb_items WHERE list_id = ? OR (? != '' AND full_name = ?)",
        (list_id, name, name),
    ).fetchone()
    if row is None:
        raise _Refused(
            3140, f'There is an invalid reference to QuickBooks Item "{list_id or name}".'
        )
    return str(row["list_id"])


def _apply_line_mod(conn: sqlite3.Connection, mod: ET.Element, line: _Line) -> None:
    check_sequence(mod, LINE_MOD_ORDER, required=("TxnLineID",))
    for child in mod:
        if child.tag not in LINE_MOD_SIMULATED:
            raise _not_simulated(f"The sandbox does not simulate <{child.tag}> on lines.")
    item = mod.find("ItemRef")
    if item is not None:
        line.item_list_id = _item_ref(conn, item)
    if mod.find("Desc") is not None:
        line.description = text_of(mod.find("Desc"))
    quantity = mod.find("Quantity")
    rate = mod.find("Rate")
    if quantity is not None:
        line.quantity = format(_decimal(text_of(quantity), "quantity"), "f")
    if rate is not None:
        line.rate = format(_decimal(text_of(rate), "rate"), "f")
    amount = mod.find("Amount")
    if amount is not None:
        try:
            line.amount_cents = parse_money(text_of(amount))
        except ValueError:
            raise _Refused(
                3180, "There was an error when saving a purchase order: bad Amount."
            ) from None
    elif (quantity is not None or rate is not None) and line.quantity and line.rate:
        # QuickBooks computes Amount = Quantity x Rate when only those change.
        line.amount_cents = parse_money(str(Decimal(line.quantity) * Decimal(line.rate)))


def _new_line(conn: sqlite3.Connection, now: int) -> _Line:
    return _Line(qb_ids.next_txn_id(conn, now), None, None, None, None, 0)


def purchase_order_mod(conn: sqlite3.Connection, rq: ET.Element, now: int) -> ET.Element:
    check_sequence(
        rq, ("PurchaseOrderMod", "IncludeRetElement"), ("IncludeRetElement",), ("PurchaseOrderMod",)
    )
    mod = rq.find("PurchaseOrderMod")
    assert mod is not None
    check_sequence(
        mod,
        PO_MOD_ORDER,
        repeatable=("PurchaseOrderLineMod", "PurchaseOrderLineGroupMod"),
        required=("TxnID", "EditSequence"),
    )
    only = {text_of(e) for e in rq.findall("IncludeRetElement")} or None
    txn_id = text_of(mod.find("TxnID"))
    try:
        po = _po(conn, txn_id)
        if po is None:
            raise _missing_target(txn_id)
        edit_sequence = text_of(mod.find("EditSequence"))
        if edit_sequence != po["edit_sequence"]:
            raise _Refused(3200, f'The provided edit sequence "{edit_sequence}" is out-of-date.')
        for child in mod:
            if child.tag not in PO_MOD_SIMULATED and child.tag != "PurchaseOrderLineMod":
                raise _not_simulated(f"The sandbox does not simulate <{child.tag}>.")
        header = _header_changes(conn, mod)
        line_mods = mod.findall("PurchaseOrderLineMod")
        lines = _lines(conn, txn_id)
        if line_mods:
            # A Mod that lists lines replaces the line list: lines left out are deleted.
            existing = {line.txn_line_id: line for line in lines}
            kept: list[_Line] = []
            for line_mod in line_mods:
                line_id = text_of(line_mod.find("TxnLineID"))
                if line_id == "-1":
                    line = _new_line(conn, now)
                elif line_id in existing:
                    line = existing.pop(line_id)
                else:
                    raise _missing_target(line_id)
                _apply_line_mod(conn, line_mod, line)
                kept.append(line)
            lines = kept
    except _Refused as refused:
        return response_for(rq, refused.code, refused.message)

    for column, value in header.items():
        conn.execute(
            f"UPDATE qb_purchase_orders SET {column} = ? WHERE txn_id = ?", (value, txn_id)
        )
    if line_mods:
        conn.execute("DELETE FROM qb_po_lines WHERE txn_id = ?", (txn_id,))
        for position, line in enumerate(lines):
            conn.execute(
                "INSERT INTO qb_po_lines(txn_line_id, txn_id, position, item_list_id,"
                " description, quantity, rate, amount_cents) VALUES (?,?,?,?,?,?,?,?)",
                (
                    line.txn_line_id,
                    txn_id,
                    position,
                    line.item_list_id,
                    line.description,
                    line.quantity,
                    line.rate,
                    line.amount_cents,
                ),
            )
    conn.execute(
        "UPDATE qb_purchase_orders SET edit_sequence = ?, time_modified = ? WHERE txn_id = ?",
        (qb_ids.next_edit_sequence(po["edit_sequence"], now), qb_time(now), txn_id),
    )
    updated = _po(conn, txn_id)
    assert updated is not None
    rs = response_for(rq, 0, OK)
    rs.append(purchase_order_ret(conn, updated, True, only))
    return rs


def _header_changes(conn: sqlite3.Connection, mod: ET.Element) -> dict[str, str]:
    changes: dict[str, str] = {}
    vendor = mod.find("VendorRef")
    if vendor is not None:
        list_id = text_of(vendor.find("ListID"))
        name = text_of(vendor.find("FullName"))
        row = conn.execute(
            "SELECT list_id FROM qb_vendors WHERE list_id = ? OR (? != '' AND name = ?)",
            (list_id, name, name),
        ).fetchone()
        if row is None:
            raise _Refused(
                3140, f'There is an invalid reference to QuickBooks Vendor "{list_id or name}".'
            )
        changes["vendor_list_id"] = str(row["list_id"])
    if mod.find("TxnDate") is not None:
        date = text_of(mod.find("TxnDate"))
        if not _DATE.match(date):
            raise _Refused(3020, f'There was an error when converting the date value "{date}".')
        changes["txn_date"] = date
    if mod.find("RefNumber") is not None:
        ref = text_of(mod.find("RefNumber"))
        if len(ref) > 11:
            raise _Refused(3070, f'The string "{ref}" in the field "RefNumber" is too long.')
        changes["ref_number"] = ref
    if mod.find("Memo") is not None:
        changes["memo"] = text_of(mod.find("Memo"))
    return changes


# -- TxnDelRq / TxnDeletedQueryRq -----------------------------------------------------------------
def txn_del(conn: sqlite3.Connection, rq: ET.Element, now: int) -> ET.Element:
    check_sequence(rq, ("TxnDelType", "TxnID"), required=("TxnDelType", "TxnID"))
    del_type = text_of(rq.find("TxnDelType"))
    txn_id = text_of(rq.find("TxnID"))
    # The simulated file holds purchase orders only, so any other type has nothing to delete.
    po = _po(conn, txn_id) if del_type == "PurchaseOrder" else None
    if po is None:
        refused = _missing_target(txn_id)
        return response_for(rq, refused.code, refused.message)
    deleted_at = qb_time(now)
    conn.execute("DELETE FROM qb_po_lines WHERE txn_id = ?", (txn_id,))
    conn.execute("DELETE FROM qb_purchase_orders WHERE txn_id = ?", (txn_id,))
    conn.execute(
        "INSERT OR REPLACE INTO qb_deleted_txns VALUES (?, ?, ?, ?, ?)",
        (txn_id, del_type, po["time_created"], deleted_at, po["ref_number"]),
    )
    rs = response_for(rq, 0, OK)
    sub(rs, "TxnDelType", del_type)
    sub(rs, "TxnID", txn_id)
    sub(rs, "TimeDeleted", deleted_at)
    sub(rs, "RefNumber", po["ref_number"])
    return rs


def txn_deleted_query(conn: sqlite3.Connection, rq: ET.Element, now: int) -> ET.Element:
    check_sequence(
        rq,
        ("TxnDelType", "DeletedDateRangeFilter", "IncludeRetElement"),
        repeatable=("TxnDelType", "IncludeRetElement"),
        required=("TxnDelType",),
    )
    if rq.find("DeletedDateRangeFilter") is not None:
        refused = _not_simulated("The sandbox does not simulate DeletedDateRangeFilter.")
        return response_for(rq, refused.code, refused.message)
    types = [text_of(e) for e in rq.findall("TxnDelType")]
    rows = conn.execute(
        f"SELECT * FROM qb_deleted_txns WHERE txn_del_type IN ({','.join('?' * len(types))})"
        " ORDER BY time_deleted, txn_id",
        types,
    ).fetchall()
    rs = response_for(rq, 0, OK) if rows else response_for(rq, 1, NO_MATCH)
    for row in rows:
        ret = sub(rs, "TxnDeletedRet")
        sub(ret, "TxnDelType", row["txn_del_type"])
        sub(ret, "TxnID", row["txn_id"])
        sub(ret, "TimeCreated", row["time_created"])
        sub(ret, "TimeDeleted", row["time_deleted"])
        if row["ref_number"]:
            sub(ret, "RefNumber", row["ref_number"])
    return rs


# -- VendorQueryRq --------------------------------------------------------------------------------
def vendor_query(conn: sqlite3.Connection, rq: ET.Element, now: int) -> ET.Element:
    check_sequence(
        rq,
        ("ListID", "FullName", "MaxReturned", "ActiveStatus", "IncludeRetElement", "OwnerID"),
        repeatable=("ListID", "FullName", "IncludeRetElement", "OwnerID"),
    )
    exclusive(rq, ("ListID",), ("FullName",), ("MaxReturned", "ActiveStatus"))
    try:
        _query_flags(rq)
    except _Refused as refused:
        return response_for(rq, refused.code, refused.message)
    named = [(text_of(e), "list_id") for e in rq.findall("ListID")]
    named += [(text_of(e), "name") for e in rq.findall("FullName")]
    missing: list[str] = []
    if named:
        rows = []
        for value, column in named:
            row = conn.execute(f"SELECT * FROM qb_vendors WHERE {column} = ?", (value,)).fetchone()
            if row is None:
                missing.append(value)
            else:
                rows.append(row)
        code, message = (500, _warn_missing(missing[0])) if missing else (0, OK)
    else:
        sql = "SELECT * FROM qb_vendors ORDER BY list_id"
        max_returned = text_of(rq.find("MaxReturned"))
        if max_returned.isdigit():
            sql += f" LIMIT {int(max_returned)}"
        rows = list(conn.execute(sql).fetchall())
        code, message = (0, OK) if rows else (1, NO_MATCH)
    rs = response_for(rq, code, message)
    for row in rows:
        ret = sub(rs, "VendorRet")
        sub(ret, "ListID", row["list_id"])
        sub(ret, "TimeCreated", row["time_created"])
        sub(ret, "TimeModified", row["time_modified"])
        sub(ret, "EditSequence", row["edit_sequence"])
        sub(ret, "Name", row["name"])
        sub(ret, "IsActive", "true")
    return rs


HANDLERS: dict[str, Handler] = {
    "PurchaseOrderQueryRq": purchase_order_query,
    "PurchaseOrderModRq": purchase_order_mod,
    "TxnDelRq": txn_del,
    "TxnDeletedQueryRq": txn_deleted_query,
    "VendorQueryRq": vendor_query,
}


def handle(conn: sqlite3.Connection, rq: ET.Element, now: int) -> ET.Element:
    handler = HANDLERS.get(rq.tag)
    if handler is None:
        return response_for(
            rq,
            3180,
            f"There was an error when processing the request. The sandbox's simulated "
            f"QuickBooks does not support {rq.tag}.",
        )
    return handler(conn, rq, now)
