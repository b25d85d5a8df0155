"""Transaction types and statuses, with the aliases (Chinese, any case) accepted in input files."""

from __future__ import annotations

from enum import StrEnum


class TxnType(StrEnum):
    SALE = "SALE"
    VOID = "VOID"
    REFUND = "REFUND"
    REVERSAL = "REVERSAL"
    PREAUTH = "PREAUTH"
    PREAUTH_COMPLETE = "PREAUTH_COMPLETE"
    # Settlement only (docs/disputes.md): the scheme took a disputed amount back, or returned it.
    CHARGEBACK = "CHARGEBACK"
    CHARGEBACK_REVERSAL = "CHARGEBACK_REVERSAL"


# Chargebacks and their reversals: lines of the settlement that confirm a scheme dispute's money
# (recoup.disputes.confirm). They clear no transaction of a terminal: reconciliation and the settlement
# booking leave them alone (the dispute's own postings moved the money).
DISPUTE_TYPES: tuple[str, ...] = (TxnType.CHARGEBACK.value, TxnType.CHARGEBACK_REVERSAL.value)


class Status(StrEnum):
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    FAILED = "FAILED"
    TIMEOUT = "TIMEOUT"


# Alias (already upper-cased, spaces and hyphens read as underscores) -> canonical value.
TXN_TYPE_ALIASES: dict[str, str] = {
    **{member.value: member.value for member in TxnType},
    "消费": TxnType.SALE, "撤销": TxnType.VOID, "退货": TxnType.REFUND, "冲正": TxnType.REVERSAL,
    "预授权": TxnType.PREAUTH, "预授权完成": TxnType.PREAUTH_COMPLETE,
    "PREAUTHCOMPLETE": TxnType.PREAUTH_COMPLETE, "PRE_AUTH": TxnType.PREAUTH,
    "PRE_AUTH_COMPLETE": TxnType.PREAUTH_COMPLETE,
    "退单": TxnType.CHARGEBACK, "退单冲回": TxnType.CHARGEBACK_REVERSAL,
}
STATUS_ALIASES: dict[str, str] = {
    **{member.value: member.value for member in Status},
    "成功": Status.APPROVED, "拒绝": Status.DECLINED, "失败": Status.FAILED, "超时": Status.TIMEOUT,
}


def normalise_alias(text: str) -> str:
    """The form aliases are looked up in: trimmed, upper case, spaces and hyphens as underscores."""
    return text.strip().upper().replace(" ", "_").replace("-", "_")


def parse_txn_type(text: str) -> TxnType | None:
    value = TXN_TYPE_ALIASES.get(normalise_alias(text))
    return TxnType(value) if value else None


def parse_status(text: str) -> Status | None:
    value = STATUS_ALIASES.get(normalise_alias(text))
    return Status(value) if value else None


def alias_case_sql(expression: str, aliases: dict[str, str]) -> str:
    """A SQL CASE turning an alias column into its canonical value (NULL when unknown).

    Exact aliases are tried first (the usual case costs one comparison); only other spellings are
    upper-cased and have their spaces and hyphens replaced.
    """
    branches = " ".join(f"WHEN '{alias}' THEN '{value!s}'" for alias, value in aliases.items())
    normalised = f"replace(replace(upper(trim({expression})), ' ', '_'), '-', '_')"
    return f"CASE {expression} {branches} ELSE CASE {normalised} {branches} ELSE NULL END END"
