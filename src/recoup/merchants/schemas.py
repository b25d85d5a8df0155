"""What crosses the API for merchants and terminals."""

from __future__ import annotations

from pydantic import BaseModel, Field

from recoup.merchants.models import Merchant, Terminal


class MerchantOut(BaseModel):
    merchant_id: str
    name: str
    mcc: str
    timezone: str

    @classmethod
    def of(cls, merchant: Merchant) -> MerchantOut:
        return cls(merchant_id=merchant.merchant_id, name=merchant.name, mcc=merchant.mcc,
                   timezone=merchant.timezone)


class TerminalOut(BaseModel):
    terminal_id: str
    merchant_id: str
    model: str
    location: str
    status: str
    stop_reason: str | None

    @classmethod
    def of(cls, terminal: Terminal) -> TerminalOut:
        return cls(terminal_id=terminal.terminal_id, merchant_id=terminal.merchant_id, model=terminal.model,
                   location=terminal.location, status="STOPPED" if terminal.stopped else "ACTIVE",
                   stop_reason=terminal.stop_reason or None)


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=2000)
