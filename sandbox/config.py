"""Settings of one sandbox instance: where its data lives, how generous it is, what breaks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_SEED = 20260301


@dataclass(frozen=True)
class RateLimits:
    per_hour: int
    per_10s: int


# Named sets of rate limits for `cco-unlink sandbox --limits`.
RATE_LIMITS = {
    # Procore's rate-limiting page shows these as its examples (600 an hour, 25 per 10 s) and
    # says to trust the headers: loads paced as a real company's would be.
    "procore": RateLimits(per_hour=600, per_10s=25),
    # The embedded demo's: so generous that starts are instant.
    "generous": RateLimits(per_hour=100_000, per_10s=2_000),
}


@dataclass
class Faults:
    """Failures a test or a demo can switch on while the server runs.

    The server keeps a reference to this very object and reads it on every request, so flipping a
    field takes effect on the next request without a restart.
    """

    # The connector answers 503 as a bridge does when QuickBooks Desktop is not running.
    quickbooks_closed: bool = False
    # The connector answers 200 with a body that is not XML (a broken bridge or proxy).
    connector_garbage: bool = False
    # Seconds the connector waits before answering, to exercise client timeouts.
    connector_delay_s: float = 0.0
    # The Procore API answers 503 with Retry-After, as Procore does under heavy load.
    procore_unavailable: bool = False

    # Shares below are percentages of requests (0 = never, 100 = always), drawn from a random
    # generator seeded with `seed`, so a run with the same seed and the same requests repeats.
    seed: int = 1
    # Procore API (/rest/ paths): 500, 502 or 503 instead of the answer; nothing is applied.
    procore_error_percent: int = 0
    # Chance that a request starts a 429 storm: it and the next `storm_length` requests get 429.
    rate_limit_storm_percent: int = 0
    storm_length: int = 5
    # Retry-After sent with storm 429s, in seconds.
    storm_retry_after_s: int = 1
    # A change (PATCH, POST) loses its connection before it reaches the API: nothing is applied.
    drop_before_change_percent: int = 0
    # The API applies a change, then the connection drops before the answer is sent.
    drop_after_change_percent: int = 0
    # A 200 answer's JSON arrives cut short or garbled (the request itself was applied).
    malformed_json_percent: int = 0
    # Connector (after its token check): the connection drops with no answer at all.
    connector_down_percent: int = 0
    # 503 'Could not start QuickBooks' (0x80040408), as when QuickBooks Desktop is closed.
    quickbooks_closed_percent: int = 0
    # 503 'could not access QuickBooks' (0x80040401), as when a dialog or another user holds it.
    quickbooks_busy_percent: int = 0
    # The qbXML answer is cut short (not well-formed XML).
    qbxml_truncated_percent: int = 0
    # The qbXML answer is well-formed XML but not a usable answer (status or request id wrong).
    qbxml_invalid_percent: int = 0
    # Milliseconds QuickBooks takes before answering each connector request.
    quickbooks_delay_ms: int = 0
    # Tests only: every value of this key in a 200 JSON answer becomes garbage of the wrong type.
    garble_field: str = ""
    # Tests only: a change is answered 200 with an empty entity list and not applied, as a broken
    # proxy or a server bug would.
    fake_change_success: bool = False
    # Tests only: the External Data Sync action lists every `line_item` under `errors` (200) and
    # leaves it linked, as Procore does with an item it will not process.
    refuse_line_items: bool = False


@dataclass
class SandboxConfig:
    """Everything `create_app` needs; defaults are the generous embedded-demo values."""

    data_file: Path
    seed: int = DEFAULT_SEED
    latency_ms: int = 0
    rate_limit_per_hour: int = RATE_LIMITS["generous"].per_hour
    rate_limit_per_10s: int = RATE_LIMITS["generous"].per_10s
    # Lengths of the two windows; Procore's are an hour and 10 s. Tests shorten them.
    rate_limit_hour_window_s: float = 3600.0
    rate_limit_spike_window_s: float = 10.0
    # How much faster than wall time the rate-limit windows run (60: an hour passes in a minute).
    time_scale: float = 1.0
    faults: Faults = field(default_factory=Faults)
    # Lifetime of issued access tokens; Procore's is 5400 s. Tests shorten it to see expiry.
    token_ttl_s: int = 5400
    # The time the rate-limit windows are counted in (Unix seconds). Tests share a clock of their
    # own with the client, so a window fills and empties without waiting it out.
    clock: Callable[[], float] = time.time

    @classmethod
    def from_plain(cls, values: dict[str, Any]) -> SandboxConfig:
        """A config from plain values, as JSON carries them to a sandbox child process: the
        data file as a string, the faults as a mapping of Faults' fields."""
        values = dict(values)
        faults = Faults(**values.pop("faults", {}))
        return cls(data_file=Path(values.pop("data_file")), faults=faults, **values)
