"""The reports page and its downloads (issue 14): `GET /reports?from=&to=&merchant=` shows the totals against
the previous period, the charts (inline SVG, no script) and the tables; `GET /reports/export.xlsx|.pdf|.csv`
sends the same report as a file. A bad date, a merchant out of sight or an unknown language gets a clear
message and no file."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from recoup.auth.roles import Role, may
from recoup.errors import InvalidInput, RecoupError
from recoup.merchants.repository import list_merchants
from recoup.money import CURRENCY_EXPONENTS
from recoup.reports.charts import report_charts, to_svg
from recoup.reports.csv_export import summary_csv
from recoup.reports.exports import XLSX_TYPE, render_pdf, render_xlsx
from recoup.reports.prevention import ACK_PERMISSION, acknowledge
from recoup.reports.service import prevention, summary
from recoup.reports.summary import PreventionRow, Summary
from recoup.reports.tables import (
    PREVENTION_LISTS,
    cell_format,
    format_value,
    list_name,
    money_formatter,
    report_tables,
    translator,
)
from recoup.web.csrf import check_csrf
from recoup.web.deps import Now, SessionDep, SettingsDep, WebUser
from recoup.web.params import LanguageTag, MerchantId
from recoup.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
FromDay = Annotated[str, Query(alias="from", max_length=10)]  # YYYY-MM-DD or empty (the form sends empty fields)
ToDay = Annotated[str, Query(alias="to", max_length=10)]
Currency = Annotated[str, Query(max_length=3)]  # an ISO 4217 code; empty: CNY
LANGUAGES = {"zh": "zh_CN", "zh_cn": "zh_CN", "zh-cn": "zh_CN", "en": "en"}
FILE_TYPES = {"xlsx": XLSX_TYPE, "pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


def _day(name: str, text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{name}: a date as YYYY-MM-DD, e.g. 2026-03-31, not {text[:20]!r}") from None


def _language(request: Request, lang: str) -> str:
    if not lang.strip():
        return request_locale(request)
    found = LANGUAGES.get(lang.strip().lower())
    if found is None:
        raise InvalidInput(f"lang: zh or en, not {lang[:20]!r}")
    return found


def _cards(report: Summary, locale: str) -> list[dict[str, object]]:
    """The totals as cards: this period, the previous one and the change (up, down or none)."""
    t, money = translator(locale), money_formatter(locale, report.currency)
    totals = report_tables(report, t)[0]
    cards: list[dict[str, object]] = []
    for index, (label, now, before, change, relative) in enumerate(totals.rows):
        fmt = cell_format(totals, index, 1)
        sign = "" if not isinstance(change, int | float) or change == 0 else ("up" if change > 0 else "down")
        shown_change = format_value(change, fmt, money)
        cards.append({"label": label, "value": format_value(now, fmt, money),
                      "previous": format_value(before, fmt, money), "direction": sign,
                      "change": ("+" if sign == "up" else "") + shown_change,
                      "relative": format_value(relative, "rate", money)})
    return cards


def _page_context(report: Summary, locale: str) -> dict[str, object]:
    t, money = translator(locale), money_formatter(locale, report.currency)
    tables = report_tables(report, t)
    shown = [{"key": table.key, "title": table.title, "headings": table.headings,
              "numeric": [fmt not in ("text", "date") for fmt in table.formats],
              "rows": [[format_value(value, cell_format(table, row_index, column), money)
                        for column, value in enumerate(row)] for row_index, row in enumerate(table.rows)]}
             for table in tables[1:]]
    return {"report": report, "cards": _cards(report, locale), "tables": shown,
            "charts": [Markup(to_svg(chart)) for chart in report_charts(report, t, money)]}  # to_svg escapes


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, principal: WebUser, session: SessionDep, now: Now,
                 date_from: FromDay = "", date_to: ToDay = "", merchant: MerchantId = "",
                 currency: Currency = "") -> HTMLResponse:
    locale = request_locale(request)
    values = {"from": date_from.strip(), "to": date_to.strip(), "merchant": merchant,
              "currency": currency.strip().upper() or "CNY"}
    context: dict[str, object] = {"report": None, "error": None}
    status = 200
    try:
        report = summary(session, principal, _day("from", date_from), _day("to", date_to),
                         merchant_id=merchant or None, currency=values["currency"], now=now)
        context = {**_page_context(report, locale), "error": None}
        values = {**values, "from": report.date_from.isoformat(), "to": report.date_to.isoformat()}
    except RecoupError as problem:
        context["error"], status = problem.message, problem.status
    downloads = {fmt: f"/reports/export.{fmt}?{urlencode({**values, 'lang': locale})}" for fmt in FILE_TYPES}
    return render(request, "reports/summary.html", status_code=status, user=principal, values=values,
                  merchants=list_merchants(session, principal), downloads=downloads, back=urlencode(values),
                  currencies=sorted(CURRENCY_EXPONENTS), **context)


def _export(request: Request, principal: WebUser, session: SessionDep, now: Now, fmt: str, date_from: str,
            date_to: str, merchant: str, lang: str) -> Response:
    locale = _language(request, lang)
    currency = request.query_params.get("currency", "")[:3] or "CNY"
    report = summary(session, principal, _day("from", date_from), _day("to", date_to),
                     merchant_id=merchant or None, currency=currency, now=now)
    if fmt == "xlsx":
        body = render_xlsx(report, locale)
    elif fmt == "pdf":
        body = render_pdf(report, locale)
    else:
        body = summary_csv(report).encode("utf-8")
    name = f"recoup-report-{report.date_from.isoformat()}-{report.date_to.isoformat()}.{fmt}"
    return Response(body, media_type=FILE_TYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/reports/export.xlsx")
def export_xlsx(request: Request, principal: WebUser, session: SessionDep, now: Now, date_from: FromDay = "",
                date_to: ToDay = "", merchant: MerchantId = "", lang: LanguageTag = "") -> Response:
    return _export(request, principal, session, now, "xlsx", date_from, date_to, merchant, lang)


@router.get("/reports/export.pdf")
def export_pdf(request: Request, principal: WebUser, session: SessionDep, now: Now, date_from: FromDay = "",
               date_to: ToDay = "", merchant: MerchantId = "", lang: LanguageTag = "") -> Response:
    return _export(request, principal, session, now, "pdf", date_from, date_to, merchant, lang)


@router.get("/reports/export.csv")
def export_csv(request: Request, principal: WebUser, session: SessionDep, now: Now, date_from: FromDay = "",
               date_to: ToDay = "", merchant: MerchantId = "", lang: LanguageTag = "") -> Response:
    return _export(request, principal, session, now, "csv", date_from, date_to, merchant, lang)


def _entry_view(row: PreventionRow, locale: str, zone: str) -> dict[str, object]:
    """An entry's figures with their names translated, a moment shown in the merchant's zone."""
    t = translator(locale)
    figures: dict[str, object] = {}
    for name, value in row.figures.items():
        if value == "":
            continue
        if name == "first_at" and isinstance(value, str):
            value = datetime.fromisoformat(value).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
        figures[t(FIGURE_NAMES.get(name, name))] = value
    return {"row": row, "figures": figures, "list_name": list_name(row.list, t)}


# The figures' names (English msgids), as the prevention page shows them.
FIGURE_NAMES = {
    "last_maintenance": "Last maintenance", "interval_days": "Interval (days)", "transactions": "Transactions",
    "per_thousand": "Per 1,000 transactions (‰)", "merchant_per_thousand": "Merchant's other terminals (‰)",
    "model_per_thousand": "Same model (‰)", "model": "Model", "terminals": "Terminals",
    "others_per_thousand": "Other terminals (‰)", "window_minutes": "Window (minutes)", "first_at": "First at",
}


@router.get("/reports/prevention", response_class=HTMLResponse)
def prevention_page(request: Request, principal: WebUser, session: SessionDep, now: Now, settings: SettingsDep,
                    date_from: FromDay = "", date_to: ToDay = "", merchant: MerchantId = "",
                    currency: Currency = "") -> HTMLResponse:
    """The prevention lists of a period: each list explained, each entry with its numbers, a link to the
    transactions behind it and an Acknowledge form (a note; acknowledged entries are marked, with it)."""
    locale = request_locale(request)
    values = {"from": date_from.strip(), "to": date_to.strip(), "merchant": merchant,
              "currency": currency.strip().upper() or "CNY"}
    lists: list[dict[str, object]] = []
    error, status = None, 200
    merchants = list_merchants(session, principal)
    zones = {found.merchant_id: found.timezone or settings.default_timezone for found in merchants}
    try:
        period, rows = prevention(session, principal, _day("from", date_from), _day("to", date_to),
                                  merchant_id=merchant or None, currency=values["currency"], now=now)
        values = {**values, "from": period.first.isoformat(), "to": period.last.isoformat()}
        t = translator(locale)
        for key, (name, rule) in PREVENTION_LISTS.items():
            mine = [_entry_view(row, locale, zones.get(row.merchant_id, settings.default_timezone))
                    for row in rows if row.list == key]
            lists.append({"key": key, "name": t(name), "rule": t(rule), "entries": mine})
    except RecoupError as problem:
        error, status = problem.message, problem.status
    return render(request, "reports/prevention.html", status_code=status, user=principal, values=values,
                  lists=lists, error=error, merchants=merchants,
                  may_acknowledge=principal.role.value in _ACKNOWLEDGERS, back=urlencode(values))


_ACKNOWLEDGERS = {role.value for role in Role if may(role, ACK_PERMISSION)}


@router.post("/reports/prevention/ack", dependencies=[Depends(check_csrf)])
def acknowledge_page(principal: WebUser, session: SessionDep, now: Now,
                     key: Annotated[str, Form(max_length=120)] = "", note: Annotated[str, Form(max_length=500)] = "",
                     back: Annotated[str, Form(max_length=200)] = "") -> Response:
    acknowledge(session, principal, key, note, now)
    query = back if all(char.isalnum() or char in "=&-_%+." for char in back) else ""
    return RedirectResponse(f"/reports/prevention?{query}#entry-done", status_code=303)
