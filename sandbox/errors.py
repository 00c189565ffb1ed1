"""The Procore side's error answers, raised as exceptions so handlers stay linear."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

INVALID_TOKEN = "The access token is invalid"
MISSING_COMPANY = "Missing Procore-Company-Id header!"
NOT_FOUND = "Not Found"
RATE_LIMITED = (
    "You have surpassed the max number of requests for an hour. "
    "Please wait until your limit resets."
)


class ApiError(Exception):
    """An error answer in the `{"errors": ..., "reason"?: ...}` shape of docs/procore-api.md."""

    def __init__(
        self,
        status: int,
        errors: str,
        reason: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(errors)
        self.status = status
        self.errors = errors
        self.reason = reason
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body: dict[str, str] = {"errors": self.errors}
        if self.reason is not None:
            body["reason"] = self.reason
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found() -> ApiError:
    return ApiError(404, NOT_FOUND)


def unauthorized() -> ApiError:
    # WWW-Authenticate is what RFC 6750 asks of a bearer-protected resource.
    return ApiError(
        401, INVALID_TOKEN, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 answers, reshaped into the JSON error bodies clients parse."""
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", None) or "Error"
    if request.url.path.startswith("/quickbooks"):
        return JSONResponse({"error": str(detail)}, status_code=status)
    message = NOT_FOUND if status == 404 else str(detail)
    return JSONResponse({"errors": message}, status_code=status)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """A bug in the sandbox still answers in the documented shape rather than a bare 500 page."""
    if request.url.path.startswith("/quickbooks"):
        return JSONResponse({"error": f"Connector failure: {exc!r}"}, status_code=500)
    return JSONResponse({"errors": f"Internal sandbox error: {exc!r}"}, status_code=500)
