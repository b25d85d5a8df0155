"""What crosses the API for messages, templates and alerts."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MessageIn(BaseModel):
    template: str = Field(max_length=40, description="apology, refund_issued, request_difference, "
                                                      "request_information or case_resolved")
    channel: str = Field(default="email", max_length=10, description="email or sms")
    to: str = Field(default="", max_length=254, description="the address; empty: the contact of the case's order")
    language: str = Field(default="zh_CN", max_length=10, description="zh_CN or en")


class TemplateIn(BaseModel):
    subject: str = Field(default="", max_length=200)
    body: str = Field(max_length=8000)


class AlertsReadIn(BaseModel):
    ids: list[int] | None = Field(default=None, max_length=1000, description="these alerts; absent: all of yours")
