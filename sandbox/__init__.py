"""The embedded default backend: a Procore-style REST API and a simulated QuickBooks Desktop.

It shares no code with `services/`: it is the other side of the wire.
"""

from sandbox.config import Faults, SandboxConfig
from sandbox.server import SandboxServer

__all__ = ["Faults", "SandboxConfig", "SandboxServer"]
