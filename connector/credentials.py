"""The Web Connector's password and cco-unlink's connector token, kept only as scrypt hashes.

Checking a secret against its scrypt hash costs tens of milliseconds, on purpose. A bearer token
comes with every request of cco-unlink and the password with every poll, so once one has been
checked its SHA-256 is remembered in memory: later checks cost a comparison, and nothing but the
scrypt hash is ever on disk.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

# scrypt cost: 2**14 with r=8 uses 16 MiB and about 50 ms; Python's own docs use these values.
_N, _R, _P = 2**14, 8, 1
_SCHEME = "scrypt"


def hash_secret(secret: str) -> str:
    """`scrypt$N$r$p$salt$hash`, base64 parts: safe to store, useless to read back."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P)
    parts = (_SCHEME, str(_N), str(_R), str(_P), _b64(salt), _b64(digest))
    return "$".join(parts)


def verify_secret(secret: str, stored: str) -> bool:
    """Whether `secret` matches `stored`; a malformed or empty `stored` matches nothing."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            secret.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass
class Credentials:
    """The two hashes; an empty one admits nobody."""

    password_hash: str = field(default="", repr=False)
    token_hash: str = field(default="", repr=False)
    _checked: set[bytes] = field(default_factory=set, repr=False)

    def password_ok(self, password: str) -> bool:
        return self._check(b"password", password, self.password_hash)

    def token_ok(self, token: str) -> bool:
        return self._check(b"token", token, self.token_hash)

    def _check(self, kind: bytes, secret: str, stored: str) -> bool:
        if not secret or not stored:
            return False
        fingerprint = hashlib.sha256(kind + b"\0" + stored.encode() + secret.encode()).digest()
        if any(hmac.compare_digest(fingerprint, known) for known in self._checked):
            return True
        if verify_secret(secret, stored):
            self._checked.add(fingerprint)
            return True
        return False
