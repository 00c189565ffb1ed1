"""Rows to the JSON shapes of docs/procore-api.md."""

from __future__ import annotations

import sqlite3
from typing import Any

from sandbox.formats import money

JSON = dict[str, Any]

COMMITMENT_TYPES = {"purchase_order": "PurchaseOrderContract", "work_order": "WorkOrderContract"}


def project(row: sqlite3.Row) -> JSON:
    return {
        "id": row["id"],
        "name": row["name"],
        # Procore's display_name is "<number> - <name>".
        "display_name": f"{row['project_number']} - {row['name']}",
        "project_number": row["project_number"],
        "company": {"id": row["company_id"], "name": row["company_name"]},
        # Set when the project is synced with the ERP; only such a project holds synced records.
        "origin_id": row["origin_id"],
        "origin_code": None,
        "origin_data": None,
    }


def commitment(row: sqlite3.Row) -> JSON:
    return {
        "id": row["id"],
        "number": row["number"],
        "title": row["title"],
        "status": row["status"],
        "type": COMMITMENT_TYPES[str(row["kind"])],
        "vendor": {"id": row["vendor_id"], "name": row["vendor_name"]},
        "origin_id": row["origin_id"],
        "origin_code": None,
        "origin_data": row["origin_data"],
        "project": {"id": row["project_id"], "name": row["project_name"]},
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def cco(row: sqlite3.Row) -> JSON:
    return {
        "id": row["id"],
        "number": row["number"],
        "title": row["title"],
        "status": row["status"],
        "contract_id": row["contract_id"],
        "grand_total": money(int(row["grand_total_cents"])),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "origin_id": row["origin_id"],
        "origin_code": row["origin_code"],
        "origin_data": row["origin_data"],
        "synced_at": row["synced_at"],
        "created_by": None
        if row["created_by_id"] is None or row["created_by_login"] is None
        else {
            "id": row["created_by_id"],
            "login": row["created_by_login"],
            "name": row["created_by_name"],
        },
    }


def cco_line_item(row: sqlite3.Row) -> JSON:
    return {
        "id": row["id"],
        "description": row["description"],
        "amount": money(int(row["amount_cents"])),
        "origin_id": row["origin_id"],
        "cost_code": None
        if row["cost_code"] is None
        else {"full_code": row["cost_code"], "name": row["cost_code_name"] or ""},
    }
