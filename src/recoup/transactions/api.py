"""REST routes: upload an import, list imports, search transactions, read one transaction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Response, UploadFile
from fastapi.responses import JSONResponse

from recoup.transactions.importer import import_file
from recoup.transactions.repository import recent_imports
from recoup.transactions.schemas import ImportBatchOut, ImportReportOut, TransactionDetailOut, TransactionPage
from recoup.transactions.search import build_filters
from recoup.transactions.search_options import SEARCH_DOCS, SearchTexts
from recoup.transactions.service import journal_detail, search_rows
from recoup.transactions.upload_options import KindForm, SkipBadRowsForm, YearForm, upload_file, upload_options
from recoup.web.deps import ApiUser, SessionDep, SettingsDep
from recoup.web.params import DatabaseId, Offset
from recoup.web.upload_form import UploadRoute

router = APIRouter(tags=["transactions"], route_class=UploadRoute)  # uploads stream into private files
MAX_PAGE = 1000


@router.post("/imports", response_model=ImportReportOut, status_code=201)
def create_import(
    principal: ApiUser, session: SessionDep, settings: SettingsDep, response: Response,
    kind: KindForm, file: UploadFile, skip_bad_rows: SkipBadRowsForm = False,
    tenant: Annotated[str | None, Form(max_length=40)] = None, year: YearForm = None,
    profile: Annotated[str | None, Form(max_length=40)] = None,
) -> ImportReportOut:
    """Import one file (multipart: `kind` and `file`) in one transaction; 422 lists every bad line.

    A statement file in its issuer's layout is read through `profile`, or through the profile detected
    from its header (the report's first warning says which); rejects name lines of the original file.
    """
    from recoup.ingest.service import choose_profile, import_with_profile

    options = upload_options(file, skip_bad_rows, year, tenant)
    kind = kind.strip().lower()
    with upload_file(file) as path:
        choice = choose_profile(session, principal, path, kind, profile or None, options.file_name)
        if choice.profile is not None:
            report, _ = import_with_profile(session, principal, kind, path, settings, options, choice.profile)
        else:
            report = import_file(session, principal, kind, path, settings, options)
    if report.already_imported:
        response.status_code = 200
    return ImportReportOut.of(report)


@router.get("/imports", response_model=list[ImportBatchOut])
def imports(principal: ApiUser, session: SessionDep) -> list[ImportBatchOut]:
    return [ImportBatchOut.of(batch) for batch in recent_imports(session, principal)]


@router.get("/transactions", response_model=TransactionPage, openapi_extra=SEARCH_DOCS)
def transactions(
    principal: ApiUser, session: SessionDep, settings: SettingsDep, texts: SearchTexts,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100, offset: Offset = 0,
) -> Response:
    """Search journal (default), settlement or orders; every filter combines with the others."""
    filters = build_filters(texts, default_timezone=settings.default_timezone)
    items = list(search_rows(session, principal, filters, limit=limit + 1, offset=offset, newest_first=True))
    more = len(items) > limit
    # The TransactionPage of the response model, written straight: its rows hold JSON's own types (texts,
    # numbers, None), so the bytes are those FastAPI wrote, without validating the page again in another
    # thread (tests/transactions/test_api_search_page.py compares them).
    return JSONResponse({"source": filters.source, "items": items[:limit], "limit": limit, "offset": offset,
                         "next_offset": offset + limit if more else None})


@router.get("/transactions/{journal_id}", response_model=TransactionDetailOut)
def transaction(journal_id: DatabaseId, principal: ApiUser, session: SessionDep) -> TransactionDetailOut:
    """A journal line with its settlement line(s), its order and the voids/refunds/reversals around it."""
    return TransactionDetailOut.of(journal_detail(session, principal, journal_id))
