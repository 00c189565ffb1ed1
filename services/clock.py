"""The clock the Procore client paces itself by: wall time and real sleeps, or a test's own.

Procore's rate-limit windows are counted in wall-clock seconds (X-Rate-Limit-Reset is a Unix time),
so the client reads the time and waits through this one object. A test hands in a clock that jumps
ahead instead of waiting, and can check a paced run kept to the window without spending it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return once `seconds` have passed on this clock."""
        ...


class SystemClock:
    """Wall time, and asyncio's sleep."""

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK = SystemClock()
