"""The incident report of a case as a PDF: the API route and the page's download route.

`GET /api/v1/cases/{case_id}/report.pdf?lang=zh|en` (a bearer token) and `GET /cases/{case_id}/report.pdf?lang=`
(a logged-in user; without `lang`, the page's language). Both read within the caller's scope: another tenant's
case is a 404 like every case route; an unknown language a 422.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.cases.repository import get_case
from recoup.evidence.incident_report import PDF_TYPE, render_incident_report, report_filename
from recoup.evidence.incident_words import report_locale
from recoup.web.deps import ApiUser, Now, SessionDep, WebUser
from recoup.web.i18n import normalise_locale
from recoup.web.params import CaseReference, LanguageTag
from recoup.web.templating import request_locale

api_router = APIRouter(tags=["evidence"])
web_router = APIRouter(include_in_schema=False)
Lang = Annotated[LanguageTag, Query(description="zh (Chinese) or en (English)")]


def _pdf(session: Session, principal: Principal, case_id: str, lang: str, now: datetime) -> Response:
    report_locale(lang)  # an unknown language: a 422 before anything is read
    filename = report_filename(get_case(session, principal, case_id).number, lang)
    body = render_incident_report(session, principal, case_id, lang, now)
    return Response(body, media_type=PDF_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@api_router.get("/cases/{case_id}/report.pdf", response_class=Response,
                responses={200: {"content": {PDF_TYPE: {}}, "description": "the incident report (PDF)"}})
def incident_report_api(case_id: CaseReference, principal: ApiUser, session: SessionDep, now: Now,
                        lang: Lang = "zh") -> Response:
    """The case's incident report (记录和报告): time, place, people, cause, measures and outcome, as a PDF."""
    return _pdf(session, principal, case_id, lang or "zh", now)


@web_router.get("/cases/{case_id}/report.pdf")
def incident_report_page(case_id: CaseReference, request: Request, principal: WebUser, session: SessionDep,
                         now: Now, lang: Lang = "") -> Response:
    chosen = lang.strip() or ("zh" if normalise_locale(request_locale(request)) == "zh_CN" else "en")
    return _pdf(session, principal, case_id, chosen, now)
