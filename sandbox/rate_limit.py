"""Procore's two rate-limit windows: an hourly budget and a 10-second spike budget per token.

What the headers say follows Procore's rate-limiting page: `X-Rate-Limit-Limit`, `-Remaining` and
`-Reset` (Unix seconds) describe whichever window is nearer to running out; past either window the
answer is 429, with `X-Rate-Limit-Reset` saying when the window that refused frees a slot and
`Retry-After` the seconds until then.

A time scale runs the windows faster (scale 60: the hour passes in a minute, the 10 s in a sixth of
a second), so a benchmark can spend an hour's budget in a minute. The headers stay in wall-clock
time so that any client can pace by them; a scaled reset carries milliseconds, since a scaled
window may be shorter than the whole second Procore counts in (choice).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

HOUR_S = 3600.0
SPIKE_S = 10.0


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset: float  # Unix seconds when the reported window frees up
    retry_after: int  # seconds to wait; 0 when allowed
    exact_reset: bool = False  # the reset with milliseconds (a scaled clock), else whole seconds

    def headers(self) -> dict[str, str]:
        # Rounded up, never to the nearest: a reset said a fraction early sends a client that
        # trusts it into a 429 (it met one in about 450 requests at a scaled clock).
        if self.exact_reset:
            reset = f"{math.ceil(self.reset * 1000) / 1000:.3f}"
        else:
            reset = str(math.ceil(self.reset))
        headers = {
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Reset": reset,
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class _Window:
    def __init__(self, limit: int, span_s: float) -> None:
        self.limit = limit
        self.span_s = span_s
        self.hits: deque[float] = deque()

    def prune(self, now: float) -> None:
        while self.hits and self.hits[0] <= now - self.span_s:
            self.hits.popleft()

    def remaining(self) -> int:
        return max(0, self.limit - len(self.hits))

    def frees_at(self, now: float) -> float:
        """When the next slot opens: the oldest hit leaves the window."""
        return self.hits[0] + self.span_s if self.hits else now + self.span_s


class RateLimiter:
    """Sliding-window counters kept in memory: limits reset when the sandbox restarts."""

    def __init__(
        self,
        per_hour: int,
        per_10s: int,
        clock: Callable[[], float] = time.time,
        *,
        hour_s: float = HOUR_S,
        spike_s: float = SPIKE_S,
        time_scale: float = 1.0,
    ) -> None:
        if time_scale <= 0:
            raise ValueError(f"The time scale must be above 0, not {time_scale}")
        self.per_hour = per_hour
        self.per_10s = per_10s
        self.clock = clock
        # The spans are Procore's; tests shorten them to watch a window fill and empty quickly.
        self.hour_s = hour_s / time_scale
        self.spike_s = spike_s / time_scale
        self.exact_reset = time_scale != 1.0
        self._windows: dict[str, tuple[_Window, _Window]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> RateDecision:
        """Count one request for `key` unless a window is already full; refused ones don't count."""
        now = self.clock()
        with self._lock:
            windows = self._windows.get(key)
            if windows is None:
                windows = (
                    _Window(self.per_hour, self.hour_s),
                    _Window(self.per_10s, self.spike_s),
                )
                self._windows[key] = windows
            for window in windows:
                window.prune(now)
            full = [w for w in windows if w.remaining() == 0]
            if full:
                blocking = max(full, key=lambda w: w.frees_at(now))
                frees_at = blocking.frees_at(now)
                wait = max(1, math.ceil(frees_at - now))
                return RateDecision(False, blocking.limit, 0, frees_at, wait, self.exact_reset)
            for window in windows:
                window.hits.append(now)
            # Report whichever window is nearer to running out, as Procore does: the one with
            # fewer requests left ("usually the spike limit"), the longer one when they tie, since
            # it is the one that holds a client back longer.
            nearest = min(windows, key=lambda w: (w.remaining(), -w.span_s))
            return RateDecision(
                True,
                nearest.limit,
                nearest.remaining(),
                nearest.frees_at(now),
                0,
                self.exact_reset,
            )

    def counted(self, prefix: str = "token:") -> int:
        """Requests let through for the keys starting with `prefix` within the last hour (of
        the limiter's clock): what reached the API, for a benchmark to count from this side."""
        now = self.clock()
        with self._lock:
            windows = [pair[0] for key, pair in self._windows.items() if key.startswith(prefix)]
            for window in windows:
                window.prune(now)
            return sum(len(window.hits) for window in windows)
