"""The connector as the QuickBooks Web Connector sees it (zeep, from Intuit's WSDL) and as
cco-unlink sees it (qbXML over HTTP), with a stand-in QuickBooks that answers each request."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import httpx

from connector.config import ConnectorConfig
from connector.server import ConnectorServer
from tests.connector.conftest import QUERY, TOKEN, answer_to, wait_until
from tests.connector.zeep_web_connector import CLOSED, QuickBooksDown, ZeepWebConnector

Asker = Callable[..., Future[httpx.Response]]


def _journal(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _queued(server: ConnectorServer, count: int = 1) -> None:
    wait_until(lambda: len(server.broker.queue) == count)


def test_one_full_update_cycle_carries_the_request_and_its_answer(
    connector_server: ConnectorServer, web_connector: ZeepWebConnector, asker: Asker
) -> None:
    seen: list[str] = []

    def quickbooks(request: str) -> tuple[str, str, str]:
        seen.append(request)
        return answer_to(request), "", ""

    pending = asker(connector_server.qbxml_url, QUERY.format(n=7))
    _queued(connector_server)
    ticket, company = web_connector.update(quickbooks)

    reply = pending.result(10)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/xml"
    # Handed over exactly as asked; the answer comes back as UTF-8, declared so.
    assert seen == [QUERY.format(n=7)]
    assert reply.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert "Not found — gone" in reply.content.decode("utf-8")
    assert ticket and not company  # "" (zeep reads None) = the company file QuickBooks has open
    operations = [name for name, _ in web_connector.calls]
    assert operations == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    results = dict(web_connector.calls)
    assert results["serverVersion"].startswith("cco-unlink connector")
    assert results["clientVersion"] is None  # "" = go on
    assert results["receiveResponseXML"] == 100
    assert results["closeConnection"] == "OK"
    journal = _journal(connector_server.config.journal_path)
    assert [entry["event"] for entry in journal] == ["sent", "answered"]
    assert journal[1]["statuses"] == ["PurchaseOrderQueryRs:500"]


def test_a_wrong_password_or_user_is_not_a_valid_user(
    connector_server: ConnectorServer,
) -> None:
    for user, password in (("cco-unlink", "guess"), ("someone", "wc-password"), ("", "")):
        web_connector = ZeepWebConnector(
            connector_server.soap_url, username=user, password=password
        )
        assert web_connector.update(lambda _: ("", "", ""))[1] == "nvu"
        assert [name for name, _ in web_connector.calls][-1] == "authenticate"


def test_nothing_queued_means_no_work(web_connector: ZeepWebConnector) -> None:
    ticket, verdict = web_connector.update(lambda _: ("", "", ""))
    assert ticket and verdict == "none"
    assert [name for name, _ in web_connector.calls][-1] == "authenticate"


def test_no_poll_within_the_wait_answers_504_naming_the_cause(
    make_config: Callable[..., ConnectorConfig], asker: Asker, web_connector: ZeepWebConnector
) -> None:
    with ConnectorServer(make_config(poll_wait_seconds=0.3)) as server:
        never = asker(server.qbxml_url, QUERY.format(n=1)).result(10)
        assert never.status_code == 504
        assert "has not polled since the connector started" in never.json()["error"]
        polled = time.monotonic()
        ZeepWebConnector(server.soap_url).update(lambda _: ("", "", ""))
        after = asker(server.qbxml_url, QUERY.format(n=2)).result(10)
        since_poll = time.monotonic() - polled
    assert after.status_code == 504
    # The seconds since that poll (0 but for a busy machine's own seconds), not since the start.
    said = re.search(r"has not polled for (\d+) s \(last poll at", after.json()["error"])
    assert said is not None, after.json()["error"]
    assert int(said[1]) <= round(since_poll), (said[0], since_poll)
    assert not server.config.journal_path.exists()  # nothing was ever sent


def test_quickbooks_closed_is_a_connection_error_and_a_503_with_its_hresult(
    connector_server: ConnectorServer, web_connector: ZeepWebConnector, asker: Asker
) -> None:
    def closed(_: str) -> tuple[str, str, str]:
        raise QuickBooksDown(*CLOSED)

    pending = asker(connector_server.qbxml_url, QUERY.format(n=1))
    _queued(connector_server)
    web_connector.update(closed)

    reply = pending.result(10)
    assert reply.status_code == 503
    assert reply.json() == {
        "error": "QuickBooks Desktop is not running or the company file cannot be opened "
        "(Could not start QuickBooks).",
        "hresult": "0x80040408",
    }
    results = dict(web_connector.calls)
    assert results["connectionError"] == "done"
    assert "not running" in results["getLastError"]


def test_quickbooks_busy_and_any_other_hresult_keep_their_meaning(
    connector_server: ConnectorServer, web_connector: ZeepWebConnector, asker: Asker
) -> None:
    for hresult, expected in (
        ("0x80040401", "QuickBooks Desktop is busy"),
        ("0x80040402", "could not open QuickBooks Desktop: Unexpected error"),
    ):

        def down(_: str, hresult: str = hresult) -> tuple[str, str, str]:
            raise QuickBooksDown(hresult, "Unexpected error")

        pending = asker(connector_server.qbxml_url, QUERY.format(n=1))
        _queued(connector_server)
        web_connector.update(down)
        reply = pending.result(10)
        assert reply.status_code == 503
        assert expected in reply.json()["error"]
        assert reply.json()["hresult"] == hresult


def test_a_request_quickbooks_cannot_parse_is_negative_then_get_last_error(
    connector_server: ConnectorServer, web_connector: ZeepWebConnector, asker: Asker
) -> None:
    parse_error = "QuickBooks found an error when parsing the provided XML text stream."
    pending = asker(connector_server.qbxml_url, QUERY.format(n=1))
    _queued(connector_server)
    web_connector.update(lambda _: ("", "0x80040400", parse_error))

    reply = pending.result(10)
    assert reply.status_code == 400
    assert reply.json()["hresult"] == "0x80040400"
    results = dict(web_connector.calls)
    assert results["receiveResponseXML"] == -1
    assert parse_error in results["getLastError"]
    assert [e["event"] for e in _journal(connector_server.config.journal_path)] == [
        "sent",
        "failed",
    ]


def test_two_clients_are_served_in_order_in_one_session(
    connector_server: ConnectorServer, web_connector: ZeepWebConnector, asker: Asker
) -> None:
    order: list[str] = []

    def quickbooks(request: str) -> tuple[str, str, str]:
        order.append(request.split('requestID="', 1)[1][0])
        return answer_to(request), "", ""

    first = asker(connector_server.qbxml_url, QUERY.format(n=1))
    _queued(connector_server, 1)
    second = asker(connector_server.qbxml_url, QUERY.format(n=2))
    _queued(connector_server, 2)
    web_connector.update(quickbooks)

    assert order == ["1", "2"]
    for reply, n in ((first.result(10), 1), (second.result(10), 2)):
        assert reply.status_code == 200
        assert f'requestID="{n}"' in reply.text
    percents = [result for name, result in web_connector.calls if name == "receiveResponseXML"]
    assert percents == [50, 100]


def test_an_answer_after_the_client_gave_up_is_recorded_not_applied_twice(
    make_config: Callable[..., ConnectorConfig], asker: Asker
) -> None:
    with ConnectorServer(make_config(answer_wait_seconds=0.3)) as server:
        web_connector = ZeepWebConnector(server.soap_url)
        pending = asker(server.qbxml_url, QUERY.format(n=1))
        _queued(server)
        handed: list[str] = []

        def slow_quickbooks(request: str) -> tuple[str, str, str]:
            handed.append(request)
            reply = pending.result(10)  # QuickBooks answers only once the client gave up
            assert reply.status_code == 504
            assert "whether it was applied is unknown" in reply.json()["error"]
            return answer_to(request), "", ""

        web_connector.update(slow_quickbooks)
        # The next poll finds nothing: the request is never handed over again.
        assert web_connector.update(slow_quickbooks)[1] == "none"
    assert len(handed) == 1
    events = [e["event"] for e in _journal(server.config.journal_path)]
    assert events == ["sent", "unknown", "late-answer"]


def test_a_restart_with_a_request_out_settles_it_as_unknown_and_never_resends_it(
    make_config: Callable[..., ConnectorConfig], asker: Asker, tmp_path: Path
) -> None:
    config = make_config(answer_wait_seconds=10)
    first = ConnectorServer(config)
    first.start()
    web_connector = ZeepWebConnector(first.soap_url)
    pending = asker(first.qbxml_url, QUERY.format(n=1))
    _queued(first)
    ticket = web_connector.call("authenticate", "cco-unlink", "wc-password")[0]
    request = web_connector.call("sendRequestXML", ticket, "", "", "US", 13, 0)
    assert "PurchaseOrderQueryRq" in request
    # What a kill -9 would leave on disk: the request marked sent, no outcome.
    killed = tmp_path / "journal-at-kill.jsonl"
    killed.write_bytes(config.journal_path.read_bytes())
    first.stop()
    reply = pending.result(10)
    assert reply.status_code != 200  # cut off: the client fails closed, never "absent"
    # A stop in order settles it as unknown itself.
    assert [e["event"] for e in _journal(config.journal_path)] == ["sent", "unknown"]

    with ConnectorServer(make_config(journal_path=killed)) as second:
        assert second.broker.orphans == [_journal(killed)[0]["job"]]
        late = ZeepWebConnector(second.soap_url)
        assert late.call("receiveResponseXML", ticket, answer_to(request), "", "") == -1
        assert "does not know this session" in late.call("getLastError", ticket)
        assert late.update(lambda _: ("", "", ""))[1] == "none"  # nothing replayed
    assert [e["event"] for e in _journal(killed)] == ["sent", "unknown", "late-answer"]


def test_the_wrong_company_file_is_refused_before_anything_is_sent(
    make_config: Callable[..., ConnectorConfig], asker: Asker
) -> None:
    expected = r"C:\Company\Builders.qbw"
    with ConnectorServer(make_config(company_file=expected)) as server:
        web_connector = ZeepWebConnector(server.soap_url, company_file=r"C:\Other\Sample.qbw")
        pending = asker(server.qbxml_url, QUERY.format(n=1))
        _queued(server)
        authenticated = web_connector.update(lambda _: ("", "", ""))
        reply = pending.result(10)
    assert authenticated[1] == expected  # the Web Connector is told which file to open
    assert reply.status_code == 503
    assert "Sample.qbw open, not C:\\Company\\Builders.qbw" in reply.json()["error"]
    assert "Sample.qbw" in dict(web_connector.calls)["getLastError"]
    assert not server.config.journal_path.exists()


def test_the_qbxml_version_follows_an_older_quickbooks(
    connector_server: ConnectorServer, asker: Asker
) -> None:
    web_connector = ZeepWebConnector(connector_server.soap_url, version=(8, 0))
    handed: list[str] = []

    def quickbooks(request: str) -> tuple[str, str, str]:
        handed.append(request)
        return answer_to(request), "", ""

    pending = asker(connector_server.qbxml_url, QUERY.format(n=1))
    _queued(connector_server)
    web_connector.update(quickbooks)
    assert pending.result(10).status_code == 200
    assert '<?qbxml version="8.0"?>' in handed[0]
    assert "13.0" not in handed[0]


def test_the_qbxml_endpoint_refuses_a_bad_token_and_a_body_that_is_not_qbxml(
    connector_server: ConnectorServer, asker: Asker
) -> None:
    for token in ("wrong", ""):
        refused = asker(connector_server.qbxml_url, QUERY.format(n=1), token=token).result(10)
        assert refused.status_code == 401
        assert refused.json() == {"error": "Missing or invalid connector token."}
    for body in ("not xml", "<QBXML/>", '<?qbxml version="13.0"?><QBXML><x/></QBXML>'):
        bad = asker(connector_server.qbxml_url, body, token=TOKEN).result(10)
        assert bad.status_code == 400
        assert bad.json()["error"].startswith("The body is not a qbXML request")
    assert not connector_server.broker.queue


def test_soap_that_is_not_a_known_call_or_carries_a_doctype_is_a_fault(
    connector_server: ConnectorServer,
) -> None:
    envelope = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        '<{op} xmlns="http://developer.intuit.com/">{inner}</{op}></soap:Body></soap:Envelope>'
    )
    bodies = [
        "garbage",
        envelope.format(op="deleteEverything", inner=""),
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + envelope.format(op="getLastError", inner="<ticket>&e;</ticket>"),
    ]
    for body in bodies:
        reply = httpx.post(
            connector_server.soap_url, content=body, headers={"Content-Type": "text/xml"}
        )
        assert reply.status_code == 500
        assert "<faultcode>soap:Client</faultcode>" in reply.text
        assert "root:" not in reply.text
