"""JSON from outside (a reply, a field of one, a cached row), read so that every way it can be
unreadable is a ValueError: Python's parser raises RecursionError, not ValueError, for arrays
nested a few thousand deep, and that must not escape as an unexpected error."""

from __future__ import annotations

import json
from typing import Any


class NestedTooDeep(ValueError):
    def __init__(self) -> None:
        super().__init__("JSON nested too deeply to read")


def loads(text: str | bytes | bytearray) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise NestedTooDeep from None
