"""EMVCo merchant-presented dynamic QR payloads for collecting a difference (SPEC section 6).

A payload is a run of ID-length-value objects (two digits, two digits, value; the length counts
characters, as UnionPay's specification says for UTF-8 text), ending in tag 63: the CRC-16/
CCITT-FALSE of the UTF-8 bytes of everything before it, "6304" included, in upper-case hex.
The bill number (tag 62, sub-tag 01) is the case number, which is how a later payment is matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import segno

from recoup.errors import InvalidInput
from recoup.money import NUMERIC_CODES, Money, format_major, parse_minor

UNIONPAY_ACCOUNT_TAG = "15"
MAX_NAME, MAX_CITY, MAX_BILL_NUMBER, MAX_AMOUNT = 25, 15, 25, 13
_NUMERIC_BY_CURRENCY = {currency: numeric for numeric, currency in NUMERIC_CODES.items()}
# Tags whose value is itself a run of ID-length-value objects.
_TEMPLATE_TAGS = frozenset({f"{tag:02d}" for tag in range(26, 52)} | {"62", "64"} | {
    f"{tag:02d}" for tag in range(80, 100)})
_CRC_PREFIX = "6304"

ParsedPayload = dict[str, str | dict[str, str]]


class InvalidQrPayload(InvalidInput):
    """A payload that is not a well-formed EMV QR code or whose CRC does not match."""


@dataclass(frozen=True)
class MerchantAccount:
    """Where the payment goes: UnionPay's primitive tag 15 by default, or a template in 26-51
    holding the network's globally unique identifier (sub-tag 00) and the account (sub-tag 01)."""

    value: str
    tag: str = UNIONPAY_ACCOUNT_TAG
    gui: str = ""

    def encode(self) -> str:
        if not re.fullmatch(r"[0-9]{2}", self.tag) or not 2 <= int(self.tag) <= 51:
            raise InvalidInput(f"merchant account information uses a tag from 02 to 51, not {self.tag!r}")
        if not self.value:
            raise InvalidInput("the merchant account is missing")
        if int(self.tag) < 26:
            if self.gui:
                raise InvalidInput(f"tag {self.tag} holds the account alone; a GUI needs a tag in 26-51")
            return tlv(self.tag, self.value)
        if not self.gui:
            raise InvalidInput(f"tag {self.tag} needs the payment network's GUI (sub-tag 00)")
        return tlv(self.tag, tlv("00", self.gui) + tlv("01", self.value))


@dataclass(frozen=True)
class PaymentRequest:
    """What a collection QR asks for, read back from a payload."""

    bill_number: str
    amount: Money
    merchant_name: str
    merchant_city: str
    mcc: str


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def tlv(tag: str, value: str) -> str:
    if not 0 < len(value) <= 99:
        raise InvalidInput(f"QR field {tag} must hold 1 to 99 characters, not {len(value)}")
    return f"{tag}{len(value):02d}{value}"


def build_payload(
    *,
    amount: Money,
    bill_number: str,
    merchant_name: str,
    merchant_city: str,
    mcc: str,
    account: MerchantAccount,
    country: str = "CN",
    alternate_name: str | None = None,
    alternate_city: str | None = None,
    alternate_language: str = "ZH",
) -> str:
    """A dynamic (tag 01 = "12") payload asking for `amount`, billed to `bill_number`.

    The merchant name is cut to 25 characters and the city to 15; a name in another script may
    also go in the language template (64) as `alternate_name`/`alternate_city`.
    """
    if not re.fullmatch(r"\d{4}", mcc):
        raise InvalidInput(f"a merchant category code has 4 digits, not {mcc!r}")
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise InvalidInput(f"a country code has 2 capital letters, not {country!r}")
    if not 0 < len(bill_number) <= MAX_BILL_NUMBER:
        raise InvalidInput(f"a bill number has 1 to {MAX_BILL_NUMBER} characters, not {bill_number!r}")
    body = [
        tlv("00", "01"),
        tlv("01", "12"),
        account.encode(),
        tlv("52", mcc),
        tlv("53", _currency_numeric(amount.currency)),
        tlv("54", _amount_text(amount)),
        tlv("58", country),
        tlv("59", _required_text(merchant_name, "merchant name")[:MAX_NAME]),
        tlv("60", _required_text(merchant_city, "merchant city")[:MAX_CITY]),
        tlv("62", tlv("01", bill_number)),
    ]
    if alternate_name:
        body.append(_language_template(alternate_language, alternate_name, alternate_city))
    unsigned = "".join(body) + _CRC_PREFIX
    return unsigned + f"{crc16_ccitt_false(unsigned.encode('utf-8')):04X}"


