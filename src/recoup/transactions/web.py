"""Pages: search transactions (paged, sorted, filtered by what a person knows), one transaction with all it
links to (settlement, order, voids and refunds, the findings and cases that name it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from recoup.transactions.search import SOURCES
from recoup.transactions.search_options import SearchTexts
from recoup.transactions.service import ResultPage, journal_detail, search_page_rows, settlement_detail
from recoup.transactions.web_detail import draw_transaction
from recoup.transactions.web_search import SOURCE_WORDS, STATUSES, TYPES, read_search
from recoup.web.deps import SessionDep, SettingsDep, WebUser
from recoup.web.params import DatabaseId
from recoup.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
SortText = Annotated[str, Query(max_length=20)]
PageText = Annotated[str, Query(max_length=12)]


@router.get("/transactions", response_class=HTMLResponse)
def search_page(request: Request, principal: WebUser, session: SessionDep, settings: SettingsDep,
                texts: SearchTexts, sort: SortText = "", page: PageText = "1") -> HTMLResponse:
    form = read_search(texts, sort=sort, page=page, default_timezone=settings.default_timezone,
                       locale=request_locale(request))
    found = ResultPage([], 0, 1, 1)
    if form.filters is not None:
        found = search_page_rows(session, principal, form.filters, sort=form.sort, page=form.page)
        form.page = found.page
    return render(request, "transactions/search.html", user=principal, form=form,
                  found=found, sources=SOURCES, source_words=SOURCE_WORDS, types=TYPES, statuses=STATUSES,
                  default_zone=settings.default_timezone)


@router.get("/transactions/{journal_id}", response_class=HTMLResponse)
def transaction_page(journal_id: DatabaseId, request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    return draw_transaction(request, principal, journal_detail(session, principal, journal_id))


@router.get("/settlement/{settlement_id}", response_class=HTMLResponse)
def settlement_page(settlement_id: DatabaseId, request: Request, principal: WebUser, session: SessionDep,
                    ) -> HTMLResponse:
    return draw_transaction(request, principal, settlement_detail(session, principal, settlement_id))
