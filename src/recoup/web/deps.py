"""Request-scoped dependencies: the unit of work and who is asking."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.auth.service import principal_for, principal_from_token
from recoup.config import Settings
from recoup.db import Database
from recoup.errors import RecoupError, Unauthorized


class LoginRequired(RecoupError):
    """A page was asked for without a valid session: the handler sends the browser to the login page."""

    status = 401


def database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


def settings(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


def db_session(request: Request) -> Iterator[Session]:
    """The request owns the transaction: commit when the handler returns, roll back when it raises."""
    with database(request).unit_of_work() as session:
        yield session


SessionDep = Annotated[Session, Depends(db_session)]
SettingsDep = Annotated[Settings, Depends(settings)]


def api_principal(request: Request, session: SessionDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("an API token is required: Authorization: Bearer <token>")
    return principal_from_token(session, token.strip())


def web_principal(request: Request, session: SessionDep) -> Principal:
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        raise LoginRequired("please log in")
    user = session.get(User, user_id)
    if user is None or not user.active:
        request.session.clear()
        raise LoginRequired("please log in")
    principal = principal_for(session, user, "web")
    locale = request.session.get("locale")
    if isinstance(locale, str):
        from dataclasses import replace

        principal = replace(principal, locale=locale)
    return principal


ApiUser = Annotated[Principal, Depends(api_principal)]
WebUser = Annotated[Principal, Depends(web_principal)]
