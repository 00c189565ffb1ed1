"""The headless core of cco-unlink: settings, the Procore and QuickBooks clients, the unlink
workflow and the audit log. Nothing here imports a UI toolkit: scripts and tests drive it with no
terminal."""

import sys

# httpx imports its command-line tool (click, pygments: about 0.1 s) whenever click is installed,
# as it is beside uvicorn. Nothing here uses that tool, and start-up is felt on every launch, so
# its import is declined: `httpx.main` then stands for a stub, which nothing calls.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
