"""`cco-unlink`: open the app, run a headless command, or serve the sandbox on its own.

This is the one place that wires the pieces together: settings and flags, the target they name
(cco_unlink/targets.py, with the embedded sandbox when the settings ask for it), and the Textual app
on top. Every failure a person can cause ends here as one line on stderr and a non-zero exit status,
never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import sys
import threading
from collections.abc import Sequence

from cco_unlink import exit_codes
from cco_unlink.hang_up import end_with_the_terminal
from cco_unlink.targets import (
    backend_for,
    embedded_sandbox,
    loopback_host,
    sandbox_values,
    target_for,
)
from services import locations
from services.backend import Backend
from services.errors import CcoUnlinkError, SettingsError
from services.settings import (
    SANDBOX_FAULT_KEYS,
    Settings,
    check_flag,
    find_settings_file,
    keys_error,
    load_settings,
    replace,
)
from services.urls import check_url, is_loopback

# The sandbox's named rate limits (sandbox.config.RATE_LIMITS; not imported here: it would load the
# server's stack on every start) and its fastest clock: an hour in a second.
SANDBOX_LIMITS = ("generous", "procore")
MAX_TIME_SCALE = 3600.0


log = logging.getLogger("cco_unlink")


def build_parser(*, with_commands: bool = True) -> argparse.ArgumentParser:
    """The command line's parser. `with_commands=False` leaves the commands out: for a start
    with no arguments at all (the app, as most starts are), whose parse they cannot change and
    whose first frame their modules and argparse's work on them (3-5 ms of CPU) held back."""
    parser = argparse.ArgumentParser(
        prog="cco-unlink",
        description=(
            "Unlink Procore Commitment Change Orders synced with QuickBooks® Desktop, once they "
            "are deleted there. With no options it opens on the embedded sandbox with demo data."
        ),
    )
    parser.add_argument(
        "--settings", metavar="FILE", help="settings file (or $CCO_UNLINK_SETTINGS)"
    )
    parser.add_argument(
        "--procore-url", metavar="URL", help="Procore API root; implies remote mode"
    )
    parser.add_argument("--connector-url", metavar="URL", help="QuickBooks connector URL")
    parser.add_argument(
        "--client-id", metavar="ID", help="OAuth client id (sandbox: the demo user)"
    )
    parser.add_argument(
        "--company-id", metavar="ID", type=_whole_number, help="Procore company to work in"
    )
    parser.add_argument(
        "--reset-sandbox",
        action="store_true",
        help="wipe the embedded sandbox's data and create the demo data again",
    )
    if with_commands:
        _add_commands(parser)
    else:
        parser.set_defaults(command=None)
    return parser


def _add_commands(parser: argparse.ArgumentParser) -> None:
    from cco_unlink import connector_cli, headless, seed_command, serve_cli

    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "sandbox",
        help="serve the sandbox alone (a Procore-style API and a simulated QuickBooks connector)",
        description="Serve the sandbox until Ctrl-C, for tests, demos and training.",
    )
    serve.add_argument("--host", help="address to listen on (default from settings: 127.0.0.1)")
    serve.add_argument("--port", type=_whole_number, help="port (0 = any free port)")
    serve.add_argument("--data", metavar="FILE", help="SQLite file with the sandbox's data")
    serve.add_argument("--reset", action="store_true", help="recreate the demo data first")
    serve.add_argument(
        "--latency-ms", type=_whole_number, metavar="MS", help="added to every answer"
    )
    serve.add_argument(
        "--limits",
        choices=SANDBOX_LIMITS,
        help=(
            "rate limits per access token: 'procore' applies the examples of Procore's "
            "rate-limiting page, 600 requests an hour and 25 per 10 s, so loads are paced as "
            "against a real company; 'generous' (the default, and the embedded demo's) allows "
            "100,000 an hour and 2,000 per 10 s, so starts are instant. Without it the settings' "
            "[sandbox] rate_limit_per_hour and rate_limit_per_10s apply"
        ),
    )
    serve.add_argument(
        "--time-scale",
        type=float,
        metavar="N",
        help=(
            "run the rate-limit windows N times faster than wall time (60: a sandbox hour "
            "passes in a minute); the headers describe the scaled windows in wall-clock time"
        ),
    )
    faults = serve.add_argument_group(
        "faults", "made on purpose, all off by default; settings.toml describes each"
    )
    for key in SANDBOX_FAULT_KEYS:
        faults.add_argument(f"--{key.replace('_', '-')}", dest=key, type=_whole_number, metavar="N")
    seed_command.add_action(serve)
    headless.add_commands(commands)
    connector_cli.add_command(commands)
    serve_cli.add_command(commands)
    login = commands.add_parser(
        "login",
        help="sign in to Procore and keep the sign-in for this environment",
        description=(
            "Sign in to Procore. With grant = authorization_code: open the address printed, "
            "approve, and paste the code shown. With client_credentials: check the service "
            "account's id and secret."
        ),
    )
    login.add_argument("--code", help="the code from Procore's page, instead of typing it")
    commands.add_parser(
        "setup",
        help="connect to a real Procore company and QuickBooks Desktop, step by step",
        description=(
            "Pick the Procore environment and sign-in, sign in, pick the company, give the "
            "QuickBooks connector, test both, then write the settings file (mode 0600, the old "
            "one backed up) and open the app. Rerun it to change the answers. Secrets stay in "
            "PROCORE_CLIENT_SECRET and QUICKBOOKS_CONNECTOR_TOKEN."
        ),
    )
    commands.add_parser(
        "logout",
        help="revoke and delete the kept Procore sign-in for this environment",
        description="Revoke the kept sign-in at Procore and delete it from this machine.",
    )


