"""Procore-style paging: `page`/`per_page` in, `Total`/`Per-Page`/`Link` out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from starlette.requests import Request

from sandbox.errors import bad_request

DEFAULT_PER_PAGE = 100
# The most Procore's pagination page recommends (choice: it names no hard maximum today).
MAX_PER_PAGE = 2000

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def _positive_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be a positive integer") from None
    if value < 1:
        raise bad_request(f"{name} must be a positive integer")
    return value


def requested_page(request: Request) -> Page:
    per_page = min(_positive_int(request, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    return Page(_positive_int(request, "page", 1), per_page)


def page_headers(request: Request, page: Page, total: int) -> dict[str, str]:
    headers = {"Total": str(total), "Per-Page": str(page.per_page)}
    last = max(1, math.ceil(total / page.per_page))
    if last > 1:
        # RFC 8288 Link header; the other query parameters (filters) are kept on every link.
        rels: list[tuple[str, int]] = [("first", 1)]
        if page.page > 1:
            rels.append(("prev", min(page.page - 1, last)))
        if page.page < last:
            rels.append(("next", page.page + 1))
        rels.append(("last", last))
        headers["Link"] = ", ".join(
            f'<{request.url.include_query_params(page=n, per_page=page.per_page)}>; rel="{rel}"'
            for rel, n in rels
        )
    return headers


def paginate(request: Request, rows: Sequence[T]) -> tuple[list[T], dict[str, str]]:
    """Slice an already ordered list and compute the headers describing the slice."""
    page = requested_page(request)
    chunk = list(rows[page.offset : page.offset + page.per_page])
    return chunk, page_headers(request, page, len(rows))
