"""The connection target for a sandbox: its demo credentials, in one place.

The sandbox's users are OAuth clients whose secret is `sandbox`, and its connector takes the token
`sandbox`: demo credentials that protect nothing, used by the launcher, the benchmarks, the
screenshot script and the tests alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.procore.environments import EMBEDDED_SANDBOX
from services.target import Target

SANDBOX_SECRET = "sandbox"
CONNECTOR_PATH = "/quickbooks/qbxml"


def sandbox_target(
    base_url: str, audit_path: Path, *, user: str = "admin", **changes: Any
) -> Target:
    """A target acting as demo `user` on the sandbox at `base_url`; `changes` set other fields."""
    values: dict[str, Any] = {
        "procore_url": base_url,
        "connector_url": base_url + CONNECTOR_PATH,
        "client_id": user,
        "client_secret": SANDBOX_SECRET,
        "connector_token": SANDBOX_SECRET,
        "company_id": 0,
        "audit_path": audit_path,
        "is_sandbox": True,
        "environment": EMBEDDED_SANDBOX,
    }
    values.update(changes)
    return Target(**values)
