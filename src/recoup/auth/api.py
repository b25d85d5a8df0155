"""REST routes for logging in with a password, knowing who you are, and one's own API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from recoup.auth.login import LoginAttempt, LoginRefused, authenticate
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.auth.schemas import LoginIn, MeOut, TokenInfoOut, TokenOut, UserOut
from recoup.auth.service import list_users
from recoup.auth.throttle import policy_of
from recoup.auth.tokens import LOGIN, issue_token, revoke_token, tokens_of
from recoup.web.deps import AddressDep, ApiUser, Now, SessionDep, SettingsDep

router = APIRouter(tags=["auth"])
PrefixParam = Annotated[str, Path(min_length=12, max_length=12, pattern=r"^rcp_[0-9A-Za-z_-]{8}$",
                                  description="the token's first 12 characters, as GET /tokens lists them")]


def refusal(refused: LoginRefused) -> JSONResponse:
    """The API's answer to a refused login: 401, or 429 with Retry-After."""
    headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after is not None else None
    return JSONResponse({"error": refused.message, "detail": refused.detail}, status_code=refused.status,
                        headers=headers)


@router.post("/auth/login", response_model=TokenOut)
def login(body: LoginIn, session: SessionDep, settings: SettingsDep, now: Now,
          address: AddressDep) -> TokenOut | JSONResponse:
    """A login token (expires after `login_token_hours`). Failures are throttled per account and per
    address: 429 with Retry-After while locked."""
    attempt = LoginAttempt(body.username, body.password, "api", address)
    try:
        principal = authenticate(session, attempt, policy_of(settings), now)
    except LoginRefused as refused:
        session.commit()  # the failure counted and audited stays, whatever the answer
        return refusal(refused)
    expires_at = now + timedelta(hours=settings.login_token_hours)
    token = issue_token(session, principal.actor(), principal.username, "api-login", kind=LOGIN,
                        expires_at=expires_at, now=now)
    return TokenOut(token=token, expires_at=expires_at)


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


@router.get("/tokens", response_model=list[TokenInfoOut])
def my_tokens(principal: ApiUser, session: SessionDep) -> list[TokenInfoOut]:
    """The caller's own tokens (never the token itself: its prefix names it)."""
    return [TokenInfoOut.of(token) for token in tokens_of(session, principal.user_id)]


@router.delete("/tokens/{prefix}", response_model=TokenInfoOut)
def revoke_my_token(prefix: PrefixParam, principal: ApiUser, session: SessionDep) -> TokenInfoOut:
    """Revoke one of the caller's own tokens (404 for anyone else's)."""
    return TokenInfoOut.of(revoke_token(session, principal.actor(), prefix, user_id=principal.user_id))
