"""Which Procore to talk to: its API root, its sign-in root, and the name its tokens are kept under.

Tokens do not carry over between Procore's environments, so each one keeps its own.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import msgspec

from services.errors import SettingsError

CUSTOM = "custom"
EMBEDDED_SANDBOX = "embedded-sandbox"

LABELS = {
    "production": "Production",
    "developer-sandbox": "Developer sandbox",
    "monthly-sandbox": "Monthly sandbox",
    CUSTOM: "Custom Procore",
    EMBEDDED_SANDBOX: "Embedded sandbox",
}
"""How the screen names each environment: always in view, so nobody mistakes production for a
sandbox."""


WEB_ROOTS = {
    "production": "https://app.procore.com",
    "developer-sandbox": "https://sandbox.procore.com",
    "monthly-sandbox": "https://sandbox-monthly.procore.com",
}
"""Where people open each environment in a browser (choice: docs/procore-api.md, "Web
addresses"); any other environment's web pages are taken to live at its API root."""


class Environment(msgspec.Struct, frozen=True):
    name: str
    api_url: str
    login_url: str

    @property
    def token_key(self) -> str:
        """A file-safe name for this environment's stored tokens."""
        if self.name != CUSTOM:
            return self.name
        parts = urlsplit(self.api_url)
        return "custom-" + re.sub(r"[^A-Za-z0-9.-]+", "-", parts.netloc).strip("-")


NAMED = {
    environment.name: environment
    for environment in (
        Environment("production", "https://api.procore.com", "https://login.procore.com"),
        Environment(
            "developer-sandbox", "https://sandbox.procore.com", "https://login-sandbox.procore.com"
        ),
        Environment(
            "monthly-sandbox",
            "https://api-monthly.procore.com",
            "https://login-sandbox-monthly.procore.com",
        ),
    )
}


def resolve(name: str, base_url: str = "", login_url: str = "") -> Environment:
    """The environment settings name; a base_url of its own makes it a custom one.

    A base_url equal to a named environment's API root is that environment (the README's older
    `--procore-url https://api.procore.com` keeps its tokens with "production").
    """
    base_url = base_url.rstrip("/")
    login_url = login_url.rstrip("/")
    for known in NAMED.values():
        if base_url == known.api_url and not login_url:
            return known
    if base_url:  # already checked as a URL with the rest of the settings (services/urls.py)
        return Environment(CUSTOM, base_url, login_url or base_url)
    if name == CUSTOM:
        raise SettingsError('[procore] environment = "custom" needs [procore] base_url.')
    known_environment = NAMED.get(name)
    if known_environment is None:
        choices = ", ".join([*NAMED, CUSTOM])
        raise SettingsError(f"Unknown Procore environment {name!r} (known: {choices}).")
    return known_environment


def embedded(url: str) -> Environment:
    """The embedded sandbox: one name whatever port it got, since its data file outlives it."""
    return Environment(EMBEDDED_SANDBOX, url.rstrip("/"), url.rstrip("/"))
