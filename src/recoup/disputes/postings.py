"""What a dispute posts to the merchant's ledger (SPEC section 6), once per dispute and move.

A chargeback debits the merchant's available balance towards the acquirer (the disputed amount)
and books the scheme's fee; a reversal (a won re-presentment or arbitration, a withdrawn chargeback)
credits the amount back. Each posting's reference names the dispute and the move, so the same move
posted again changes nothing; its txn_key names the chargeback of the sale, which a settlement line
of that chargeback (or of its reversal) confirms (docs/disputes.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from recoup.disputes.models import Dispute
from recoup.disputes.rules import Move
from recoup.ledger import rules
from recoup.ledger.rules import Account, LedgerLine
from recoup.ledger.service import post

KINDS = {"DEBIT": "dispute.chargeback", "FEE": "dispute.fee", "CREDIT": "dispute.reversal"}
TXN_TYPES = {"DEBIT": "CHARGEBACK", "CREDIT": "CHARGEBACK_REVERSAL"}


def lines_for(move: Move, merchant_id: str, currency: str) -> list[LedgerLine]:
    """The balanced lines of one move (pure)."""
    if move.kind == "DEBIT":
        return rules.credit_adjustment(merchant_id, -move.amount_minor, currency)
    if move.kind == "CREDIT":
        return rules.credit_adjustment(merchant_id, move.amount_minor, currency)
    return [LedgerLine(Account.FEES, merchant_id, move.amount_minor, currency),
            LedgerLine(Account.AVAILABLE, merchant_id, -move.amount_minor, currency)]


def chargeback_txn(terminal_id: str | None, rrn: str, move_kind: str) -> str | None:
    txn_type = TXN_TYPES.get(move_kind)
    return f"{terminal_id or '-'}:{rrn}:{txn_type}" if txn_type and rrn else None


def post_moves(session: Session, dispute: Dispute, terminal_id: str | None, moves: Sequence[Move],
               actor: str) -> None:
    for move in moves:
        post(session, dispute.tenant_id, f"dispute:{dispute.id}:{move.kind.lower()}", KINDS[move.kind],
             lines_for(move, dispute.merchant_id, dispute.currency),
             txn_key=chargeback_txn(terminal_id, dispute.rrn, move.kind), case_id=dispute.case_id,
             memo=f"{KINDS[move.kind]} of dispute {dispute.id} ({dispute.scheme} {dispute.reason_code})",
             posted_by=actor)
