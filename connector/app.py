"""The connector's ASGI application: the Web Connector's SOAP service and cco-unlink's
qbXML-over-HTTP endpoint, both in front of one Broker.

cco-unlink's endpoint answers as docs/quickbooks-connector.md says the direct path does: 200 with
QuickBooks' qbXML, or 400/401/503/504 with a JSON body {"error", "hresult"?}.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from connector import qbxml, soap
from connector.broker import Answer, Broker
from connector.config import QBXML_PATH, SOAP_PATH, SUPPORT_PATH, ConnectorConfig
from connector.journal import Journal

log = logging.getLogger(__name__)

SUPPORT_TEXT = (
    "cco-unlink connector: the QuickBooks Web Connector polls this service for the requests of "
    "cco-unlink. Its guide is docs/quickbooks-connector.md in the cco-unlink repository.\n"
)


def server_version() -> str:
    try:
        return f"cco-unlink connector {version('cco-unlink')}"
    except PackageNotFoundError:
        return "cco-unlink connector"


def _json_answer(answer: Answer) -> Response:
    if answer.status == 200:
        return Response(answer.body, media_type="application/xml")
    body = {"error": answer.error}
    if answer.hresult:
        body["hresult"] = answer.hresult
    return JSONResponse(body, status_code=answer.status)


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def qbxml_endpoint(request: Request) -> Response:
    broker: Broker = request.app.state.broker
    if not broker.config.credentials.token_ok(_bearer(request)):
        return _json_answer(Answer(401, error="Missing or invalid connector token."))
    document = await request.body()
    try:
        kinds = qbxml.request_kinds(document)
    except qbxml.NotQbxmlRequest as error:
        return _json_answer(
            Answer(400, error=f"The body is not a qbXML request: {error}.", hresult=None)
        )
    return _json_answer(await broker.ask(document, kinds))


async def soap_endpoint(request: Request) -> Response:
    broker: Broker = request.app.state.broker
    try:
        call = soap.read_call(await request.body())
        value = _dispatch(broker, call)
    except soap.SoapFault as error:
        log.warning("A SOAP call was refused: %s", error)
        return Response(soap.fault(str(error)), status_code=500, media_type=soap.CONTENT_TYPE)
    return Response(soap.result(call.operation, value), media_type=soap.CONTENT_TYPE)


def _dispatch(broker: Broker, call: soap.Call) -> str | int | list[str]:
    """One Web Connector call; logged by name only (a password travels in authenticate)."""
    log.debug("Web Connector call %s", call.operation)
    ticket = call.text("ticket")
    match call.operation:
        case "serverVersion":
            return server_version()
        case "clientVersion":
            log.info("Web Connector version %s", call.text("strVersion"))
            return ""
        case "authenticate":
            return broker.authenticate(call.text("strUserName"), call.text("strPassword"))
        case "sendRequestXML":
            return broker.send_request(
                ticket,
                call.text("strCompanyFileName"),
                call.number("qbXMLMajorVers"),
                call.number("qbXMLMinorVers"),
            )
        case "receiveResponseXML":
            return broker.receive_response(
                ticket, call.text("response"), call.text("hresult"), call.text("message")
            )
        case "connectionError":
            return broker.connection_error(ticket, call.text("hresult"), call.text("message"))
        case "getLastError":
            return broker.last_error(ticket)
        case _:
            return broker.close(ticket)


async def support_page(_: Request) -> Response:
    return PlainTextResponse(SUPPORT_TEXT)


def create_app(config: ConnectorConfig) -> Starlette:
    app = Starlette(
        routes=[
            Route(SOAP_PATH, soap_endpoint, methods=["POST"]),
            Route(QBXML_PATH, qbxml_endpoint, methods=["POST"]),
            Route(SUPPORT_PATH, support_page, methods=["GET"]),
        ]
    )
    app.state.broker = Broker(config, Journal(config.journal_path))
    return app
