"""Where to connect and as whom: the one description every connection is made from, checked
before any is tried. Its own module so that what only names a target (the connections, setup,
the commands) need not load the backend that uses it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services import messages
from services.errors import SettingsError
from services.procore.endpoints import OOB_REDIRECT
from services.settings import CONNECTOR_TOKEN_ENV
from services.urls import check_url


@dataclass(frozen=True)
class Target:
    """Where to connect and as whom; built from settings, flags and the environment."""

    procore_url: str
    connector_url: str
    client_id: str
    client_secret: str
    connector_token: str
    company_id: int
    audit_path: Path
    is_sandbox: bool = False
    environment: str = ""
    """The Procore environment's name (services/procore/environments.py); "" when unnamed."""
    procore_timeout: float = 30.0
    quickbooks_timeout: float = 60.0
    per_page: int = 2000
    grant: str = "client_credentials"
    login_url: str = ""
    redirect_uri: str = OOB_REDIRECT
    token_file: Path | None = None
    """Where a person's sign-in is kept (authorization_code grant only)."""
    connector_token_env: str = CONNECTOR_TOKEN_ENV
    """The environment variable the connector token is read from, to name it when missing."""
    cache_path: Path | None = None
    """Where the last loaded list is kept for the next start; None keeps none."""
    allow_quickbooks_delete: bool = False
    """[quickbooks] allow_delete: `x` may delete a CCO's lines in a real QuickBooks company."""
    cache_scope: str = ""
    """What a cached list belongs to besides company and user; "" means the Procore URL. The
    embedded sandbox names its data file instead: its URL changes with every start."""

    def __repr__(self) -> str:
        return f"Target(procore_url={self.procore_url!r}, client_id={self.client_id!r})"

    def check(self) -> None:
        """Refuse a target that cannot work, before any connection is tried."""
        if not self.connector_url:
            raise SettingsError(
                "Remote mode needs the QuickBooks connector's URL: --connector-url or "
                "[quickbooks] connector_url."
            )
        self.check_procore()
        check_url("connector URL", self.connector_url)
        if not self.connector_token:
            raise SettingsError(
                f"No QuickBooks connector token: set {self.connector_token_env} or "
                "[quickbooks] token."
            )

    def check_procore(self) -> None:
        """The Procore half of check(), for commands that sign in and nothing more: its URLs
        (https beyond this machine: the secret goes with the sign-in), its client, its grant."""
        procore_urls = (("Procore URL", self.procore_url), ("Procore sign-in URL", self.login_url))
        for label, url in procore_urls:
            if url:
                check_url(label, url)
        if not self.client_id:
            raise SettingsError("No Procore client id: set [procore] client_id or --client-id.")
        if self.grant == "authorization_code" and self.token_file is None:
            raise SettingsError("The authorization_code grant needs a place to keep the sign-in.")
        if not self.client_secret:
            raise SettingsError(messages.NO_CLIENT_SECRET)
