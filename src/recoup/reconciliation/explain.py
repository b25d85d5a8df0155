"""Plain-language explanations of findings: Chinese, then English, in one field."""

from __future__ import annotations

from collections.abc import Callable

from recoup.money import exponent_of
from recoup.reconciliation.causes import Cause
from recoup.reconciliation.findings import Finding, Kind

_STATUS_ZH = {"FAILED": "失败", "TIMEOUT": "超时", "DECLINED": "拒绝", "APPROVED": "成功"}
_STATUS_EN = {"FAILED": "failed", "TIMEOUT": "timed out", "DECLINED": "declined", "APPROVED": "approved"}
_TYPE_ZH = {"SALE": "消费", "VOID": "撤销", "REFUND": "退货", "REVERSAL": "冲正", "PREAUTH": "预授权",
            "PREAUTH_COMPLETE": "预授权完成"}


def grouped(minor: int, currency: str) -> str:
    """1,280.00: major units with thousands separators."""
    exponent = exponent_of(currency)
    sign = "-" if minor < 0 else ""
    if exponent == 0:
        return f"{sign}{abs(minor):,}"
    whole, fraction = divmod(abs(minor), 10**exponent)
    return f"{sign}{whole:,}.{fraction:0{exponent}d}"


def _zh(minor: int, currency: str) -> str:
    return _words(minor, currency)[0]


def _en(minor: int, currency: str) -> str:
    return _words(minor, currency)[1]


def _words(minor: int, currency: str) -> tuple[str, str]:
    """The amount as the Chinese and the English sentence write it, its digits built once."""
    digits = grouped(minor, currency)
    return (f"{digits} 元" if currency == "CNY" else f"{digits} {currency}"), f"{currency} {digits}"


def _keying(finding: Finding) -> tuple[str, str]:
    """What the cashier probably did, for over- and undercharges."""
    ten_times = finding.charged_minor == finding.expected_minor * 10
    tenth = finding.charged_minor * 10 == finding.expected_minor
    by_cause = {
        Cause.DECIMAL_SHIFT: ("收银员可能漏输了小数点", "The cashier probably missed the decimal point"),
        Cause.EXTRA_DIGIT: ("收银员可能多输了一个0" if ten_times else "收银员可能多输了一个数字",
                            "The cashier probably typed an extra 0" if ten_times
                            else "The cashier probably typed an extra digit"),
        Cause.MISSING_DIGIT: ("收银员可能少输了一个0" if tenth else "收银员可能漏输了一个数字",
                              "The cashier probably left out a 0" if tenth
                              else "The cashier probably left out a digit"),
        Cause.TRANSPOSED_DIGITS: ("收银员可能把两个相邻数字输反了", "The cashier probably swapped two adjacent digits"),
    }
    if finding.cause in by_cause:
        return by_cause[finding.cause]
    if finding.kind is Kind.OVERCHARGE:
        return "实际扣款多于订单金额", "The card was charged more than the order"
    return "实际扣款少于订单金额", "The card was charged less than the order"


def _amount_gap(finding: Finding) -> tuple[str, str]:
    c, e, cur = finding.charged_minor, finding.expected_minor, finding.currency
    zh_head, en_head = _keying(finding)
    paid_zh = f"{finding.payment_count} 笔付款合计" if finding.payment_count > 1 else "实际扣款"
    paid_en = f"{finding.payment_count} payments add up to" if finding.payment_count > 1 else "the card was charged"
    over = finding.kind is Kind.OVERCHARGE
    (gap_zh, gap_en), (e_zh, e_en), (c_zh, c_en) = _words(c - e if over else e - c, cur), _words(e, cur), _words(c, cur)
    gap_zh = f"多收 {gap_zh}" if over else f"少收 {gap_zh}"
    gap_en = f"{gap_en} too much" if over else f"{gap_en} too little"
    zh = f"{zh_head}:订单金额 {e_zh},{paid_zh} {c_zh},{gap_zh}"
    en = f"{en_head}: the order was {e_en}, {paid_en} {c_en}, {gap_en}"
    refunded = int(finding.note or 0)
    if over and refunded:
        zh += f"(已退 {_zh(refunded, cur)},不足以弥补)"
        en += f" ({_en(refunded, cur)} refunded so far does not cover it)"
    return zh, en


def _apart(finding: Finding) -> tuple[str, str]:
    """How far apart the two charges were, in words."""
    seconds = 0
    if finding.event_time and finding.other_time:
        seconds = int(abs((finding.event_time - finding.other_time).total_seconds()))
    if seconds < 60:
        return f"{seconds} 秒", f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} 分钟", f"{minutes} minute{'s' if minutes != 1 else ''}"


def _duplicate(finding: Finding) -> tuple[str, str]:
    apart_zh, apart_en = _apart(finding)
    amount_zh, amount_en = _words(finding.charged_minor, finding.currency)
    return (f"同一张卡在 {apart_zh}内以相同金额 {amount_zh} 被重复扣款,首笔交易 RRN {finding.related_rrn}",
            f"The same card was charged the same {amount_en} again within {apart_en}; "
            f"the first charge is RRN {finding.related_rrn}")


