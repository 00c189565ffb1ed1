"""Requests to Procore counted per task: a list load learns what each project costs.

Apart from services/procore/request_counter.py, which does the counting on the wire, so that the
list's code can use it without loading the HTTP stack (see Backend.open).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_TALLY: ContextVar[list[int] | None] = ContextVar("procore_request_tally", default=None)


@contextlib.contextmanager
def tally(box: list[int]) -> Iterator[None]:
    """Add to `box[0]` each request this task (and the tasks it starts) sends to Procore."""
    token = _TALLY.set(box)
    try:
        yield
    finally:
        _TALLY.reset(token)


def count_one() -> None:
    """One request left for Procore from the current task."""
    box = _TALLY.get()
    if box is not None:
        box[0] += 1
