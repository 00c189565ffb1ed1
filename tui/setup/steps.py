"""The steps of setup, in order, with the words each shows: one place to change them."""

from __future__ import annotations

from dataclasses import dataclass

from services.procore import environments
from services.settings import CONNECTOR_TOKEN_ENV, PROCORE_SECRET_ENV


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    help: str


STEPS = (
    Step(
        "environment",
        "Which Procore",
        "Pick the Procore your company works in. A custom one asks for its API address.",
    ),
    Step(
        "grant",
        "Who signs in",
        "A person signs in with their own Procore account and permissions, or a service "
        "account (a Developer-Managed Service Account installed in your company) signs in alone.",
    ),
    Step(
        "client",
        "Client id",
        "Paste the client id of your app in Procore's Developer Portal. Its secret is never "
        f"written to the file: it is read from {PROCORE_SECRET_ENV}.",
    ),
    Step("sign-in", "Sign in", "Signing in to Procore with the client id given."),
    Step("company", "Company", "Pick the Procore company to work in."),
    Step(
        "connector",
        "QuickBooks connector",
        "The address of the connector on the QuickBooks machine (docs/quickbooks-connector.md). "
        "Its token is never written to the file: it is read from the environment variable "
        f"named below ({CONNECTOR_TOKEN_ENV} unless you name another).",
    ),
    Step("check", "Test", "Both connections, tried as the app will make them."),
    Step("review", "Write the settings", "Nothing is written until you press Enter here."),
)

STEP_IDS = tuple(step.id for step in STEPS)

ENVIRONMENT_CHOICES = (
    *(
        (name, f"{name}  ·  {environment.api_url}")
        for name, environment in environments.NAMED.items()
    ),
    (environments.CUSTOM, f"{environments.CUSTOM}  ·  another address (give it below)"),
)

GRANT_CHOICES = (
    ("authorization_code", "A person signs in: open an address on any device, paste the code"),
    ("client_credentials", "A service account: the client id and secret alone"),
)

BASE_URL_PLACEHOLDER = "API address, e.g. https://api.procore.com"
LOGIN_URL_PLACEHOLDER = "sign-in address; empty = the API address"
CLIENT_ID_PLACEHOLDER = "client id"
CODE_PLACEHOLDER = "code"
CONNECTOR_URL_PLACEHOLDER = "https://qb-bridge.example.com/quickbooks/qbxml"

SIGNING_IN = "Signing in…"
CHECKING = "Testing both connections…"
PASTE_CODE = "Then paste the code Procore shows, and press Enter."
CHECK_PASSED = "Both answered. Enter: review what will be written."
CHECK_FAILED = "Esc goes back to change an answer; Enter tests again."
SIGN_IN_FAILED = "Esc goes back to change an answer; Enter tries again."
FIRST_STEP_BACK = "This is the first step. Ctrl+Q leaves setup; nothing has been written."


def secret_status(name: str, is_set: bool) -> str:
    return f"{name}: {'set' if is_set else 'NOT SET'} in this environment."
