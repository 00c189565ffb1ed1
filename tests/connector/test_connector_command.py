"""`cco-unlink connector`: its secrets kept hashed, its .qwc file, and the service over https."""

from __future__ import annotations

import io
import os
import shutil
import signal
import ssl
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from cco_unlink.cli import main
from connector import state
from connector.credentials import verify_secret
from services import locations
from tests.connector.conftest import QUERY
from tests.connector.zeep_web_connector import ZeepWebConnector

PASSWORD = "correct horse battery"
TOKEN = "token-0123456789abcdef"


def _set(monkeypatch: pytest.MonkeyPatch, action: str, secret: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(secret + "\n"))
    return main(["connector", action])


def test_the_secrets_are_kept_as_hashes_in_a_private_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _set(monkeypatch, "set-password", PASSWORD) == 0
    assert _set(monkeypatch, "set-token", TOKEN) == 0

    path = locations.connector_state_file()
    assert path.stat().st_mode & 0o777 == 0o600
    kept = state.load(path)
    assert verify_secret(PASSWORD, kept.password_hash)
    assert verify_secret(TOKEN, kept.token_hash)
    assert not verify_secret(PASSWORD, kept.token_hash)
    text = path.read_text()
    assert PASSWORD not in text and TOKEN not in text
    output = capsys.readouterr()
    assert "password is set" in output.out and "token is set" in output.out
    assert PASSWORD not in output.out + output.err and TOKEN not in output.out + output.err


def test_a_short_secret_is_refused_and_nothing_changes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _set(monkeypatch, "set-password", "short") == 2
    assert "at least 12 characters" in capsys.readouterr().err
    assert not locations.connector_state_file().exists()


def test_the_service_will_not_start_without_its_secrets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["connector", "--port", "0"]) == 2
    said = capsys.readouterr().err
    assert "'cco-unlink connector set-password' and 'cco-unlink connector set-token'" in said


def test_the_qwc_file_holds_every_field_and_keeps_its_guids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.qwc", tmp_path / "b.qwc"
    assert main(["connector", "--port", "9123", "qwc", "-o", str(first)]) == 0
    assert main(["connector", "--port", "9123", "qwc", "-o", str(second)]) == 0
    assert "add it to the QuickBooks Web Connector" in capsys.readouterr().out
    assert first.read_bytes() == second.read_bytes()  # the same application, run after run

    root = ET.parse(first).getroot()
    assert root.tag == "QBWCXML"
    assert [child.tag for child in root] == [
        "AppName",
        "AppID",
        "AppURL",
        "AppDescription",
        "AppSupport",
        "UserName",
        "OwnerID",
        "FileID",
        "QBType",
        "Scheduler",
        "IsReadOnly",
    ]
    fields = {child.tag: child.text or "" for child in root}
    assert fields["AppName"] == "cco-unlink"
    assert fields["AppID"] == ""
    assert fields["AppURL"] == "http://localhost:9123/qbwc"
    assert "cco-unlink" in fields["AppDescription"]
    assert fields["AppSupport"] == "http://localhost:9123/support"
    assert fields["UserName"] == "cco-unlink"
    for name in ("OwnerID", "FileID"):
        braces = fields[name]
        assert braces.startswith("{") and braces.endswith("}")
        uuid.UUID(braces[1:-1])
    assert fields["OwnerID"] != fields["FileID"]
    assert fields["QBType"] == "QBFS"
    assert root.findtext("Scheduler/RunEveryNSeconds") == "5"
    assert fields["IsReadOnly"] == "false"
    kept = state.load(locations.connector_state_file())
    assert (kept.owner_id, kept.file_id) == (fields["OwnerID"], fields["FileID"])


def test_the_qwc_file_follows_the_settings_and_refuses_plain_http_beyond_localhost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "settings.toml"
    owner = "{6B1E4A4C-7C1D-4C55-9A3B-3D2E1F0A9B8C}"
    settings.write_text(
        "[connector]\n"
        'app_url = "https://qb.example.com/qbwc"\n'
        'app_name = "Builders cco-unlink"\n'
        f'owner_id = "{owner}"\n'
        "run_every_seconds = 2\n"
    )
    assert main(["--settings", str(settings), "connector", "qwc", "-o", "-"]) == 0
    root = ET.fromstring(capsys.readouterr().out)
    assert root.findtext("AppURL") == "https://qb.example.com/qbwc"
    assert root.findtext("AppSupport") == "https://qb.example.com/support"
    assert root.findtext("AppName") == "Builders cco-unlink"
    assert root.findtext("OwnerID") == owner
    assert root.findtext("Scheduler/RunEveryNSeconds") == "2"

    assert main(["connector", "--host", "192.0.2.10", "qwc", "-o", "-"]) == 2
    assert "http only on localhost" in capsys.readouterr().err


def test_a_bad_connector_setting_is_named_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('[connector]\nqbxml_version = "thirteen"\n')
    assert main(["--settings", str(settings), "connector", "qwc"]) == 2
    said = capsys.readouterr().err
    assert "settings.toml:2:1:" in said and 'a version like "13.0"' in said


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate to serve https with")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    request = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    request += ["-nodes", "-days", "1"]
    subject = ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    subprocess.run(
        [*request, "-keyout", str(key), "-out", str(cert), *subject],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_the_service_serves_https_with_cert_and_key(
    monkeypatch: pytest.MonkeyPatch, certificate: tuple[Path, Path], isolated_home: Path
) -> None:
    assert _set(monkeypatch, "set-password", PASSWORD) == 0
    assert _set(monkeypatch, "set-token", TOKEN) == 0
    cert, key = certificate
    run_cli = "import sys; from cco_unlink.cli import main; sys.exit(main())"
    command = [sys.executable, "-c", run_cli, "connector", "--port", "0"]
    command += ["--cert", str(cert), "--key", str(key)]
    service = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert service.stdout is not None
        first = service.stdout.readline()
        assert first.startswith("Web Connector service: https://127.0.0.1:"), first
        soap_url = first.split(": ", 1)[1].strip()
        qbxml_url = service.stdout.readline().split(": ", 1)[1].strip()

        with pytest.raises(httpx.TransportError):  # plain http is not served
            httpx.post(qbxml_url.replace("https", "http"), content=QUERY, timeout=5)
        trusted = ssl.create_default_context(cafile=str(cert))
        refused = httpx.post(qbxml_url, content=QUERY, verify=trusted, timeout=5)
        assert refused.status_code == 401
        web_connector = ZeepWebConnector(soap_url, password=PASSWORD, verify=str(cert))
        assert web_connector.update(lambda _: ("", "", ""))[1] == "none"
    finally:
        service.send_signal(signal.SIGINT)
        _, errors = service.communicate(timeout=10)
    assert PASSWORD not in errors and TOKEN not in errors
