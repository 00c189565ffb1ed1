"""A clock for tests that jumps ahead instead of waiting, shared by the client and the sandbox.

Both read the same time: the client paces itself by it (services.clock.Clock) and the sandbox
counts its rate-limit windows in it (SandboxConfig.clock). A wait moves the clock to its end at
once, so a run that must wait out a window costs no real time, and `waited` says how much time a
run would have spent.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable


class JumpingClock:
    def __init__(self, on_sleep: Callable[[float], None] | None = None) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()  # the sandbox's thread reads while the client's loop jumps
        self.on_sleep = on_sleep
        """Called with each wait's length before the jump: what happens "meanwhile"."""
        self.sleeps: list[float] = []

    def time(self) -> float:
        return time.time() + self._offset

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep(seconds)
        self.advance_to(self.time() + seconds)
        await asyncio.sleep(0)  # others run, as they would during a real wait

    @property
    def jumped(self) -> float:
        """The seconds skipped so far: the time waits took on this clock and not in reality."""
        return self._offset

    def advance_to(self, moment: float) -> None:
        """Move the time on to `moment`; never back (waits end in any order)."""
        with self._lock:
            self._offset = max(self._offset, moment - time.time())

    @property
    def waited(self) -> float:
        """How far this clock has run ahead of the wall clock."""
        return self._offset
