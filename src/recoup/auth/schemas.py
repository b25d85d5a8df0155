"""What crosses the API for users and logins."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"


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
