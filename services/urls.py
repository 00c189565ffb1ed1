"""Checks on the URLs a person gives: readable, a real port, and encrypted beyond this machine."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from services.errors import SettingsError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(label: str, url: str, *, carries_secrets: bool = True) -> None:
    """Refuse a URL that cannot work, or that would send secrets unencrypted over a network."""
    invalid = SettingsError(f"The {label} is not a valid URL: {url!r}.")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise invalid
    try:
        parsed = urlsplit(url)
        host = parsed.hostname
    except ValueError:
        raise invalid from None
    if parsed.scheme not in ("http", "https") or not host:
        raise SettingsError(f"The {label} must start with http:// or https://, not {url!r}.")
    # The port as written (urlsplit refuses one beyond 65535 without saying which).
    _, colon, port = parsed.netloc.rpartition("]")[2].rpartition(":")
    if colon and not port.isdigit():
        raise invalid
    if colon and not 0 < int(port) < 65536:
        raise SettingsError(f"The {label} names port {int(port)}, which does not exist: {url!r}.")
    if carries_secrets and parsed.scheme == "http" and not is_loopback(host):
        # Tokens and the client secret travel with every request.
        raise SettingsError(
            f"The {label} must use https:// beyond this machine, not {url!r}: "
            "sign-in secrets and tokens would cross the network unencrypted."
        )
