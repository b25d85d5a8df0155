"""What the case page says after a change: that it worked and what happens next (English msgids of
messages.po; the page translates them)."""

from __future__ import annotations

DONE: dict[str, str] = {
    "opened": "Case opened. Next: check the facts, then choose a recovery action below.",
    "moved": "State changed; it is on the timeline below.",
    "reopened": "Case reopened; the ladder's clock runs again.",
    "escalated": "Case escalated to the next rung; the new owner and deadline are shown above.",
    "assigned": "Case assigned; the new owner sees it in their queue.",
    "owner_unchanged": "The case already has this owner; nothing changed.",
    "note": "Note added; it is on the timeline below.",
    "confirmed": "Confirmed by hand; the recovered amount is updated.",
}
# After a recovery action, by its state (and kind where the next step differs).
ACTION_NEXT: dict[tuple[str, str], str] = {
    ("REFUND", "INSTRUCTED"): "Refund instructed; the money is seen when the settlement file shows it.",
    ("VOID", "INSTRUCTED"): "Void instructed; the money is seen when the settlement file shows it.",
    ("REVERSAL", "INSTRUCTED"): "Reversal instructed; the money is seen when the settlement file shows it.",
    ("ADJUSTMENT", "INSTRUCTED"): "Adjustment requested; confirm it below with the bank's reference once done.",
    ("TRANSFER", "INSTRUCTED"): "Transfer requested; confirm it below with the bank's reference once done.",
    ("COLLECT", "INSTRUCTED"): "Payment request made; send the payer the link below (or print the slip).",
}
STATE_NEXT: dict[str, str] = {
    "CONFIRMED": "Recovery confirmed: the money is back.",
    "AWAITING_FUNDS": "The balance is short: the action waits for funds, then runs by itself.",
    "PENDING": "Sent to the provider; its answer shows here shortly.",
    "FAILED": "The provider refused the action; sending the same form again retries it.",
    "INSTRUCTED": "Action instructed; the case moves on when the money is seen.",
}
REPLAYED = "This form was already sent; nothing was done twice. Its result:"


def done_message(done: str, detail: dict[str, object], action_id: int = 0) -> list[str]:
    """The msgids the case page shows after `done` (?done=...), for the action `action_id` if any."""
    if done in DONE:
        return [DONE[done]]
    if done not in ("action", "replayed"):
        return []
    actions = detail.get("actions")
    listed = actions if isinstance(actions, list) else []
    found = [a for a in listed if isinstance(a, dict) and a.get("id") == action_id]
    if not found:
        return []
    kind, state = str(found[0].get("kind")), str(found[0].get("state"))
    text = ACTION_NEXT.get((kind, state)) or STATE_NEXT.get(state, STATE_NEXT["INSTRUCTED"])
    return [REPLAYED, text] if done == "replayed" else [text]
