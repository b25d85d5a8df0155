"""Liveness and readiness for load balancers and process managers (SPEC section 11).

`/healthz` answers while the process serves requests; `/readyz` also checks that the database
answers and is at the revision this version ships, so a node is taken out of rotation while its
database is away or not yet migrated. Both are open (no session, no data) and never cached.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from recoup.db import Database
from recoup.migrations.runner import current_revision, head_revision

router = APIRouter()
_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz", include_in_schema=False)
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request) -> JSONResponse:
    database: Database = request.app.state.database
    expected = head_revision()
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            revision = current_revision(connection)
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "reason": "the database does not answer"},
                            status_code=503, headers=_NO_STORE)
    if revision != expected:
        return JSONResponse({"status": "unavailable", "reason": f"the database is at revision {revision or 'none'}, "
                             f"this version needs {expected}: run `recoup db upgrade`"},
                            status_code=503, headers=_NO_STORE)
    return JSONResponse({"status": "ready", "revision": revision}, headers=_NO_STORE)
