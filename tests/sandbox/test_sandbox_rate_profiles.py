"""The sandbox's rate limits as Procore's page describes them: the 'procore' profile (600 an hour
and 25 per 10 s), headers about the nearer window, a 429's Retry-After and reset, and a clock that
runs the windows faster."""

from __future__ import annotations

import math

from sandbox.config import RATE_LIMITS
from sandbox.rate_limit import RateDecision, RateLimiter


class _Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _procore(clock: _Clock, time_scale: float = 1.0) -> RateLimiter:
    limits = RATE_LIMITS["procore"]
    return RateLimiter(limits.per_hour, limits.per_10s, clock, time_scale=time_scale)


def test_the_procore_profile_is_procores_documented_example() -> None:
    assert (RATE_LIMITS["procore"].per_hour, RATE_LIMITS["procore"].per_10s) == (600, 25)


def test_headers_describe_the_window_with_fewer_requests_left() -> None:
    clock = _Clock()
    limiter = _procore(clock)
    first = limiter.hit("t").headers()
    assert (first["X-Rate-Limit-Limit"], first["X-Rate-Limit-Remaining"]) == ("25", "24")
    assert first["X-Rate-Limit-Reset"] == str(math.ceil(clock.now + 10))
    used = 1
    # 20 requests every 10 s: the spike window never fills, the hour runs down. While the hour
    # has more left than the spike window, the headers speak of the spike window.
    while used < 581:
        clock.now += 10
        for in_window in range(1, 21):
            headers = limiter.hit("t").headers()
            used += 1
            spike_left, hour_left = 25 - in_window, 600 - used
            expected = ("25", spike_left) if spike_left < hour_left else ("600", hour_left)
            reported = (headers["X-Rate-Limit-Limit"], int(headers["X-Rate-Limit-Remaining"]))
            assert reported == expected, used
    # In a fresh spike window: 24 left of it against 18 of the hour, which is nearer now.
    assert used == 581
    clock.now += 10
    headers = limiter.hit("t").headers()
    assert (headers["X-Rate-Limit-Limit"], headers["X-Rate-Limit-Remaining"]) == ("600", "18")


def test_a_429_says_when_the_refusing_window_frees_a_slot() -> None:
    clock = _Clock()
    limiter = _procore(clock)
    start = clock.now
    for _ in range(25):
        assert limiter.hit("t").allowed
    clock.now += 2.5
    refused = limiter.hit("t")
    headers = refused.headers()
    assert not refused.allowed
    assert (headers["X-Rate-Limit-Limit"], headers["X-Rate-Limit-Remaining"]) == ("25", "0")
    assert headers["X-Rate-Limit-Reset"] == str(math.ceil(start + 10))
    assert headers["Retry-After"] == "8"  # 7.5 s, in whole seconds rounded up
    clock.now = start + 10
    assert limiter.hit("t").allowed


def test_a_time_scale_runs_both_windows_faster_with_wall_clock_headers() -> None:
    clock = _Clock()
    limiter = _procore(clock, time_scale=60)
    start = clock.now
    for _ in range(25):
        assert limiter.hit("t").allowed
    refused = limiter.hit("t")
    assert not refused.allowed
    # The 10-s window lasts a sixtieth as long; the reset says when, to the millisecond.
    assert float(refused.headers()["X-Rate-Limit-Reset"]) == round(start + 10 / 60, 3)
    clock.now = start + 10 / 60
    assert limiter.hit("t").allowed
    # The hour lasts a minute: 600 requests, then the next slot frees a minute after the first.
    sent = 26
    while sent < 600:
        clock.now += 10 / 60
        for _ in range(min(25, 600 - sent)):
            assert limiter.hit("t").allowed
            sent += 1
    clock.now += 10 / 60
    refused = limiter.hit("t")
    assert not refused.allowed and refused.limit == 600
    assert refused.reset == start + 60


def test_a_scaled_reset_is_never_said_earlier_than_it_is() -> None:
    # To the nearest millisecond, 100.0004 would read 100.000: a client waking then is refused.
    for reset, said in ((100.0004, "100.001"), (100.0006, "100.001"), (100.001, "100.001")):
        decision = RateDecision(True, 25, 3, reset, 0, exact_reset=True)
        assert decision.headers()["X-Rate-Limit-Reset"] == said
    assert RateDecision(True, 25, 3, 100.2, 0).headers()["X-Rate-Limit-Reset"] == "101"