def parse_payload(payload: str) -> ParsedPayload:
    """The payload's objects by tag (templates as nested dicts by sub-tag), after checking its
    structure and CRC; raises InvalidQrPayload otherwise."""
    if len(payload) < 12 or payload[-8:-4] != _CRC_PREFIX:
        raise InvalidQrPayload("an EMV QR payload ends with its CRC (tag 63, length 04)")
    stated = payload[-4:]
    if not re.fullmatch(r"[0-9A-Fa-f]{4}", stated):
        raise InvalidQrPayload(f"the CRC must be 4 hexadecimal digits, not {stated!r}")
    computed = crc16_ccitt_false(payload[:-4].encode("utf-8"))
    if int(stated, 16) != computed:
        raise InvalidQrPayload(
            f"the CRC does not match: the payload says {stated}, its content gives {computed:04X}"
        )
    objects = _split(payload)
    if next(iter(objects)) != "00" or objects["00"] != "01":
        raise InvalidQrPayload('an EMV QR payload starts with the payload format indicator "000201"')
    parsed: ParsedPayload = {}
    for tag, value in objects.items():
        parsed[tag] = _split(value, f"template {tag}") if tag in _TEMPLATE_TAGS else value
    return parsed


def read_payment_request(payload: str) -> PaymentRequest:
    """The bill number, amount and merchant of a collection payload (CRC checked)."""
    parsed = parse_payload(payload)
    currency = NUMERIC_CODES.get(_primitive(parsed, "53"))
    if currency is None:
        raise InvalidQrPayload(f"unknown currency code {_primitive(parsed, '53')!r} in tag 53")
    additional = parsed.get("62")
    if not isinstance(additional, dict) or "01" not in additional:
        raise InvalidQrPayload("the payload carries no bill number (tag 62, sub-tag 01)")
    try:
        amount = Money(parse_minor(_primitive(parsed, "54"), currency), currency)
    except InvalidInput as error:
        raise InvalidQrPayload(f"tag 54 is not an amount: {error.message}") from None
    return PaymentRequest(
        bill_number=additional["01"],
        amount=amount,
        merchant_name=_primitive(parsed, "59"),
        merchant_city=_primitive(parsed, "60"),
        mcc=_primitive(parsed, "52"),
    )


def render_svg(payload: str, scale: int = 4) -> str:
    """The QR code as an inline <svg> element, for the payment page and printable slips."""
    return str(_qr(payload).svg_inline(scale=scale, title="EMV QR"))


def render_png(payload: str, path: Path | str, scale: int = 8) -> None:
    _qr(payload).save(str(path), kind="png", scale=scale, border=4)


def _qr(payload: str) -> segno.QRCode:
    parse_payload(payload)  # never print a code a wallet would refuse
    # ECI 26 declares UTF-8, so readers do not guess another encoding for Chinese names.
    return segno.make(payload, error="m", micro=False, encoding="utf-8", eci=True)


def _split(text: str, where: str = "the payload") -> dict[str, str]:
    objects: dict[str, str] = {}
    position = 0
    while position < len(text):
        header = text[position : position + 4]
        if not re.fullmatch(r"\d{4}", header):
            raise InvalidQrPayload(f"{where}: expected a 2-digit tag and 2-digit length at {position}")
        tag, length = header[:2], int(header[2:])
        value = text[position + 4 : position + 4 + length]
        if length == 0 or len(value) != length:
            raise InvalidQrPayload(f"{where}: tag {tag} states length {length} but the data does not fit")
        if tag in objects:
            raise InvalidQrPayload(f"{where}: tag {tag} appears twice")
        objects[tag] = value
        position += 4 + length
    return objects


def _primitive(parsed: ParsedPayload, tag: str) -> str:
    value = parsed.get(tag)
    if not isinstance(value, str):
        raise InvalidQrPayload(f"the payload has no tag {tag}")
    return value


def _language_template(language: str, name: str, city: str | None) -> str:
    if not re.fullmatch(r"[A-Z]{2}", language):
        raise InvalidInput(f"a language preference has 2 capital letters (ISO 639), not {language!r}")
    content = tlv("00", language) + tlv("01", name[:MAX_NAME])
    if city:
        content += tlv("02", city[:MAX_CITY])
    return tlv("64", content)


def _currency_numeric(currency: str) -> str:
    try:
        return _NUMERIC_BY_CURRENCY[currency]
    except KeyError:
        raise InvalidInput(f"no ISO 4217 numeric code known for {currency!r}") from None


def _amount_text(amount: Money) -> str:
    if amount.minor <= 0:
        raise InvalidInput(f"a payment request asks for a positive amount, not {amount}")
    text = format_major(amount.minor, amount.currency)
    if len(text) > MAX_AMOUNT:
        raise InvalidInput(f"the amount {text} is longer than the {MAX_AMOUNT} characters tag 54 allows")
    return text


def _required_text(value: str, what: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(f"the {what} is missing")
    return cleaned