def _whole_number(text: str) -> int | str:
    """A flag's number as typed; text that is none is kept for check_flag to refuse by the
    flag's name, as the same key in the settings file is (argparse would say "invalid int")."""
    try:
        return int(text)
    except ValueError:
        return text


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    arguments = build_parser(with_commands=bool(argv)).parse_args(argv)
    if arguments.command is not None:
        gc.enable()  # off while the modules loaded (see __main__); the app turns it on in _run_app
    try:
        _log_to_file()
        if arguments.command == "setup":
            return _setup(arguments)
        settings = _settings(arguments)
        if arguments.command is None:
            return _run_app(settings, arguments)
        from cco_unlink import connector_cli, headless, seed_command, serve_cli

        if arguments.command == "sandbox" and seed_command.wanted(arguments):
            return seed_command.run(settings, arguments)
        if arguments.command == "sandbox":
            return _serve_sandbox(settings, arguments)
        if arguments.command == connector_cli.COMMAND:
            return connector_cli.run(settings, arguments)
        if arguments.command == serve_cli.COMMAND:
            return serve_cli.run(settings, arguments)
        if arguments.command in headless.COMMANDS:
            return headless.run(
                arguments, settings, lambda: backend_for(settings, arguments.reset_sandbox)
            )
        if arguments.command in ("login", "logout"):
            from cco_unlink.login import run_login_command

            return run_login_command(settings, arguments)
        return _run_app(settings, arguments)
    except CcoUnlinkError as error:
        print(f"cco-unlink: {error.message}", file=sys.stderr)
        return exit_codes.for_error(error)
    except KeyboardInterrupt:
        return exit_codes.FAILURE
    except BrokenPipeError:
        # The reader (`head`, a closed pager) stopped listening: not an error worth a word.
        # What is still buffered for stdout goes nowhere, so the exit does not fail on it.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exit_codes.BROKEN_PIPE
    except OSError as error:
        print(
            f"cco-unlink: {error.strerror or error} ({error.filename or 'no file'})",
            file=sys.stderr,
        )
        return exit_codes.FAILURE
    except Exception as error:
        # The last line of defence: a person gets one line and the log keeps the traceback.
        log.exception("cco-unlink stopped unexpectedly")
        print(
            f"cco-unlink: unexpected error ({type(error).__name__}); details are in "
            f"{locations.log_file()}",
            file=sys.stderr,
        )
        return exit_codes.FAILURE


def _settings(arguments: argparse.Namespace) -> Settings:
    path = find_settings_file(arguments.settings, locations.config_dir())
    settings = load_settings(path)
    if settings.keys:
        # Only for those who remap keys: it loads the UI's bindings (and Textual) to check them.
        from tui.keymap import keymap_problems

        problems = keymap_problems(settings.keys)
        if problems:
            raise keys_error(settings, *problems[0])
    procore, quickbooks, backend = settings.procore, settings.quickbooks, settings.backend
    if arguments.procore_url or arguments.connector_url:
        backend = replace(backend, mode="remote")
    if arguments.procore_url:
        procore = replace(procore, base_url=arguments.procore_url)
    if arguments.connector_url:
        quickbooks = replace(quickbooks, connector_url=arguments.connector_url)
    if arguments.client_id is not None:
        check_flag("procore", "client_id", arguments.client_id)
        if not arguments.client_id.strip():
            raise SettingsError("--client-id: must not be empty")
        procore = replace(procore, client_id=arguments.client_id)
    if arguments.company_id is not None:
        check_flag("procore", "company_id", arguments.company_id)
        procore = replace(procore, company_id=arguments.company_id)
    sandbox = settings.sandbox
    if arguments.command == "sandbox":
        flags = {
            key: getattr(arguments, key)
            for key in (*SANDBOX_FAULT_KEYS, "latency_ms")
            if getattr(arguments, key) is not None
        }
        if arguments.port is not None:
            flags["port"] = arguments.port
        for key, value in flags.items():
            check_flag("sandbox", key, value)
        sandbox = replace(sandbox, **flags)
    for label, url in (
        ("Procore URL", procore.base_url),
        ("Procore sign-in URL", procore.login_url),
        ("connector URL", quickbooks.connector_url),
    ):
        if url:
            check_url(label, url, carries_secrets=False)  # Target.check adds the https rule
    return replace(
        settings, backend=backend, procore=procore, quickbooks=quickbooks, sandbox=sandbox
    )


