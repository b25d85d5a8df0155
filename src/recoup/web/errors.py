"""One place that turns every error into JSON for the API or a page for people. Never a traceback."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DataError, OperationalError, StatementError
from starlette.exceptions import HTTPException

from recoup.db import utcnow
from recoup.errors import RecoupError
from recoup.web.deps import SESSION_ID, LoginRequired, database, settings, web_principal
from recoup.web.i18n import normalise_locale, translate
from recoup.web.templating import render, request_locale

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
    503: "Try again shortly",
}


class ErrorOut(BaseModel):
    """Every refusal of the API: a clear message, and what it concerns (the refused fields of a 422)."""

    error: str
    detail: object = None


# Documented on every API route (app.py adds them to each router): whatever a route refuses, it says so in this shape.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorOut, "description": STATUS_MESSAGES[status]}
    for status in (400, 401, 403, 404, 409, 413, 422, 429)  # 400: an upload that is not multipart
}
BODY_NOT_PARSED = "There was an error parsing the body"
DATABASE_AWAY = ("the database cannot be reached or is busy just now: nothing was changed; "
                 "try again in a minute")
OUT_OF_RANGE = "a value is out of range (a number, a date or an amount too large)"
VALUE_ERROR_PREFIX = "Value error, "  # pydantic's, before the message of a validator of recoup.web.params


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def page_user(request: Request) -> object:
    """The logged-in user of a page that failed, so the error is shown inside the layout with the menu;
    None when nobody is logged in or the lookup itself fails (the error page never fails in turn)."""
    if "session" not in request.scope or not isinstance(request.session.get(SESSION_ID), str):
        return None
    try:
        with database(request).unit_of_work() as session:
            return web_principal(request, session, settings(request), utcnow())
    except Exception:  # an error page shows the error it has, whatever else is wrong
        return None


def _related(detail: object) -> dict[str, str]:
    """What a refusal conflicts with, as links: {"case": "RC-2026-000120"} -> the existing case's page."""
    links: dict[str, str] = {}
    if isinstance(detail, dict):
        case = detail.get("case")
        if isinstance(case, str) and case.startswith("RC-"):
            links[f"/cases/{case}"] = case
    return links


def _back(request: Request) -> str:
    """Where "back" leads: the page the person came from when it is one of ours, else the dashboard."""
    referer = request.headers.get("referer", "")
    origin = f"{request.url.scheme}://{request.url.netloc}"
    if referer.startswith(origin + "/") and referer != str(request.url):
        return referer[len(origin):] or "/"
    return "/"


def error_response(request: Request, status: int, message: str, detail: object = None, *,
                   translated: bool = False) -> Response:
    """JSON for the API (English), else the error page in the user's language (`translated`: the message
    is already in it)."""
    if _is_api(request):
        return JSONResponse({"error": message, "detail": detail}, status_code=status)
    locale = request_locale(request)
    shown = message if translated else page_message(locale, message)
    return render(request, "error.html", status_code=status, status=status, user=page_user(request),
                  title=STATUS_MESSAGES.get(status, "Error"), message=shown,
                  untranslated=not translated and untranslated(locale, message, shown), links=_related(detail),
                  back=_back(request))


def page_message(locale: str, message: str) -> str:
    """An error's message in the user's language (the API and the CLI keep the English): its msgid's
    translation, its values in words (recoup.web.i18n.translate); messages joined by "; " one by one.
    A message no catalogue knows is returned as it is (see untranslated())."""
    translated = translate(locale, message)
    if translated == message and "; " in message:
        joint = "; " if normalise_locale(locale) == "en" else "；"
        return joint.join(translate(locale, part) for part in message.split("; "))
    return translated


def untranslated(locale: str, message: str, shown: str) -> bool:
    """True when a Chinese page would show an English message no catalogue translates."""
    return normalise_locale(locale) != "en" and shown == message and bool(_ENGLISH_WORDS.search(message))


_ENGLISH_WORDS = re.compile(r"[A-Za-z]{2,}[ ,']+[A-Za-z]{2,}[ ,']+[A-Za-z]{2,}")


