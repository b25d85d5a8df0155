"""Pages of the evidence domain: the case page's evidence section, its uploads, files and the bundle.

The upload form posts one file per request (the page's script sends several one after the other, each
with its progress bar; without script, the form posts one file and comes back to the case page). A
refused file is answered in the user's language and nothing is kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import bindparam, exists
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission, may
from recoup.cases.models import Case
from recoup.cases.page_view import CasePage
from recoup.cases.recording import audited
from recoup.cases.web import WebActor
from recoup.config import get_settings
from recoup.evidence.downloads import bundle_response, file_response
from recoup.evidence.models import EvidenceItem
from recoup.evidence.records import records_from
from recoup.evidence.rules import KINDS, MAX_BYTES, UPLOAD_KINDS, Refusal, is_image, readable_size
from recoup.evidence.service import DuplicateEvidence, EvidenceRefused, add_to_case, item_of_case, read_for
from recoup.evidence.views import evidence_rows, local_time, record_row, zone_of
from recoup.transactions.upload_options import upload_file, upload_name
from recoup.web.csrf import check_csrf
from recoup.web.deps import Now, SessionDep, SettingsDep, WebUser, database, settings
from recoup.web.errors import STATUS_MESSAGES
from recoup.web.i18n import translate
from recoup.web.params import CaseReference
from recoup.web.templating import render, request_locale
from recoup.web.upload_form import UploadRoute

router = APIRouter(include_in_schema=False, route_class=UploadRoute)  # uploads stream into private files
KindForm = Annotated[str, Form(max_length=20)]
NoteForm = Annotated[str, Form(max_length=2000)]
ItemId = Annotated[str, PathParam(max_length=20)]
SHORT_HASH = 12


def kind_label(kind: str) -> str:
    """The msgid of a kind's name ("evidence.kind.photo"): kinds are never shown as codes."""
    return f"evidence.kind.{kind}"


def refusal_text(locale: str, refusal: Refusal) -> str:
    """A refusal in the user's language, the kind and accepted types translated too."""
    values = dict(refusal.values)
    if values.get("kind") in (*KINDS, "record"):
        values["kind"] = translate(locale, kind_label(values["kind"]))
    if "accepted" in values:
        separator = "、" if locale == "zh_CN" else ", "
        values["accepted"] = separator.join(translate(locale, word) for word in values["accepted"].split(", "))
    return translate(locale, refusal.message).format(**values)


def _row(row: dict[str, object], case: Case, zone_name: str) -> dict[str, object]:
    added_at = row["added_at"]
    assert isinstance(added_at, str)
    moment = datetime.fromisoformat(added_at)
    sha256, size = str(row["sha256"]), row["size"]
    base = f"/cases/{case.number}/evidence/{row['id']}"
    stored = row["source"] == "file"
    return {**row, "kind_label": kind_label(str(row["kind"])), "when": local_time(moment, zone_of(zone_name, "UTC")),
            "readable_size": readable_size(size if isinstance(size, int) else 0), "short_hash": sha256[:SHORT_HASH],
            "download_url": base if stored else "", "source_label": f"evidence.source.{row['source']}",
            "thumbnail_url": f"{base}?inline=1" if stored and is_image(str(row["content_type"])) else ""}


# Whether the case has files: asked with the case page's other reads (cases.schemas.read_case's `more`), so that
# a case without any (most) is not asked again for them.
CASE_PAGE_HAS = ("evidence", exists().where(EvidenceItem.case_id == bindparam("case_id")))


def case_section(session: Session, page: CasePage) -> dict[str, object]:
    """What templates/evidence/_case_section.html shows on the case page (cases.web.case_page calls it); the
    records of notes and actions come from the timeline and actions the page already read, and the files are
    read only when the page's reads say the case has some (CASE_PAGE_HAS)."""
    case, merchant = page.case, page.merchant
    zone_name = (merchant.timezone if merchant is not None and merchant.timezone else "") or \
        get_settings().default_timezone
    records = records_from(case, page.reads.timeline, page.reads.actions)
    found = evidence_rows(session, case, records) if page.reads.has.get("evidence", True) else \
        [record_row(record) for record in records]  # evidence_rows without files
    rows = [_row(row, case, zone_name) for row in found]
    return {"number": case.number, "files": [r for r in rows if r["source"] == "file"],
            "records": [r for r in rows if r["source"] != "file"], "kinds": UPLOAD_KINDS,
            "kind_labels": {kind: kind_label(kind) for kind in UPLOAD_KINDS},
            "limits": {kind: readable_size(MAX_BYTES[kind]) for kind in UPLOAD_KINDS},
            "may_add": may(page.principal.role, Permission.WORK_CASES), "zone": zone_name}


def case_documents(session: Session, principal: Principal, case: Case) -> dict[str, object]:  # noqa: ARG001
    """What templates/evidence/_case_documents.html shows on the case page (cases.web.case_page calls it)."""
    return {}


def _wants_fragment(request: Request) -> bool:
    return request.headers.get("x-requested-with", "").lower() == "xmlhttprequest"


def _refused(request: Request, error: EvidenceRefused | DuplicateEvidence) -> Response:
    message = refusal_text(request_locale(request), error.refusal)
    if _wants_fragment(request):
        return render(request, "evidence/_upload_result.html", status_code=error.status, ok=False, message=message)
    return render(request, "error.html", status_code=error.status, status=error.status,
                  title=STATUS_MESSAGES.get(error.status, "Error"), message=message)


@router.post("/cases/{case_id}/evidence", dependencies=[Depends(check_csrf)])
def upload_page(case_id: CaseReference, request: Request, principal: WebActor, now: Now, file: UploadFile,
                kind: KindForm = "other", note: NoteForm = "") -> Response:
    name = upload_name(file)
    attempt: dict[str, object] = {"kind": kind, "name": name[:120]}
    try:
        with upload_file(file) as path, path.open("rb") as stream, \
                audited(database(request), principal, "evidence.add", case_id, attempt) as session:
            item = add_to_case(session, settings(request), principal, case_id, kind=kind, name=name, stream=stream,
                               now=now, note=note)
            number, item_name = _number(session, item), item.name
    except (EvidenceRefused, DuplicateEvidence) as refused:
        return _refused(request, refused)
    if _wants_fragment(request):
        return render(request, "evidence/_upload_result.html", status_code=201, ok=True, name=item_name)
    return RedirectResponse(f"/cases/{number}#evidence", status_code=303)


def _number(session: Session, item: EvidenceItem) -> str:
    case = session.get(Case, item.case_id)
    assert case is not None
    return case.number


@router.get("/cases/{case_id}/evidence/{item_id}", response_class=StreamingResponse)
def file_page(case_id: CaseReference, item_id: ItemId, principal: WebUser, session: SessionDep,
              settings_: SettingsDep, now: Now, inline: bool = False) -> StreamingResponse:
    """One file, decrypted (audited); `?inline=1` shows an image in the page (its thumbnail)."""
    _, item = item_of_case(session, principal, case_id, item_id)
    return file_response(item, read_for(session, settings_, principal, item, now), inline=inline)


@router.get("/cases/{case_id}/bundle.zip", response_class=StreamingResponse)
def bundle_page(case_id: CaseReference, request: Request, principal: WebActor, now: Now) -> StreamingResponse:
    return bundle_response(database(request), settings(request), principal, case_id, now)