def _debited_but_failed(finding: Finding) -> tuple[str, str]:
    amount_zh, amount_en = _words(finding.charged_minor, finding.currency)
    if finding.related_rrn:
        shown_zh = f"已被冲正(冲正 RRN {finding.related_rrn})"
        shown_en = f"reversed (reversal RRN {finding.related_rrn})"
    else:
        shown_zh = _STATUS_ZH.get(finding.note or "", "失败")
        shown_en = _STATUS_EN.get(finding.note or "", "failed")
    return (f"终端显示交易{shown_zh},但结算显示已扣款 {amount_zh}",
            f"The terminal showed the sale as {shown_en}, but the settlement shows {amount_en} debited")


# The kinds told by one sentence each, filled from `_values`.
_TEMPLATES: dict[Kind, tuple[str, str]] = {
    Kind.VOIDED_BUT_SETTLED: ("交易已撤销(撤销 RRN {related}),但结算仍清算了 {charged_zh}",
                              "The sale was voided (void RRN {related}), yet the settlement cleared {charged_en}"),
    Kind.UNSETTLED: ("交易 {expected_zh} 已成功,但当天的结算中没有这笔交易",
                     "The approved sale of {expected_en} is missing from that day's settlement"),
    Kind.SETTLEMENT_MISMATCH: ("结算金额 {charged_zh} 与终端流水金额 {expected_zh} 不符({long_short_zh} {gap_zh})",
                               "The settlement cleared {charged_en} where the terminal recorded {expected_en} "
                               "({long_short_en} by {gap_en})"),
    Kind.UNKNOWN_SETTLEMENT: ("结算中有一笔 {charged_zh} 的{type_zh}交易,终端流水中没有对应记录",
                              "The settlement holds a {type_en} of {charged_en} that the terminal journal "
                              "does not show"),
    Kind.REFUND_NOT_SETTLED: ("退货 {expected_zh} 已批准(原交易 RRN {related}),但当天的结算中没有这笔退货",
                              "The approved refund of {expected_en} (of sale RRN {related}) is missing from that "
                              "day's settlement"),
    Kind.OVER_REFUND: ("原交易 {expected_zh} 的撤销和退货累计 {charged_zh},超出 {gap_zh}",
                       "Voids and refunds of the sale of {expected_en} add up to {charged_en}, {gap_en} too much"),
    Kind.MCC_MISMATCH: ("结算使用的商户类别码 {settled_mcc} 与登记的 {registered_mcc} 不符(疑似跳码)",
                        "The settlement used merchant category code {settled_mcc}, not the registered "
                        "{registered_mcc} (possible MCC switching)"),
    Kind.UNMATCHED_CHARGE: ("扣款 {charged_zh} 没有对应的订单", "A charge of {charged_en} matches no order"),
    Kind.UNPAID_ORDER: ("订单 {order_no} 金额 {expected_zh} 没有成功的付款",
                        "Order {order_no} of {expected_en} has no successful payment"),
}


def _values(finding: Finding) -> dict[str, str]:
    c, e, cur = finding.charged_minor, finding.expected_minor, finding.currency
    txn_type = finding.note or "SALE"
    settled, _, registered = (finding.note or "/").partition("/")
    (charged_zh, charged_en), (expected_zh, expected_en) = _words(c, cur), _words(e, cur)
    gap_zh, gap_en = _words(abs(c - e), cur)
    return {"charged_zh": charged_zh, "charged_en": charged_en, "expected_zh": expected_zh,
            "expected_en": expected_en, "gap_zh": gap_zh, "gap_en": gap_en,
            "long_short_zh": "长款" if c > e else "短款", "long_short_en": "over" if c > e else "short",
            "type_zh": _TYPE_ZH.get(txn_type, txn_type), "type_en": txn_type.lower(),
            "settled_mcc": settled, "registered_mcc": registered,
            "related": finding.related_rrn or "", "order_no": finding.order_no or ""}


def _simple(finding: Finding) -> tuple[str, str]:
    zh, en = _TEMPLATES[finding.kind]
    values = _values(finding)
    return zh.format_map(values), en.format_map(values)


_BY_KIND: dict[Kind, Callable[[Finding], tuple[str, str]]] = {
    Kind.OVERCHARGE: _amount_gap, Kind.UNDERCHARGE: _amount_gap, Kind.DUPLICATE_CHARGE: _duplicate,
    Kind.DEBITED_BUT_FAILED: _debited_but_failed,
}


def explain(finding: Finding) -> str:
    zh, en = _BY_KIND.get(finding.kind, _simple)(finding)
    codes = f" [{'; '.join(finding.reason_codes)}]" if finding.reason_codes else ""
    return f"{zh} / {en}{codes}"
