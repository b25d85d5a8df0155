"""REST routes for logging in with a password and knowing who you are."""

from __future__ import annotations

from fastapi import APIRouter

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.auth.schemas import LoginIn, MeOut, TokenOut, UserOut
from recoup.auth.service import authenticate, issue_token, list_users
from recoup.web.deps import ApiUser, SessionDep

router = APIRouter(tags=["auth"])


@router.post("/auth/login", response_model=TokenOut)
def login(body: LoginIn, session: SessionDep) -> TokenOut:
    principal = authenticate(session, body.username, body.password, "api")
    return TokenOut(token=issue_token(session, principal.actor(), principal.username, name="api-login"))


def _me(principal: Principal) -> MeOut:
    return MeOut(username=principal.username, tenant_id=principal.tenant_id, role=principal.role.value,
                 merchant_ids=sorted(principal.merchant_ids))


@router.get("/me", response_model=MeOut)
def me(principal: ApiUser) -> MeOut:
    return _me(principal)


@router.get("/users", response_model=list[UserOut])
def users(principal: ApiUser, session: SessionDep) -> list[UserOut]:
    principal.require(Permission.MANAGE_USERS)
    return [UserOut(username=u.username, role=u.role, active=u.active, display_name=u.display_name)
            for u in list_users(session, principal.tenant_id)]
