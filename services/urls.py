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


def invalid_url(label: str, url: str) -> SettingsError:
    return SettingsError(f"The {label} is not a valid URL: {url!r}.")


def check_url(label: str, url: str, *, carries_secrets: bool = True) -> None:
    """Refuse a URL that cannot work, or that would send secrets unencrypted over a network."""
    invalid = invalid_url(label, url)
    if any(c.isspace() or not c.isprintable() for c in url):
        raise invalid
    try:
        parsed = urlsplit(url)
        host = parsed.hostname
    except ValueError:
        raise invalid from None
    if parsed.scheme not in ("http", "https") or not host:
        raise SettingsError(f"The {label} must start with http:// or https://, not {url!r}.")
    try:
        port = _written_port(parsed.netloc.rpartition("@")[2])
    except ValueError:
        raise invalid from None
    if port is not None and not 0 < port < 65536:
        raise SettingsError(f"The {label} names port {port}, which does not exist: {url!r}.")
    if carries_secrets and parsed.scheme == "http" and not is_loopback(host):
        # Tokens and the client secret travel with every request.
        raise SettingsError(
            f"The {label} must use https:// beyond this machine, not {url!r}: "
            "sign-in secrets and tokens would cross the network unencrypted."
        )


def _written_port(authority: str) -> int | None:
    """The port written in `host:port`, None when none is. Raises ValueError when the host or the
    port is malformed: an IP address out of range, two ports, anything after an IPv6 address.
    urllib lets these through (and refuses a port beyond 65535 without saying which); the HTTP
    client would refuse them only when the first request goes out."""
    if authority.startswith("["):
        literal, _, rest = authority[1:].partition("]")
        ipaddress.IPv6Address(literal)
        if rest and rest[0] != ":":
            raise ValueError(f"{rest!r} after an IPv6 address")
        port_text = rest[1:]
    else:
        name, _, port_text = authority.partition(":")
        if all(c.isdigit() or c == "." for c in name):
            ipaddress.IPv4Address(name)
    if not port_text:
        return None
    if not (port_text.isascii() and port_text.isdigit()):
        raise ValueError(f"port {port_text!r}")
    return int(port_text)
