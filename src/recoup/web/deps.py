"""Request-scoped dependencies: the unit of work and who is asking."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recoup.auth.principal import Principal
from recoup.auth.service import principal_from_token, principal_of_session
from recoup.auth.sessions import session_policy
from recoup.config import Settings
from recoup.db import READS_FIRST, Database, utcnow
from recoup.errors import RecoupError, Unauthorized
from recoup.web.forwarded import client_address

SESSION_ID = "sid"  # the key of the server-side session's id in the signed cookie


class LoginRequired(RecoupError):
    """A page was asked for without a valid session: the handler sends the browser to the login page."""

    status = 401


def database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


_SHARED_LOCK = threading.Lock()
Shared = TypeVar("Shared")


def shared(request: Request, name: str, make: Callable[[], Shared]) -> Shared:
    """One object per app, made on first use (the boards of background imports and reconciliations)."""
    with _SHARED_LOCK:
        found: Shared | None = getattr(request.app.state, name, None)
        if found is None:
            found = make()
            setattr(request.app.state, name, found)
    return found


def settings(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


async def db_session(request: Request) -> AsyncIterator[Session]:
    """The request owns the transaction: commit when the handler returns, roll back when it raises. While the
    handler runs, `request.state.db_session` is this session (a page's menu badge reads through it rather
    than opening a transaction of its own: recoup.web.templating). A GET reads first (recoup.db: no BEGIN or
    COMMIT unless it writes). Opening the session does no I/O, so it happens on the event loop; the commit
    (or rollback) and the return of the connection take one trip to a worker thread, shielded from a
    cancelled request so that the connection always goes back to the pool."""
    session = database(request).sessions()
    if request.method in ("GET", "HEAD"):
        session.info[READS_FIRST] = True
    request.state.db_session = session
    try:
        yield session
    except BaseException:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_end, session, False)
        raise
    else:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_end, session, True)
    finally:
        request.state.db_session = None


def _end(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the commit happens when the route returns, before the answer leaves. With FastAPI's
# default ("request") it would run after the response was sent, so a client could act on a 201 (or a login
# redirect) whose transaction has not committed, or never will.
SessionDep = Annotated[Session, Depends(db_session, scope="function")]


# The dependencies that do no I/O are `async def`: FastAPI runs them on the event loop, where a plain `def` costs
# a hop to a worker thread and back on every request (bench/serve_profile.py).
async def _request_settings(request: Request) -> Settings:
    return settings(request)


SettingsDep = Annotated[Settings, Depends(_request_settings)]


async def current_time() -> datetime:
    """The clock of a request (tests override this dependency to move time without sleeping)."""
    return utcnow()


Now = Annotated[datetime, Depends(current_time)]


async def caller_address(request: Request, settings: SettingsDep) -> str:
    return client_address(request.scope, settings)


AddressDep = Annotated[str, Depends(caller_address)]


def api_principal(request: Request, session: SessionDep, now: Now) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("an API token is required: Authorization: Bearer <token>")
    return principal_from_token(session, token.strip(), now)


def web_principal(request: Request, session: SessionDep, settings: SettingsDep, now: Now) -> Principal:
    """The user of the browser's server-side session (ended sessions, idle or expired ones: log in again)."""
    session_id = request.session.get(SESSION_ID)
    if not isinstance(session_id, str):
        raise LoginRequired("please log in")
    principal = principal_of_session(session, session_id, now, session_policy(settings))
    if principal is None:
        request.session.pop(SESSION_ID, None)
        raise LoginRequired("please log in")
    locale = request.session.get("locale")
    return replace(principal, locale=locale) if isinstance(locale, str) else principal


ApiUser = Annotated[Principal, Depends(api_principal)]
WebUser = Annotated[Principal, Depends(web_principal)]
