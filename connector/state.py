"""What the connector keeps between runs: the two secrets' hashes and the .qwc GUIDs.

One JSON file, mode 0600, replaced atomically. The GUIDs are made once: a .qwc file written again
must name the same application (OwnerID) and company file (FileID), or QuickBooks takes it for a
new application asking for access.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path


class StateFileError(ValueError):
    """The state file exists but cannot be read as the connector's."""


@dataclass(frozen=True)
class ConnectorState:
    owner_id: str = ""
    file_id: str = ""
    password_hash: str = field(default="", repr=False)
    token_hash: str = field(default="", repr=False)

    def with_ids(self) -> ConnectorState:
        """These values, with a GUID made for any ID not made yet."""
        return replace(
            self,
            owner_id=self.owner_id or _guid(),
            file_id=self.file_id or _guid(),
        )


def _guid() -> str:
    return "{" + str(uuid.uuid4()).upper() + "}"


def load(path: Path) -> ConnectorState:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ConnectorState()
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise StateFileError(f"{path} cannot be read ({error})") from None
    names = set(ConnectorState.__dataclass_fields__)
    if not isinstance(data, dict) or not all(
        key in names and isinstance(value, str) for key, value in data.items()
    ):
        raise StateFileError(f"{path} is not the connector's state file")
    return ConnectorState(**data)


def save(path: Path, state: ConnectorState) -> None:
    """Replace the file atomically, readable by its owner alone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(asdict(state), handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
