"""A person's Procore tokens on disk: one file per environment, 0600, replaced atomically.

The refresh token is single-use, so the pair Procore returns must be on disk before it is used:
a crash after a refresh must never leave only the spent token behind. Nothing here logs a token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from services import messages
from services.errors import ProcoreUnavailableError
from services.settings import write_private_file

log = logging.getLogger(__name__)

# Waiting for another cco-unlink to finish its refresh: a refresh is one HTTP call.
_LOCK_WAIT_SECONDS = 30.0
_LOCK_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class TokenPair:
    client_id: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    issued_at: float

    def expires_soon(self, now: float) -> bool:
        """True when the access token should be refreshed before it is used.

        A tenth of its life early, at most five minutes: a call never leaves with a token that dies
        in flight, and a short-lived test token is not refreshed on every call.
        """
        margin = min(300.0, max(0.0, self.expires_at - self.issued_at) * 0.1)
        return self.expires_at - margin <= now


def pair_from_answer(client_id: str, body: object) -> TokenPair | None:
    """The pair in a token endpoint's answer, or None when the answer lacks one."""
    if not isinstance(body, dict):
        return None
    access, refresh = body.get("access_token"), body.get("refresh_token")
    if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
        return None
    try:
        expires_in = float(body.get("expires_in", 5400))
    except (TypeError, ValueError):
        return None
    now = time.time()
    return TokenPair(client_id, access, refresh, now + expires_in, now)


class TokenStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"TokenStore({str(self.path)!r})"

    def load(self, client_id: str) -> TokenPair | None:
        """The stored pair of this client, or None (missing, unreadable, or another client's)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            pair = TokenPair(
                client_id=str(raw["client_id"]),
                access_token=str(raw["access_token"]),
                refresh_token=str(raw["refresh_token"]),
                expires_at=float(raw["expires_at"]),
                issued_at=float(raw["issued_at"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("Stored Procore sign-in at %s is unreadable; ignoring it", self.path)
            return None
        return pair if pair.client_id == client_id else None

    def save(self, pair: TokenPair) -> None:
        document = {
            "client_id": pair.client_id,
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "expires_at": pair.expires_at,
            "issued_at": pair.issued_at,
        }
        write_private_file(self.path, json.dumps(document).encode("utf-8"), private=True)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[None]:
        """Hold the store against other cco-unlink processes (two terminals, one sign-in)."""
        try:
            import fcntl
        except ImportError:  # Windows: one process at a time is the user's to keep.
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + _LOCK_WAIT_SECONDS
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise ProcoreUnavailableError(messages.SIGN_IN_STORE_BUSY) from None
                    await asyncio.sleep(_LOCK_POLL_SECONDS)
            yield
        finally:
            os.close(descriptor)
