"""Procore API paths, in one place (docs/procore-api.md describes each)."""

from __future__ import annotations

TOKEN = "/oauth/token"
# The out-of-band redirect: Procore shows the code on a page and the person pastes it.
OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"
AUTHORIZE = "/oauth/authorize"
REVOKE = "/oauth/revoke"
ME = "/rest/v1.0/me"
COMPANIES = "/rest/v1.0/companies"
PROJECTS = "/rest/v1.0/projects"
PURCHASE_ORDER_CONTRACTS = "/rest/v1.0/purchase_order_contracts"
WORK_ORDER_CONTRACTS = "/rest/v1.0/work_order_contracts"
PERMISSIONS = "/rest/v1.0/settings/permissions"

# Rows asked for per page: the most Procore's pagination page recommends (its 2022 version allowed
# up to 10,000). Fewer pages are fewer requests against the hourly budget (choice).
MAX_PER_PAGE = 2000

COMMITMENTS_TOOL = "commitments"
ERP_INTEGRATIONS_TOOL = "erp_integrations"

# ERP External Data item types (Procore's External Data reference): `change_order` is the CCO's
# header (Procore uses it for prime and commitment change orders alike), `line_item` each line.
CHANGE_ORDER_ITEM_TYPE = "change_order"
LINE_ITEM_TYPE = "line_item"
# A sync action takes at most this many items in one request (Procore's "Using Sync Actions").
SYNC_MAX_ITEMS = 1000

COMPANY_HEADER = "Procore-Company-Id"
# Sent with the unlink so that a retry after a lost answer gets the first answer again (choice:
# Procore documents no such header; a server that ignores it still clears links idempotently).
IDEMPOTENCY_HEADER = "Idempotency-Key"

# Procore documents filters[updated_at] as an ISO-8601 range without giving its syntax; the range
# is written "start...end", an open end meaning "until now" (docs/procore-api.md, a choice).
UPDATED_AT_FILTER = "filters[updated_at]"
ID_FILTER = "filters[id][]"
"""Commitment lists take it (docs/procore-api.md); a list that ignores it is still searched."""
RANGE_SEPARATOR = "..."


def company_user(company_id: int, user_id: int) -> str:
    return f"/rest/v1.0/companies/{company_id}/users/{user_id}"


def change_orders(project_id: int) -> str:
    return f"/rest/v1.0/projects/{project_id}/commitment_change_orders"


def change_order(project_id: int, change_order_id: int) -> str:
    return f"{change_orders(project_id)}/{change_order_id}"


def external_data_sync(company_id: int) -> str:
    """ERP External Data Sync: where Procore's ERP docs mark a record unsynced (the unlink)."""
    return f"/rest/v1.0/companies/{company_id}/external_data/sync"


def web_change_order(project_id: int, change_order_id: int) -> str:
    """The path of a CCO's page in Procore's web app (choice: Procore does not document its web
    addresses; docs/procore-api.md, "Web addresses")."""
    return f"/{project_id}/project/commitments/change_orders/{change_order_id}"
