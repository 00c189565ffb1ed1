"""The embedded default backend: a Procore-style REST API and a simulated QuickBooks Desktop.

It shares no code with `services/`: it is the other side of the wire.

`SandboxServer` (uvicorn and the app) is loaded when first asked for, not with the package: the
sandbox's child process (sandbox/child.py) loads uvicorn its own way first.
"""

from typing import TYPE_CHECKING

from sandbox.config import Faults, SandboxConfig

if TYPE_CHECKING:
    from sandbox.server import SandboxServer

__all__ = ["Faults", "SandboxConfig", "SandboxServer"]


def __getattr__(name: str) -> object:
    if name == "SandboxServer":
        from sandbox.server import SandboxServer

        return SandboxServer
    raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
