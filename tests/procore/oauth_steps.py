"""What a person does in a browser on the sandbox's authorize page, done over HTTP for tests."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx

CODE = re.compile(r'<code id="code">([^<]+)</code>')


def approve(authorize_url: str, login: str = "admin", decision: str = "approve") -> str:
    """Open the authorize page, pick `login`, press the button; the code shown (or "")."""
    query = {key: values[0] for key, values in parse_qs(urlsplit(authorize_url).query).items()}
    with httpx.Client(timeout=10.0) as http:
        page = http.get(authorize_url)
        assert page.status_code == 200, page.text
        assert 'name="login"' in page.text
        root = authorize_url.split("/oauth/authorize")[0]
        answer = http.post(
            f"{root}/oauth/authorize",
            data={
                "client_id": query["client_id"],
                "redirect_uri": query["redirect_uri"],
                "state": query.get("state", ""),
                "login": login,
                "decision": decision,
            },
        )
    assert answer.status_code == 200, answer.text
    found = CODE.search(answer.text)
    return found[1] if found else ""
