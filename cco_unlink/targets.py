"""Where the commands connect: settings into a backend target, with the embedded sandbox beside
this process when the settings ask for it. Every command that talks to Procore starts here."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cco_unlink.sandbox_child import EmbeddedSandbox, sandbox_child
from cco_unlink.sandbox_target import sandbox_target
from services import locations
from services.backend import Backend
from services.errors import SettingsError
from services.procore import environments
from services.settings import SANDBOX_FAULT_KEYS, Settings
from services.target import Target
from services.urls import is_loopback


def target_for(settings: Settings, sandbox: EmbeddedSandbox | None) -> Target:
    procore = settings.procore
    environment = (
        environments.embedded(sandbox.base_url)
        if sandbox is not None
        else environments.resolve(procore.environment, procore.base_url, procore.login_url)
    )
    common: dict[str, Any] = {
        "grant": procore.grant,
        "login_url": environment.login_url,
        "redirect_uri": procore.redirect_uri,
        "token_file": locations.token_file(environment.token_key),
        "company_id": settings.procore.company_id,
        "audit_path": locations.audit_file(settings.audit.path),
        "procore_timeout": settings.procore.timeout_seconds,
        "quickbooks_timeout": settings.quickbooks.timeout_seconds,
        "per_page": settings.procore.per_page,
        "cache_path": locations.list_cache_file(),
        "environment": environment.name,
        "allow_quickbooks_delete": settings.quickbooks.allow_delete,
    }
    if sandbox is not None:
        if sandbox.connector_url:
            common["connector_url"] = sandbox.connector_url
        return sandbox_target(
            sandbox.base_url,
            user=settings.procore.client_id,
            cache_scope=f"sandbox:{sandbox.data_file}",
            **common,
        )
    return Target(
        procore_url=environment.api_url,
        connector_url=settings.quickbooks.connector_url,
        client_id=settings.procore.client_id,
        client_secret=settings.procore.client_secret,
        connector_token=settings.quickbooks.token,
        connector_token_env=settings.quickbooks.token_env,
        **common,
    )


@contextlib.contextmanager
def backend_for(settings: Settings, reset: bool) -> Iterator[Backend]:
    """A backend on the configured target, with the embedded sandbox around it when asked."""
    with embedded_sandbox(settings, reset=reset) as sandbox:
        yield Backend(target_for(settings, sandbox))


@contextlib.contextmanager
def embedded_sandbox(
    settings: Settings, *, reset: bool, deferred: bool = False
) -> Iterator[EmbeddedSandbox | None]:
    """Run the sandbox beside this process when the settings ask for it; None in remote mode.
    `deferred`: its child starts on `EmbeddedSandbox.start` (see sandbox_child), except behind
    the Web Connector's chain, which asks the sandbox as soon as it runs."""
    if settings.backend.mode != "sandbox":
        if reset:
            raise SettingsError("--reset-sandbox works in sandbox mode only.")
        yield None
        return
    values = sandbox_values(settings, None, reset)
    direct = settings.quickbooks.via != "web-connector"
    with sandbox_child(
        loopback_host(settings),
        settings.sandbox.port,
        values,
        reset=reset,
        log_path=locations.log_file(),
        deferred=deferred and direct,
    ) as sandbox:
        if direct:
            yield sandbox
            return
        from cco_unlink.web_connector_chain import web_connector_chain

        journal = sandbox.data_file.with_name("sandbox-connector-journal.jsonl")
        with web_connector_chain(sandbox.base_url, journal) as connector_url:
            yield dataclasses.replace(sandbox, connector_url=connector_url)


def loopback_host(settings: Settings) -> str:
    host = settings.sandbox.host
    if not is_loopback(host):
        raise SettingsError(
            f"[sandbox] host must be a loopback address such as 127.0.0.1, not {host!r}: the "
            "sandbox has no real security. To serve it beyond this machine on purpose, use "
            "'cco-unlink sandbox --host ADDRESS'."
        )
    return host


def sandbox_values(settings: Settings, data: str | None, reset: bool) -> dict[str, Any]:
    """The sandbox's configuration as plain values (see SandboxConfig.from_plain)."""
    configured = settings.sandbox
    data_file = (
        Path(data).expanduser() if data else locations.sandbox_data_file(configured.data_file)
    )
    data_file.parent.mkdir(parents=True, exist_ok=True)
    if reset:
        # The cached list showed the old data; a list reset under it must not be shown stale.
        locations.list_cache_file().unlink(missing_ok=True)
    faults = {key: getattr(configured, key) for key in SANDBOX_FAULT_KEYS}
    faults["seed"] = faults.pop("fault_seed")
    return {
        "data_file": str(data_file),
        "seed": configured.seed,
        "latency_ms": configured.latency_ms,
        "rate_limit_per_hour": configured.rate_limit_per_hour,
        "rate_limit_per_10s": configured.rate_limit_per_10s,
        "faults": faults,
    }