def _describe_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, object]]]:
    problems: list[dict[str, object]] = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()))
        reason = str(error.get("msg", "invalid")).removeprefix(VALUE_ERROR_PREFIX)
        problems.append({"field": location, "reason": reason})
    if any(p["reason"].startswith("JSON decode error") for p in problems if isinstance(p["reason"], str)):
        return "malformed JSON in the request body", problems
    return "invalid input", problems


# What a page says of a value its route's declared limits refuse, by pydantic error type (pydantic words
# its messages in English only): English msgids of the UI catalogues, the braces filled from the error's context.
PAGE_REASONS: dict[str, str] = {
    "missing": "required",
    "string_too_long": "at most {max_length} characters",
    "string_too_short": "at least {min_length} characters",
    "string_pattern_mismatch": "not in the expected format",
    "int_parsing": "must be a valid integer",
    "int_from_float": "must be a valid integer",
    "float_parsing": "must be a number",
    "decimal_parsing": "must be a number",
    "bool_parsing": "must be true or false",
    "greater_than_equal": "must be greater than or equal to {ge}",
    "greater_than": "must be greater than {gt}",
    "less_than_equal": "must be less than or equal to {le}",
    "less_than": "must be less than {lt}",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "datetime_parsing": "must be a date-time (ISO 8601)",
    "enum": "must be one of {expected}",
    "literal_error": "must be one of {expected}",
}
ANY_OTHER_REASON = "invalid value"


def _problem_text(problem: dict[str, object], locale: str) -> str:
    """`field: reason` for one refused value, naming the form or address field as the page calls it."""
    location = problem.get("loc")
    names = [part for part in location if isinstance(part, str)] if isinstance(location, (tuple, list)) else []
    field = names[-1] if len(names) > 1 else "input"  # ("body",) alone: the whole form is missing
    context = problem.get("ctx")
    if problem.get("type") == "value_error" and isinstance(context, dict) and "error" in context:
        return f"{field}: {translate(locale, str(context['error']))}"  # a recoup.web.params validator's words
    reason = translate(locale, PAGE_REASONS.get(str(problem.get("type")), ANY_OTHER_REASON))
    try:
        reason = reason.format(**(context if isinstance(context, dict) else {}))
    except (KeyError, IndexError):  # a context without the value the text names
        reason = translate(locale, ANY_OTHER_REASON)
    return f"{field}: {reason}"


def page_validation_message(exc: RequestValidationError, locale: str) -> str:
    """Every refused value of a page's form or address, in the user's language (each problem once)."""
    texts = (_problem_text(problem, locale) for problem in exc.errors())
    return "; ".join(dict.fromkeys(texts))


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
        if exc.status_code == 400 and message == BODY_NOT_PARSED:  # FastAPI's, for a body it cannot even decode
            return error_response(request, 422, "malformed request body: not JSON or a form in UTF-8")
        return error_response(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if not _is_api(request):  # a person: the page names each field and what is wrong, in their language
            return error_response(request, 422, page_validation_message(exc, request_locale(request)),
                                  translated=True)
        message, problems = _describe_validation(exc)
        return error_response(request, 422, message, problems)

    @app.exception_handler(StatementError)
    async def database_refused(request: Request, exc: StatementError) -> Response:
        if isinstance(exc, OperationalError):  # a lost connection, a restart, a lock wait given up: retryable
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path,
                        str(exc.orig).strip().splitlines()[0][:200] if str(exc.orig).strip() else type(exc.orig))
            answer = error_response(request, 503, DATABASE_AWAY)
            answer.headers["Retry-After"] = "30"
            return answer
        if not isinstance(exc, DataError) and not isinstance(exc.orig, (OverflowError, ValueError)):
            return await unexpected(request, exc)
        # Last resort: a value the database driver cannot hold (the route's parameter types should have refused it).
        log.warning("value out of range for the database on %s %s: %s", request.method, request.url.path, exc.orig)
        return error_response(request, 422, OUT_OF_RANGE)

    @app.exception_handler(OverflowError)
    async def out_of_range(request: Request, exc: OverflowError) -> Response:
        log.warning("value out of range on %s %s: %s", request.method, request.url.path, exc)
        return error_response(request, 422, OUT_OF_RANGE)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:  # noqa: ARG001
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "an unexpected error occurred; it has been logged")