def _log_to_file() -> None:
    """Diagnostics go to a file: the terminal belongs to the app. Python's warnings too: a
    person is told what happened in one line, never shown a RuntimeWarning."""
    path = locations.log_file()
    handler: logging.Handler
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # No secret is logged, but CCO names and amounts are: readable by its owner only.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        os.chmod(path, 0o600)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()  # nowhere to keep them; still never on the terminal
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.captureWarnings(True)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # httpx logs every URL at INFO; the URLs hold no secret, but they drown the useful lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _run_app(settings: Settings, arguments: argparse.Namespace) -> int:
    # The sandbox's child starts when the app asks (Backend.start_target): a first start's as
    # its first frame is made, a restart's when it connects after painting its cached rows.
    # Started here, before Textual loads, it took a core from the app's start: on a shared
    # two-core machine it held a first start's first frame back by 5-20% of the empty app's.
    with embedded_sandbox(settings, reset=arguments.reset_sandbox, deferred=True) as sandbox:
        from tui.app import CcoUnlinkApp

        backend = Backend(
            target_for(settings, sandbox),
            before_connecting=sandbox.start if sandbox is not None else None,
        )
        app = CcoUnlinkApp(
            backend,
            theme=settings.ui.theme,
            toast_seconds=settings.ui.toast_seconds,
            keymap=settings.keys,
            paint_first=True,
        )
        # What start-up made (modules, classes, the app) lives as long as the process: kept
        # out of the collector's full passes, the first of which otherwise walked all of it
        # (20-30 ms) just as the first frame was being painted. The collector, off while the
        # modules loaded (see __main__), collects from here on.
        gc.freeze()
        gc.enable()
        end_with_the_terminal()
        app.run()
        return app.return_code or exit_codes.OK


def _setup(arguments: argparse.Namespace) -> int:
    """Ask, test and write the settings file; then open the app on what was written."""
    from services.settings_writer import file_to_write
    from tui.setup.app import SetupApp

    path = file_to_write(arguments.settings, locations.config_dir())
    app = SetupApp(
        load_settings(path if path.exists() else None),
        path,
        lambda settings: target_for(settings, None),
    )
    end_with_the_terminal()
    app.run()
    written = app.return_value
    if written is None:
        print("cco-unlink: setup left before the end; nothing was written.", file=sys.stderr)
        return exit_codes.FAILURE
    kept = f"; the previous file is kept as {written.backup}" if written.backup else ""
    print(f"cco-unlink: settings written to {written.path}{kept}.", file=sys.stderr)
    return _run_app(_settings(arguments), arguments)


def _serve_sandbox(settings: Settings, arguments: argparse.Namespace) -> int:
    # Beyond loopback only when asked for on the command line, never from a settings file alone.
    host = arguments.host or loopback_host(settings)
    port = settings.sandbox.port  # with --port in it (_settings)
    if not is_loopback(host):
        print(
            f"cco-unlink: warning: the sandbox will listen on {host}, beyond this machine; "
            "it has demo credentials only and no real security.",
            file=sys.stderr,
        )
    from sandbox import SandboxConfig, SandboxServer, demo
    from sandbox.config import RATE_LIMITS
    from sandbox.connector import CONNECTOR_TOKEN

    values = sandbox_values(settings, arguments.data, arguments.reset)
    if arguments.limits is not None:
        limits = RATE_LIMITS[arguments.limits]
        values["rate_limit_per_hour"], values["rate_limit_per_10s"] = (
            limits.per_hour,
            limits.per_10s,
        )
    if arguments.time_scale is not None:
        if not 0 < arguments.time_scale <= MAX_TIME_SCALE:
            raise SettingsError(
                f"--time-scale must be above 0 and at most {MAX_TIME_SCALE:g}, "
                f"not {arguments.time_scale:g}"
            )
        values["time_scale"] = arguments.time_scale
    config = SandboxConfig.from_plain(values)
    if arguments.reset:
        demo.reset(config.data_file, config.seed)
    server = SandboxServer(config, host=host, port=port)
    server.start()
    try:
        print(f"Procore API:          {server.base_url}", flush=True)
        print(f"QuickBooks connector: {server.connector_url}", flush=True)
        scale = f", windows {config.time_scale:g}x faster" if config.time_scale != 1 else ""
        print(
            f"Rate limits per token: {config.rate_limit_per_hour:,} an hour, "
            f"{config.rate_limit_per_10s:,} per 10 s{scale}.",
            flush=True,
        )
        logins = ", ".join(user.login for user in demo.USERS)
        print(
            f"Demo users (client secret '{demo.CLIENT_SECRET}'): {logins}. "
            f"Connector token: {CONNECTOR_TOKEN}. Ctrl-C stops.",
            flush=True,
        )
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return exit_codes.OK
