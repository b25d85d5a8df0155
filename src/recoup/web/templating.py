"""Jinja2 environment with translations, time and money formatting and the CSRF token.

Every template gets: `_("English msgid", **values)`, `label(code)` (an enum's code — kind, cause, state, rung,
role, direction, account, action kind/state, timeline event — as words of the user's language, never the
code), `explained(text)` (a finding's bilingual explanation: `.mine` in the user's language, `.other` for a
click away, `.codes` the reason codes in words), `when(moment, merchant_zone)` ("2026-11-20 16:40 (UTC+8)",
in the merchant's zone or Settings.default_timezone), `day(value, merchant_zone)` and `money(minor, currency)`
("¥2,120.00"), all from recoup.web.formatting: the one way pages show codes, times and money; `who(actor)`
(a timeline's or an evidence file's actor, a system actor in words).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.ext import Extension
from jinja2.lexer import TOKEN_DOT, TOKEN_LPAREN, TOKEN_NAME, TOKEN_RPAREN, TOKEN_STRING, Token, TokenStream
from sqlalchemy.exc import SQLAlchemyError

from recoup.web import formatting
from recoup.web.csrf import csrf_token
from recoup.web.i18n import LOCALE_NAMES, LOCALES, code_label, explained, normalise_locale, translate

__all__ = ["code_label", "render", "request_locale", "templates"]


class ConstantTexts(Extension):
    """`_("Constant text")` (one string, nothing else) becomes its translation when a template is compiled, in
    the environment of one language (the page's `_` would return the same text: i18n.translate's catalogues do
    not change under a running process): a case page has some 150 of them, otherwise a call each on every
    request. `_` with values, or of a computed text (`_("template:" ~ key)`, `_(e.note)`), stays a call."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        locale = str(getattr(self.environment, "constant_texts_locale", ""))
        tokens, at = list(stream), 0
        while at < len(tokens):
            if locale and _is_constant_text(tokens, at):
                yield Token(tokens[at].lineno, TOKEN_STRING, translate(locale, tokens[at + 2].value))
                at += 4
            else:
                yield tokens[at]
                at += 1


def _is_constant_text(tokens: list[Token], at: int) -> bool:
    """Whether tokens[at:at + 4] are `_ ( "text" )`, `_` a name of its own (not `x._`)."""
    shape = [(token.type, token.value) for token in tokens[at:at + 4]]
    return (len(shape) == 4 and shape[0] == (TOKEN_NAME, "_") and shape[1][0] == TOKEN_LPAREN
            and shape[2][0] == TOKEN_STRING and shape[3][0] == TOKEN_RPAREN
            and (at == 0 or tokens[at - 1].type != TOKEN_DOT))


def _templates(locale: str | None) -> Jinja2Templates:
    """The pages' templates; for a locale, compiled with its constant texts translated (ConstantTexts). They
    ship with the package and do not change under a running server: no stat() of every template (and of
    base.html it extends) on every page (bench/load.py). A restart picks up an edit."""
    environment = Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
                              autoescape=select_autoescape(), auto_reload=False,
                              extensions=[ConstantTexts] if locale else [])
    environment.extend(constant_texts_locale=locale or "")
    return Jinja2Templates(env=environment)


templates = _templates(None)  # texts translated as the page renders (any caller's `_`)
_BY_LOCALE = {locale: _templates(locale) for locale in LOCALES}


def compile_page_templates() -> int:
    """Compile every template in each language's environment now (recoup.web.warm_up); returns how many."""
    compiled = 0
    for environment in (chosen.env for chosen in _BY_LOCALE.values()):
        for name in environment.list_templates(extensions=["html"]):
            environment.get_template(name)
            compiled += 1
    return compiled


def request_locale(request: Request) -> str:
    chosen = request.session.get("locale") if "session" in request.scope else None
    if isinstance(chosen, str):
        return normalise_locale(chosen)
    return normalise_locale(request.app.state.settings.locale)


def _unread_alerts(request: Request, user: object) -> Callable[[], int]:
    """The menu's alert badge: the logged-in user's unread alerts, one COUNT query, made only when the
    menu asks (recoup.messaging.alerts), in the request's own transaction while it is open (no second
    transaction and connection for one count), else in a short one."""

    def count() -> int:
        from recoup.auth.principal import Principal
        from recoup.messaging.alerts import unread_count

        if not isinstance(user, Principal):
            return 0
        current = getattr(request.state, "db_session", None)
        if current is not None:
            try:
                return unread_count(current, user)
            except SQLAlchemyError:  # a transaction the page already saw fail: count in a fresh one
                pass
        with request.app.state.database.unit_of_work() as session:
            return unread_count(session, user)

    return count


def actor_words(locale: str, actor: str) -> str:
    """Who did it, for a page: a system actor named in the language ("actor:worker"), a person as their name."""
    said = translate(locale, f"actor:{actor}")
    return actor if said.startswith("actor:") else said


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    locale = request_locale(request)

    def gettext(message: str, **values: object) -> str:
        text = translate(locale, message)
        return text.format(**values) if values else text

    default_zone = str(getattr(request.app.state.settings, "default_timezone", "") or formatting.FALLBACK_ZONE)

    def when(moment: object, merchant_zone: str | None = None, labelled: bool = True) -> str:
        return formatting.format_when(moment if isinstance(moment, datetime | str) else None,
                                      merchant_zone or default_zone, labelled=labelled)

    def day(value: object, merchant_zone: str | None = None) -> str:
        return formatting.format_day(value if isinstance(value, date | str) else None, merchant_zone or default_zone)

    def money(minor: int | str, currency: str = "CNY") -> str:
        """Minor units (12800), or a stored major-unit string ("128.00") as the JSON views carry it."""
        return formatting.format_money(formatting.minor_of(minor, currency), currency)

    base = {
        "_": gettext,
        "money": money,
        "when": when,
        "day": day,
        "label": lambda code: code_label(locale, code),
        "explained": lambda text: explained(text if isinstance(text, str) else None, locale),
        "locale": locale,
        "locales": LOCALE_NAMES,
        "csrf_token": csrf_token(request) if "session" in request.scope else "",
        "unread_alerts": _unread_alerts(request, context.get("user")),
        "who": lambda actor: actor_words(locale, actor),
    }
    chosen = _BY_LOCALE.get(locale, templates) if context.get("_", gettext) is gettext else templates
    return chosen.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
