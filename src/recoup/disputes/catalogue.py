"""The reason codes a tenant's table is seeded with, and what evidence each calls for. Pure data.

A tenant's table (`dispute_reason_codes`) is filled from these on first use; it may then be changed
(`recoup dispute reason-add`). Evidence kinds are those of the evidence vault
(recoup.evidence.rules.UPLOAD_KINDS).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReasonSeed:
    scheme: str
    code: str
    label_zh: str
    label_en: str
    evidence_kinds: tuple[str, ...]


SEED_REASONS: tuple[ReasonSeed, ...] = (
    ReasonSeed("UNIONPAY", "4502", "交易未经授权", "Transaction not authorised", ("slip", "receipt")),
    ReasonSeed("UNIONPAY", "4507", "交易金额不符", "Incorrect transaction amount", ("receipt", "slip")),
    ReasonSeed("UNIONPAY", "4512", "重复扣款", "Duplicate processing", ("slip", "document")),
    ReasonSeed("UNIONPAY", "4532", "退货未入账", "Credit not processed", ("receipt", "document")),
    ReasonSeed("UNIONPAY", "4544", "未收到商品或服务", "Goods or services not received", ("document", "receipt")),
    ReasonSeed("UNIONPAY", "4806", "交易凭证缺失或无法辨认", "Transaction documents missing or illegible",
               ("slip", "receipt")),
    ReasonSeed("VISA", "12.5", "金额错误", "Incorrect amount", ("receipt", "slip")),
    ReasonSeed("VISA", "12.6.1", "重复处理", "Duplicate processing", ("slip", "document")),
    ReasonSeed("VISA", "13.1", "未收到商品或服务", "Merchandise or services not received", ("document", "receipt")),
    ReasonSeed("MASTERCARD", "4834", "受理点处理错误", "Point-of-interaction error", ("slip", "receipt")),
    ReasonSeed("MASTERCARD", "4853", "持卡人争议", "Cardholder dispute", ("document", "receipt", "photo")),
)
