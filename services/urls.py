"""Checks on the URLs a person gives: readable, a real port, and encrypted beyond this machine."""

from __future__ import annotations

import ipaddress

import httpx

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
    try:
        parsed = httpx.URL(url)
        port = parsed.port
    except (httpx.InvalidURL, ValueError):
        raise SettingsError(f"The {label} is not a valid URL: {url!r}.") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise SettingsError(f"The {label} must start with http:// or https://, not {url!r}.")
    if port is not None and not 0 < port < 65536:
        raise SettingsError(f"The {label} names port {port}, which does not exist: {url!r}.")
    if carries_secrets and parsed.scheme == "http" and not is_loopback(parsed.host):
        # Tokens and the client secret travel with every request.
        raise SettingsError(
            f"The {label} must use https:// beyond this machine, not {url!r}: "
            "sign-in secrets and tokens would cross the network unencrypted."
        )
