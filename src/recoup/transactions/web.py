"""Pages: search transactions, one transaction with all it links to."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from recoup.errors import InvalidInput
from recoup.transactions.search import SOURCES, build_filters
from recoup.transactions.search_options import SearchTexts
from recoup.transactions.service import journal_detail, search_rows, settlement_detail
from recoup.web.deps import SessionDep, SettingsDep, WebUser
from recoup.web.params import DatabaseId
from recoup.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 100


@router.get("/transactions", response_class=HTMLResponse)
def search_page(request: Request, principal: WebUser, session: SessionDep, settings: SettingsDep,
                texts: SearchTexts) -> HTMLResponse:
    asked = any(value for name, value in texts.items() if name != "in")
    rows: list[dict[str, object]] = []
    error = None
    source = texts["in"] or "journal"
    try:
        filters = build_filters(texts, default_timezone=settings.default_timezone)
        rows = list(search_rows(session, principal, filters, limit=PAGE_ROWS, newest_first=True))
        source = filters.source
    except InvalidInput as problem:
        error = problem.message
    return render(request, "transactions/search.html", user=principal, values=texts, rows=rows, error=error,
                  asked=asked, source=source, sources=SOURCES, page_rows=PAGE_ROWS)


@router.get("/transactions/{journal_id}", response_class=HTMLResponse)
def transaction_page(journal_id: DatabaseId, request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    return render(request, "transactions/detail.html", user=principal,
                  detail=journal_detail(session, principal, journal_id))


@router.get("/settlement/{settlement_id}", response_class=HTMLResponse)
def settlement_page(settlement_id: DatabaseId, request: Request, principal: WebUser, session: SessionDep,
                    ) -> HTMLResponse:
    return render(request, "transactions/detail.html", user=principal,
                  detail=settlement_detail(session, principal, settlement_id))
