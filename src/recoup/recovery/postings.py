"""What each recovery action posts to the ledger, at each stage of its life.

Money going out (a refund, a reversal of a settled sale, a debit adjustment, a transfer out) is
held when the action is recorded, paid towards the payer when the provider takes the instruction,
and released if the provider fails. Confirmation books the money as gone (or arrived), unless a
settlement posting already booked that very transaction, in which case it only corrects the
action's own accounts so that nothing is counted twice.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from recoup.ledger import rules
from recoup.ledger.rules import Account, LedgerLine
from recoup.ledger.service import hold, post, txn_booked, txn_key
from recoup.recovery.models import RecoveryAction

CARD_SIDE = frozenset({"REFUND", "VOID", "REVERSAL"})


def is_money_out(action: RecoveryAction) -> bool:
    """Whether the action takes money out of the merchant's available balance."""
    if action.kind == "REFUND":
        return True
    if action.kind == "REVERSAL":
        return action.sale_settled
    return (action.kind, action.direction) in {("ADJUSTMENT", "DEBIT"), ("TRANSFER", "OUT")}


def _reference(action: RecoveryAction, step: str) -> str:
    return f"action:{action.id}:{action.attempts}:{step}"


def _post(session: Session, action: RecoveryAction, step: str, kind: str, lines: list[LedgerLine],
          txn: str | None = None, memo: str = "") -> None:
    post(session, action.tenant_id, _reference(action, step), kind, lines, txn_key=txn, case_id=action.case_id,
         action_id=action.id, memo=memo or f"{action.kind.lower()} for case action {action.id}")


def post_hold(session: Session, action: RecoveryAction) -> bool:
    """Check the available balance and hold the amount; False when it is short (nothing held)."""
    held = hold(session, action.tenant_id, action.merchant_id, action.amount_minor, action.currency,
                _reference(action, "hold"), case_id=action.case_id, action_id=action.id)
    action.held_minor = action.amount_minor if held else 0
    return held


def post_release(session: Session, action: RecoveryAction) -> None:
    """The provider failed: what was held goes back to available."""
    if action.held_minor:
        _post(session, action, "release", "release", rules.release_hold(action.merchant_id, action.held_minor,
                                                                          action.currency))
        action.held_minor = 0


def post_instructed(session: Session, action: RecoveryAction) -> None:
    """The provider took the instruction."""
    merchant, amount, currency = action.merchant_id, action.amount_minor, action.currency
    if action.kind == "REFUND" or (action.kind == "REVERSAL" and action.sale_settled):
        paid = rules.refund_paid(merchant, amount, currency, from_hold=action.held_minor >= amount)
        action.held_minor = 0  # before the posting's flush: the action's UPDATE carries it
        _post(session, action, "paid", "refund.paid", paid)
    elif action.kind in ("VOID", "REVERSAL"):
        _capture(session, action)
        cancel = rules.void if action.kind == "VOID" else rules.reversal
        _post(session, action, "cancel", action.kind.lower(), cancel(merchant, amount, currency))
    elif action.kind == "COLLECT":
        _post(session, action, "requested", "collect.requested", rules.difference_requested(merchant, amount, currency))


def post_confirmed(session: Session, action: RecoveryAction, txn: str | None, *, instructed: bool) -> None:
    """The money was seen (a later file) or confirmed by hand. `instructed` says whether the
    instruction's own postings were made; when not (the provider failed, funds were short, a crash),
    they are made now, since the money moved all the same."""
    if not instructed:
        post_instructed(session, action)
    merchant, amount, currency = action.merchant_id, action.amount_minor, action.currency
    settled = txn is not None and txn_booked(session, action.tenant_id, txn, by_settlement=True)
    confirm = "confirmed"
    if action.kind == "REFUND" or (action.kind == "REVERSAL" and action.sale_settled):
        if settled:  # the settlement already took it from available: give the payable back
            lines = rules.refund_failed(merchant, amount, currency) + rules.release_hold(merchant, amount, currency)
            _post(session, action, confirm, "refund.settled", lines, memo="the settlement already deducted it")
        else:
            _post(session, action, confirm, "refund.confirmed", rules.refund_confirmed(merchant, amount, currency), txn)
    elif action.kind == "COLLECT":
        if settled:  # the settlement already paid it into available: close the receivable against it
            lines = (rules.difference_collected(merchant, amount, currency, into=Account.AVAILABLE)
                     + rules.credit_adjustment(merchant, -amount, currency))
            _post(session, action, confirm, "collect.settled", lines, memo="the settlement already paid it")
        else:
            _post(session, action, confirm, "collect.paid", rules.difference_collected(merchant, amount, currency), txn)
    elif action.kind in ("ADJUSTMENT", "TRANSFER"):
        _post(session, action, confirm, f"{action.kind.lower()}.confirmed", _acquirer_side(action))


def _acquirer_side(action: RecoveryAction) -> list[LedgerLine]:
    merchant, amount, currency = action.merchant_id, action.amount_minor, action.currency
    outgoing = is_money_out(action)
    lines = rules.release_hold(merchant, action.held_minor, currency) if outgoing and action.held_minor else []
    action.held_minor = 0
    if action.kind == "ADJUSTMENT":
        return lines + rules.credit_adjustment(merchant, -amount if outgoing else amount, currency)
    return lines + (rules.transfer_out if outgoing else rules.transfer_in)(merchant, amount, currency)


def _capture(session: Session, action: RecoveryAction) -> None:
    """Book the sale as captured (pending settlement) before cancelling it, once per sale."""
    sale = txn_key(action.sale_terminal_id, action.sale_rrn, "SALE")
    if txn_booked(session, action.tenant_id, sale, by_settlement=False):
        return
    post(session, action.tenant_id, f"capture:{action.sale_terminal_id}:{action.sale_rrn}", "sale.captured",
         rules.sale_captured(action.merchant_id, action.amount_minor, action.currency), txn_key=sale,
         case_id=action.case_id, action_id=action.id, memo="sale captured before it is cancelled")
