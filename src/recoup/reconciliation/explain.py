"""Plain-language explanations of findings: Chinese, then English, in one field."""

from __future__ import annotations

from collections.abc import Callable

from recoup.money import format_major
from recoup.reconciliation.causes import Cause
from recoup.reconciliation.findings import Finding, Kind

_STATUS_ZH = {"FAILED": "失败", "TIMEOUT": "超时", "DECLINED": "拒绝", "APPROVED": "成功"}
_STATUS_EN = {"FAILED": "failed", "TIMEOUT": "timed out", "DECLINED": "declined", "APPROVED": "approved"}
_TYPE_ZH = {"SALE": "消费", "VOID": "撤销", "REFUND": "退货", "REVERSAL": "冲正", "PREAUTH": "预授权",
            "PREAUTH_COMPLETE": "预授权完成"}


def grouped(minor: int, currency: str) -> str:
    """1,280.00: major units with thousands separators."""
    plain = format_major(abs(minor), currency)
    whole, dot, fraction = plain.partition(".")
    return ("-" if minor < 0 else "") + f"{int(whole):,}" + dot + fraction


def _zh(minor: int, currency: str) -> str:
    return f"{grouped(minor, currency)} 元" if currency == "CNY" else f"{grouped(minor, currency)} {currency}"


def _en(minor: int, currency: str) -> str:
    return f"{currency} {grouped(minor, currency)}"


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
    gap_zh = f"多收 {_zh(c - e, cur)}" if over else f"少收 {_zh(e - c, cur)}"
    gap_en = f"{_en(c - e, cur)} too much" if over else f"{_en(e - c, cur)} too little"
    zh = f"{zh_head}:订单金额 {_zh(e, cur)},{paid_zh} {_zh(c, cur)},{gap_zh}"
    en = f"{en_head}: the order was {_en(e, cur)}, {paid_en} {_en(c, cur)}, {gap_en}"
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
    amount_zh, amount_en = _zh(finding.charged_minor, finding.currency), _en(finding.charged_minor, finding.currency)
    return (f"同一张卡在 {apart_zh}内以相同金额 {amount_zh} 被重复扣款,首笔交易 RRN {finding.related_rrn}",
            f"The same card was charged the same {amount_en} again within {apart_en}; "
            f"the first charge is RRN {finding.related_rrn}")


def _debited_but_failed(finding: Finding) -> tuple[str, str]:
    amount_zh, amount_en = _zh(finding.charged_minor, finding.currency), _en(finding.charged_minor, finding.currency)
    if finding.related_rrn:
        shown_zh = f"已被冲正(冲正 RRN {finding.related_rrn})"
        shown_en = f"reversed (reversal RRN {finding.related_rrn})"
    else:
        shown_zh = _STATUS_ZH.get(finding.note or "", "失败")
        shown_en = _STATUS_EN.get(finding.note or "", "failed")
    return (f"终端显示交易{shown_zh},但结算显示已扣款 {amount_zh}",
            f"The terminal showed the sale as {shown_en}, but the settlement shows {amount_en} debited")


def _simple(finding: Finding) -> tuple[str, str]:
    c, e, cur, related = finding.charged_minor, finding.expected_minor, finding.currency, finding.related_rrn
    kind = finding.kind
    if kind is Kind.VOIDED_BUT_SETTLED:
        return (f"交易已撤销(撤销 RRN {related}),但结算仍清算了 {_zh(c, cur)}",
                f"The sale was voided (void RRN {related}), yet the settlement cleared {_en(c, cur)}")
    if kind is Kind.UNSETTLED:
        return (f"交易 {_zh(e, cur)} 已成功,但当天的结算中没有这笔交易",
                f"The approved sale of {_en(e, cur)} is missing from that day's settlement")
    if kind is Kind.SETTLEMENT_MISMATCH:
        word = "长款" if c > e else "短款"
        return (f"结算金额 {_zh(c, cur)} 与终端流水金额 {_zh(e, cur)} 不符({word} {_zh(abs(c - e), cur)})",
                f"The settlement cleared {_en(c, cur)} where the terminal recorded {_en(e, cur)} "
                f"({'over' if c > e else 'short'} by {_en(abs(c - e), cur)})")
    if kind is Kind.UNKNOWN_SETTLEMENT:
        txn_type = finding.note or "SALE"
        return (f"结算中有一笔 {_zh(c, cur)} 的{_TYPE_ZH.get(txn_type, txn_type)}交易,终端流水中没有对应记录",
                f"The settlement holds a {txn_type.lower()} of {_en(c, cur)} that the terminal journal does not show")
    if kind is Kind.REFUND_NOT_SETTLED:
        return (f"退货 {_zh(e, cur)} 已批准(原交易 RRN {related}),但当天的结算中没有这笔退货",
                f"The approved refund of {_en(e, cur)} (of sale RRN {related}) is missing from that day's settlement")
    if kind is Kind.OVER_REFUND:
        return (f"原交易 {_zh(e, cur)} 的撤销和退货累计 {_zh(c, cur)},超出 {_zh(c - e, cur)}",
                f"Voids and refunds of the sale of {_en(e, cur)} add up to {_en(c, cur)}, {_en(c - e, cur)} too much")
    if kind is Kind.MCC_MISMATCH:
        settled, registered = (finding.note or "/").split("/", 1)
        return (f"结算使用的商户类别码 {settled} 与登记的 {registered} 不符(疑似跳码)",
                f"The settlement used merchant category code {settled}, not the registered {registered} "
                f"(possible MCC switching)")
    if kind is Kind.UNMATCHED_CHARGE:
        return (f"扣款 {_zh(c, cur)} 没有对应的订单", f"A charge of {_en(c, cur)} matches no order")
    return (f"订单 {finding.order_no} 金额 {_zh(e, cur)} 没有成功的付款",
            f"Order {finding.order_no} of {_en(e, cur)} has no successful payment")


_BY_KIND: dict[Kind, Callable[[Finding], tuple[str, str]]] = {
    Kind.OVERCHARGE: _amount_gap, Kind.UNDERCHARGE: _amount_gap, Kind.DUPLICATE_CHARGE: _duplicate,
    Kind.DEBITED_BUT_FAILED: _debited_but_failed,
}


def explain(finding: Finding) -> str:
    zh, en = _BY_KIND.get(finding.kind, _simple)(finding)
    codes = f" [{'; '.join(finding.reason_codes)}]" if finding.reason_codes else ""
    return f"{zh} / {en}{codes}"
