"""What crosses the API for users and logins."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from recoup.auth.models import ApiToken


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_at: datetime | None = None


class TokenInfoOut(BaseModel):
    """A token as its owner sees it listed: never the token, only its prefix."""

    prefix: str
    name: str
    kind: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked: bool

    @classmethod
    def of(cls, token: ApiToken) -> TokenInfoOut:
        return cls(prefix=token.prefix, name=token.name, kind=token.kind, created_at=token.created_at,
                   expires_at=token.expires_at, last_used_at=token.last_used_at, revoked=token.revoked)


class MeOut(BaseModel):
    username: str
    tenant_id: int
    role: str
    merchant_ids: list[str]


class UserOut(BaseModel):
    username: str
    role: str
    active: bool
    display_name: str
