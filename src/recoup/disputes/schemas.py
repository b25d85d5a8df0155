"""What crosses the API and the CLI: a dispute as a plain row, and the request bodies."""

from __future__ import annotations

from pydantic import BaseModel, Field

from recoup.disputes.models import Dispute
from recoup.money import format_major


def dispute_row(dispute: Dispute, case_number: str) -> dict[str, object]:
    return {
        "id": dispute.id, "case": case_number, "merchant_id": dispute.merchant_id, "scheme": dispute.scheme,
        "stage": dispute.stage, "reason_code": dispute.reason_code,
        "amount": format_major(dispute.amount_minor, dispute.currency), "amount_minor": dispute.amount_minor,
        "currency": dispute.currency, "reference": dispute.reference, "rrn": dispute.rrn,
        "raised_by": dispute.raised_by, "received_on": dispute.received_on.isoformat(),
        "due_on": dispute.due_on.isoformat(), "state": dispute.state, "outcome": dispute.outcome,
        "outcome_on": dispute.outcome_on.isoformat() if dispute.outcome_on else None,
        "debited_minor": dispute.debited_minor, "fee_minor": dispute.fee_minor,
        "credited_minor": dispute.credited_minor,
        "debit_confirmed": dispute.debit_confirmed_at is not None,
        "credit_confirmed": dispute.credit_confirmed_at is not None,
    }


class OpenDisputeIn(BaseModel):
    scheme: str = Field(max_length=20)
    stage: str = Field(default="chargeback", max_length=20)
    reason_code: str = Field(max_length=12)
    amount: str = Field(max_length=32)
    reference: str = Field(default="", max_length=40)
    received_on: str = Field(default="", max_length=10, description="YYYY-MM-DD; default: today")
    due_on: str = Field(default="", max_length=10, description="YYYY-MM-DD; default: from the stage's rule")


class RespondIn(BaseModel):
    evidence_ids: list[int] = Field(default_factory=list, max_length=200)
    note: str = Field(default="", max_length=2000)
    late_reason: str = Field(default="", max_length=2000, description="admin only: why it is answered late")


class AdvanceIn(BaseModel):
    stage: str = Field(max_length=20)
    received_on: str = Field(default="", max_length=10)
    due_on: str = Field(default="", max_length=10)
    reference: str = Field(default="", max_length=40)


class OutcomeIn(BaseModel):
    outcome: str = Field(max_length=12, description="won, lost or withdrawn")
    note: str = Field(default="", max_length=2000)


class AcceptIn(BaseModel):
    note: str = Field(default="", max_length=2000)
