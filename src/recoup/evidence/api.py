"""REST routes of the evidence domain (mounted under /api/v1): add, list, read one file, the bundle."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from recoup.auth.roles import Permission
from recoup.cases.api import ApiActor
from recoup.cases.recording import audited
from recoup.cases.repository import get_case
from recoup.evidence.downloads import bundle_response, file_response
from recoup.evidence.service import add_to_case, item_of_case, read_for
from recoup.evidence.views import evidence_rows, file_row
from recoup.transactions.upload_options import upload_file, upload_name
from recoup.web.deps import ApiUser, Now, SessionDep, SettingsDep, database, settings
from recoup.web.params import CaseReference
from recoup.web.upload_form import UploadRoute

router = APIRouter(tags=["evidence"], route_class=UploadRoute)  # uploads stream into private files
KindForm = Annotated[str, Form(max_length=20, description="receipt, slip, photo, chat, call, document or other")]
NoteForm = Annotated[str, Form(max_length=2000)]
ItemId = Annotated[str, PathParam(max_length=20, description="the evidence item's id")]


@router.post("/cases/{case_id}/evidence", status_code=201)
def add(case_id: CaseReference, request: Request, principal: ApiActor, now: Now, file: UploadFile,
        kind: KindForm = "other", note: NoteForm = "") -> dict[str, object]:
    """Keep one file (multipart: `file`, `kind`, `note`) as the case's evidence. The type is told by the file's
    content; a file of the wrong type or over its kind's size limit is refused (422) and nothing is kept."""
    name = upload_name(file)
    attempt: dict[str, object] = {"kind": kind, "name": name[:120]}
    with upload_file(file) as path, path.open("rb") as stream, \
            audited(database(request), principal, "evidence.add", case_id, attempt) as session:
        item = add_to_case(session, settings(request), principal, case_id, kind=kind, name=name, stream=stream,
                           now=now, note=note)
        return file_row(item)


@router.get("/cases/{case_id}/evidence")
def list_(case_id: CaseReference, principal: ApiUser, session: SessionDep) -> list[dict[str, object]]:
    """The case's evidence: stored files (integer ids) and the records derived from notes and actions."""
    principal.require(Permission.READ)
    return evidence_rows(session, get_case(session, principal, case_id))


@router.get("/cases/{case_id}/evidence/{item_id}", response_class=StreamingResponse)
def read(case_id: CaseReference, item_id: ItemId, principal: ApiUser, session: SessionDep, settings: SettingsDep,
         now: Now) -> StreamingResponse:
    """One stored file, decrypted (the read is audited)."""
    _, item = item_of_case(session, principal, case_id, item_id)
    return file_response(item, read_for(session, settings, principal, item, now))


@router.get("/cases/{case_id}/bundle.zip", response_class=StreamingResponse)
def bundle(case_id: CaseReference, request: Request, principal: ApiActor, now: Now) -> StreamingResponse:
    """The case's evidence bundle: incident reports (zh, en), every file, records, audit entries, manifest.json."""
    return bundle_response(database(request), settings(request), principal, case_id, now)
