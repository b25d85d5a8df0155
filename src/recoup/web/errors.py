"""One place that turns every error into JSON for the API or a page for people. Never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from recoup.errors import RecoupError
from recoup.web.deps import LoginRequired
from recoup.web.templating import render

log = logging.getLogger("recoup.web")

STATUS_MESSAGES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Something went wrong on our side",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, message: str, detail: object = None) -> Response:
    if _is_api(request):
        return JSONResponse({"error": message, "detail": detail}, status_code=status)
    return render(request, "error.html", status_code=status, status=status,
                  title=STATUS_MESSAGES.get(status, "Error"), message=message)


def _describe_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, object]]]:
    problems: list[dict[str, object]] = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()))
        problems.append({"field": location, "reason": str(error.get("msg", "invalid"))})
    if any(p["reason"].startswith("JSON decode error") for p in problems if isinstance(p["reason"], str)):
        return "malformed JSON in the request body", problems
    return "invalid input", problems


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request):
            return error_response(request, 401, exc.message)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(RecoupError)
    async def recoup_error(request: Request, exc: RecoupError) -> Response:
        return error_response(request, exc.status, exc.message, exc.detail)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else STATUS_MESSAGES.get(exc.status_code, "Error")
        if exc.status_code == 404:
            message = f"no such page or resource: {request.url.path}"
        return error_response(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        message, problems = _describe_validation(exc)
        return error_response(request, 422, message, problems)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:  # noqa: ARG001
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "an unexpected error occurred; it has been logged")
