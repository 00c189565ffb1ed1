"""Run the sandbox in its own process, as Procore is another machine: its CPU does not share the
client's interpreter. `python benchmarks/sandbox_process.py DATA LATENCY_MS PER_10S` prints the base
URL, then serves until its standard input closes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def sandbox_process(data: Path, *, latency_ms: int, per_10s: int) -> Iterator[str]:
    """The sandbox on loopback in a child process; yields its base URL."""
    child = subprocess.Popen(
        [sys.executable, __file__, str(data), str(latency_ms), str(per_10s)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the sandbox did not start: {url!r}")
        yield url
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=20)


def _serve(data: str, latency_ms: str, per_10s: str) -> None:
    from sandbox import SandboxConfig, SandboxServer

    config = SandboxConfig(
        data_file=Path(data),
        latency_ms=int(latency_ms),
        rate_limit_per_10s=int(per_10s),
        rate_limit_per_hour=1_000_000,
    )
    with SandboxServer(config, host="127.0.0.1", port=0) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    _serve(*sys.argv[1:4])
