"""Settings of one sandbox instance: where its data lives, how generous it is, what breaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SEED = 20260301


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


@dataclass
class SandboxConfig:
    """Everything `create_app` needs; defaults are the generous embedded-demo values."""

    data_file: Path
    seed: int = DEFAULT_SEED
    latency_ms: int = 0
    rate_limit_per_hour: int = 100_000
    rate_limit_per_10s: int = 2_000
    # Lengths of the two windows; Procore's are an hour and 10 s. Tests shorten them.
    rate_limit_hour_window_s: float = 3600.0
    rate_limit_spike_window_s: float = 10.0
    faults: Faults = field(default_factory=Faults)
    # Lifetime of issued access tokens; Procore's is 5400 s. Tests shorten it to see expiry.
    token_ttl_s: int = 5400
