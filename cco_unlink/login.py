"""`cco-unlink login` and `cco-unlink logout`: sign in to Procore without the full-screen app.

For a person (grant = "authorization_code"): print the authorize address, read back the code they
were shown after approving, keep the tokens. For a service account (client_credentials): check the
client id and secret work, keeping nothing on disk.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable

import httpx

from cco_unlink import exit_codes
from cco_unlink.targets import embedded_sandbox, target_for
from services import messages
from services.connections import procore_credentials
from services.errors import CcoUnlinkError
from services.procore.auth import AuthorizationCode
from services.procore.client import ProcoreClient
from services.settings import Settings
from services.target import Target

Ask = Callable[[str], str]
Say = Callable[[str], None]


def run_login_command(
    settings: Settings,
    arguments: argparse.Namespace,
    *,
    ask: Ask = input,
    say: Say = print,
) -> int:
    with embedded_sandbox(settings, reset=False) as sandbox:
        target = target_for(settings, sandbox)
        try:
            if arguments.command == "logout":
                return asyncio.run(_logout(target, say))
            return asyncio.run(_login(target, getattr(arguments, "code", None), ask, say))
        except EOFError:
            say("No code given; not signed in.")
            return exit_codes.FAILURE


async def _login(target: Target, code: str | None, ask: Ask, say: Say) -> int:
    target.check_procore()
    credentials = procore_credentials(target)
    client = ProcoreClient(target.procore_url, credentials, timeout=target.procore_timeout)
    try:
        if isinstance(credentials, AuthorizationCode):
            say(messages.APPROVE_SIGN_IN)
            say("")
            say(f"  {credentials.authorize_url()}")
            say("")
            pasted = code if code is not None else ask("Code shown after approving: ")
            await credentials.exchange(client.transport.http, pasted)
        user = await client.me()
        companies = await client.companies()
    except CcoUnlinkError as error:
        say(f"Not signed in: {error.message}")
        return exit_codes.FAILURE
    finally:
        await client.aclose()
    names = ", ".join(f"{c.name} ({c.id})" for c in companies) or "none"
    say(f"Signed in to Procore at {target.procore_url} as {user.name} ({user.login}).")
    say(f"Companies: {names}.")
    if isinstance(credentials, AuthorizationCode):
        say(f"The sign-in is kept in {credentials.store.path}, readable by you alone.")
    else:
        say("Service account (client credentials): nothing is kept on disk.")
    return exit_codes.OK


async def _logout(target: Target, say: Say) -> int:
    target.check_procore()
    credentials = procore_credentials(target)
    if not isinstance(credentials, AuthorizationCode):
        say("Service accounts keep no sign-in on this machine; nothing to do.")
        return exit_codes.OK
    async with httpx.AsyncClient(timeout=target.procore_timeout) as http:
        revoked = await credentials.sign_out(http)
    if revoked:
        say(f"Signed out: {credentials.store.path} deleted, and the tokens revoked at Procore.")
    else:
        say(
            f"Signed out here: {credentials.store.path} deleted. Procore did not confirm revoking "
            "the tokens; they stop working when they expire."
        )
    return exit_codes.OK
