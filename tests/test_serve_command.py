"""`cco-unlink serve` without a browser: where it listens, what each session runs, and which
pages may open a session."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from cco_unlink.cli import build_parser, main
from cco_unlink.serve_cli import app_command, check_address, origin_allowed, public_url
from services.settings import load_settings


def parse(*words: str):  # type: ignore[no-untyped-def]
    return build_parser().parse_args(list(words))


def test_it_listens_on_loopback_by_default() -> None:
    arguments = parse("serve")
    assert (arguments.host, arguments.port, arguments.allow_remote) == ("127.0.0.1", 8000, False)
    assert public_url(arguments) == "http://127.0.0.1:8000"


def test_an_address_beyond_loopback_is_refused_without_allow_remote(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    said = capsys.readouterr().err
    assert "--host 0.0.0.0 reaches beyond this machine" in said
    assert "--allow-remote" in said and "SSH tunnel" in said


def test_allow_remote_serves_beyond_loopback_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    check_address(parse("serve", "--host", "192.0.2.10", "--allow-remote"))
    warning = capsys.readouterr().err
    assert warning.startswith("cco-unlink: warning: serving on 192.0.2.10:8000, beyond this")
    assert "no password" in warning and "unencrypted" in warning


def test_loopback_needs_no_flag_and_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    for host in ("127.0.0.1", "localhost", "::1"):
        check_address(parse("serve", "--host", host))
    assert capsys.readouterr().err == ""


def test_a_port_that_cannot_be_listened_on_is_refused() -> None:
    assert main(["serve", "--port", "0"]) == 2
    assert main(["serve", "--port", "70000"]) == 2


def test_each_session_runs_the_app_with_the_same_settings_and_flags(tmp_path: Path) -> None:
    path = tmp_path / "my settings.toml"
    path.write_text("[ui]\ntheme = 'textual-light'\n")
    arguments = parse(
        "--settings", str(path), "--client-id", "no-push", "--company-id", "7", "serve"
    )
    words = shlex.split(app_command(load_settings(path), arguments))
    assert words[:3] == [sys.executable, "-m", "cco_unlink"]
    assert words[3:] == ["--settings", str(path), "--client-id", "no-push", "--company-id", "7"]
    assert "serve" not in words  # a session is the app, not another server


@pytest.mark.parametrize(
    ("origin", "served", "allowed"),
    [
        (None, "http://127.0.0.1:8000", True),  # no web page: a browser always sends Origin
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000", True),
        ("http://localhost:8000", "http://127.0.0.1:8000", True),
        ("http://[::1]:8000", "http://127.0.0.1:8000", True),
        ("http://localhost:9000", "http://127.0.0.1:8000", False),
        ("https://evil.example", "http://127.0.0.1:8000", False),
        ("http://evil.example:8000", "http://127.0.0.1:8000", False),  # DNS rebinding
        ("null", "http://127.0.0.1:8000", False),
        ("https://cco.example.com", "https://cco.example.com", True),
        ("http://cco.example.com", "https://cco.example.com", False),
    ],
)
def test_only_the_page_this_server_hands_out_may_open_a_session(
    origin: str | None, served: str, allowed: bool
) -> None:
    assert origin_allowed(origin, served) is allowed
