"""The shipped wording of the five messages to customers, in Chinese and English (SPEC section 7).

A tenant's admin may change any of them (messaging.templates); what they did not change reads from here.
Every text names only the placeholders of messaging.rules.PLACEHOLDERS (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


_REPLY_ZH = "\n\n如有疑问或需补充材料,请通过此链接回复(含照片):{reply_link}\n\n{merchant_name}"
_REPLY_EN = "\n\nTo answer us or send a photo, use this link: {reply_link}\n\n{merchant_name}"

DEFAULTS: dict[tuple[str, str], Wording] = {
    ("apology", "zh_CN"): Wording(
        "关于您在{merchant_name}的刷卡交易(案件 {case_number})",
        "您好:\n\n您于 {txn_time} 在{merchant_name}使用尾号 {card_last4} 的银行卡支付时,POS 机扣款 {charged},"
        "而应付金额为 {expected},差额 {difference}。对此给您带来的不便,我们深表歉意。我们已立案({case_number})"
        "并正在处理,结果将及时通知您。" + _REPLY_ZH),
    ("apology", "en"): Wording(
        "About your card payment at {merchant_name} (case {case_number})",
        "Hello,\n\nOn {txn_time} your card ending {card_last4} was charged {charged} at {merchant_name}, where "
        "{expected} was due: a difference of {difference}. We are sorry for the trouble. We opened case "
        "{case_number} and are putting it right; we will tell you as soon as it is done." + _REPLY_EN),
    ("refund_issued", "zh_CN"): Wording(
        "退款已发起(案件 {case_number})",
        "您好:\n\n针对案件 {case_number},我们已向您尾号 {card_last4} 的银行卡退款 {refund_amount}。"
        "款项到账时间以发卡行为准,通常为 1 至 7 个工作日。" + _REPLY_ZH),
    ("refund_issued", "en"): Wording(
        "Your refund is on its way (case {case_number})",
        "Hello,\n\nFor case {case_number} we refunded {refund_amount} to your card ending {card_last4}. "
        "Your bank usually shows it within 1 to 7 working days." + _REPLY_EN),
    ("request_difference", "zh_CN"): Wording(
        "补付差额的请求(案件 {case_number})",
        "您好:\n\n您于 {txn_time} 在{merchant_name}的交易少收了 {difference}(应付 {expected},实扣 {charged})。"
        "烦请通过以下链接扫码或在线补付:{payment_link}\n\n如有异议,欢迎回复说明。" + _REPLY_ZH),
    ("request_difference", "en"): Wording(
        "A request to pay the difference (case {case_number})",
        "Hello,\n\nYour payment of {txn_time} at {merchant_name} was {difference} short ({expected} due, {charged} "
        "charged). Please pay the difference by QR code or online here: {payment_link}\n\nIf you disagree, "
        "just tell us." + _REPLY_EN),
    ("request_information", "zh_CN"): Wording(
        "请协助提供信息(案件 {case_number})",
        "您好:\n\n为处理您在{merchant_name}的交易(案件 {case_number},金额 {amount}),我们需要您提供更多信息,"
        "例如购物小票或银行扣款记录的照片。" + _REPLY_ZH),
    ("request_information", "en"): Wording(
        "Could you help us with some information? (case {case_number})",
        "Hello,\n\nTo settle your payment at {merchant_name} (case {case_number}, {amount}) we need a little more "
        "from you, such as a photo of the receipt or of your bank statement." + _REPLY_EN),
    ("case_resolved", "zh_CN"): Wording(
        "案件已处理完毕(案件 {case_number})",
        "您好:\n\n您在{merchant_name}的交易问题(案件 {case_number})已处理完毕。感谢您的耐心与理解。" + _REPLY_ZH),
    ("case_resolved", "en"): Wording(
        "Your case is settled (case {case_number})",
        "Hello,\n\nThe problem with your payment at {merchant_name} (case {case_number}) is settled. Thank you "
        "for your patience." + _REPLY_EN),
}

# The e-mail that tells a person about an alert (not editable: it goes to staff, not to customers).
ALERT_MAIL: dict[str, Wording] = {
    "zh_CN": Wording("Recoup 提醒:案件 {case_number}", "案件 {case_number} 需要您处理:\n\n{message}\n\n{link}"),
    "en": Wording("Recoup alert: case {case_number}", "Case {case_number} needs you:\n\n{message}\n\n{link}"),
}
