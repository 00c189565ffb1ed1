"""What setup's last step shows: every answer, where it goes, and what happens to the old file."""

from __future__ import annotations

from pathlib import Path

from services.errors import SettingsError
from services.models import Company
from services.procore import environments
from services.settings import PROCORE_SECRET_ENV, Settings
from services.settings_writer import read_existing, secrets_in

GRANT_WORDS = {
    "authorization_code": "a person signs in (authorization_code)",
    "client_credentials": "a service account (client_credentials)",
}


def review_text(draft: Settings, path: Path, companies: list[Company]) -> str:
    procore = draft.procore
    environment = environments.resolve(procore.environment, procore.base_url, procore.login_url)
    company = next((c for c in companies if c.id == procore.company_id), None)
    company_text = f"{company.name} ({company.id})" if company else str(procore.company_id)
    lines = [
        f"Procore:          {environment.name} · {environment.api_url}",
        f"Signs in:         {GRANT_WORDS.get(procore.grant, procore.grant)}, client id "
        f"{procore.client_id}",
        f"Company:          {company_text}",
        f"QuickBooks:       {draft.quickbooks.connector_url}",
        f"Secrets:          read from {PROCORE_SECRET_ENV} and {draft.quickbooks.token_env}; "
        "never written",
        "",
        f"Written to {path}, readable by you alone.",
    ]
    if path.exists():
        lines.append(
            f"The current file is copied beside it first ({path.name}.<time>.bak); the keys "
            "setup does not ask about are kept, their comments are not."
        )
        try:
            dropped = secrets_in(read_existing(path))
        except SettingsError:
            dropped = ()
        if dropped:
            lines.append(
                f"The current file holds {', '.join(dropped)}: left out of the new one (the copy "
                "keeps it). Keep it in the environment instead."
            )
    lines += ["", "Enter writes the file and opens cco-unlink on this company."]
    return "\n".join(lines)
