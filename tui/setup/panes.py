"""The widgets of each setup step, pre-filled from the draft settings; the screen switches
between them and reacts to their answers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, Input, OptionList, Static
from textual.widgets.option_list import Option

from services import messages
from services.settings import CONNECTOR_TOKEN_ENV, PROCORE_SECRET_ENV, Settings
from tui.setup import steps


def labelled(value: str, label: str, placeholder: str, field_id: str) -> Input:
    """An input whose label sits in its border, so a pre-filled answer still says what it is."""
    field = Input(value, placeholder, id=field_id)
    field.border_title = label
    return field


def step_panes(draft: Settings, first: str) -> ComposeResult:
    procore, quickbooks = draft.procore, draft.quickbooks
    with ContentSwitcher(initial=first, id="setup-steps"):
        with Vertical(id="environment"):
            yield OptionList(
                *(Option(label, id=name) for name, label in steps.ENVIRONMENT_CHOICES),
                id="environment-choice",
            )
            with Vertical(id="custom-urls"):
                yield labelled(
                    procore.base_url, "API address", steps.BASE_URL_PLACEHOLDER, "base-url"
                )
                yield labelled(
                    procore.login_url, "Sign-in address", steps.LOGIN_URL_PLACEHOLDER, "login-url"
                )
        with Vertical(id="grant"):
            yield OptionList(
                *(Option(label, id=grant) for grant, label in steps.GRANT_CHOICES),
                id="grant-choice",
            )
        with Vertical(id="client"):
            yield labelled(procore.client_id, "Client id", steps.CLIENT_ID_PLACEHOLDER, "client-id")
            yield Static(
                steps.secret_status(PROCORE_SECRET_ENV, bool(procore.client_secret)),
                id="secret-status",
                markup=False,
            )
        with Vertical(id="sign-in"), Vertical(id="code-entry"):
            yield Static(messages.APPROVE_SIGN_IN, markup=False)
            yield Static("", id="authorize-url", markup=False)
            yield Static(steps.PASTE_CODE, markup=False)
            yield labelled("", "Code", steps.CODE_PLACEHOLDER, "sign-in-code")
        with Vertical(id="company"):
            # Company names are Procore's words: a "[/]" in one is text, not markup.
            yield OptionList(id="company-choice", markup=False)
        with Vertical(id="connector"):
            yield labelled(
                quickbooks.connector_url,
                "Connector address",
                steps.CONNECTOR_URL_PLACEHOLDER,
                "connector-url",
            )
            yield labelled(
                quickbooks.token_env,
                "Environment variable holding its token",
                CONNECTOR_TOKEN_ENV,
                "token-env",
            )
            yield Static(
                steps.secret_status(quickbooks.token_env, bool(quickbooks.token)),
                id="token-status",
                markup=False,
            )
        with Vertical(id="check"):
            yield Static("", id="procore-check", markup=False)
            yield Static("", id="quickbooks-check", markup=False)
        with Vertical(id="review"):
            yield Static("", id="review-summary", markup=False)
