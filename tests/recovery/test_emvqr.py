import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.errors import InvalidInput
from recoup.money import Money
from recoup.recovery.emvqr import (
    InvalidQrPayload,
    MerchantAccount,
    build_payload,
    crc16_ccitt_false,
    parse_payload,
    read_payment_request,
    render_png,
    render_svg,
)

# The worked example of the EMVCo merchant-presented QR specification (with Chinese text in the
# language template): an independent check of character lengths and a CRC over UTF-8 bytes.
EMVCO_EXAMPLE = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN"
    "5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603"
    "***0708A60086670902ME91320016A0112233449988770708123456786304A13A"
)
UNIONPAY = MerchantAccount("898301070111565")


def collection(**changes: object) -> str:
    arguments: dict[str, object] = {
        "amount": Money(11520, "CNY"),
        "bill_number": "RC-2026-000123",
        "merchant_name": "南京市玄武区一品酒店",
        "merchant_city": "南京",
        "mcc": "7011",
        "account": UNIONPAY,
    }
    arguments.update(changes)
    return build_payload(**arguments)  # type: ignore[arg-type]


def test_crc_matches_the_published_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


def test_the_emvco_example_parses_with_its_crc() -> None:
    parsed = parse_payload(EMVCO_EXAMPLE)
    assert parsed["63"] == "A13A"
    assert parsed["64"] == {"00": "ZH", "01": "最佳运输", "02": "北京"}
    assert parsed["29"] == {"00": "D15600000000", "05": "A93FO3230Q"}


def test_payload_carries_the_fields_in_order_with_crc_last() -> None:
    payload = collection()
    head = "000201" "010212" "1515898301070111565" "52047011" "5303156" "5406115.20" "5802CN"
    assert payload.startswith(head)
    assert "62180114RC-2026-000123" in payload
    assert payload[-8:-4] == "6304"
    assert payload[-4:] == f"{crc16_ccitt_false(payload[:-4].encode()):04X}"
    assert payload[-4:] == payload[-4:].upper()


def test_round_trip_gives_back_what_was_asked_for() -> None:
    request = read_payment_request(collection())
    assert request.bill_number == "RC-2026-000123"
    assert request.amount == Money(11520, "CNY")
    assert request.merchant_name == "南京市玄武区一品酒店"
    assert (request.merchant_city, request.mcc) == ("南京", "7011")


def test_long_names_are_cut_to_what_the_tags_allow() -> None:
    parsed = parse_payload(collection(merchant_name="N" * 40, merchant_city="C" * 20))
    assert parsed["59"] == "N" * 25
    assert parsed["60"] == "C" * 15


def test_a_network_template_in_26_to_51_holds_gui_and_account() -> None:
    account = MerchantAccount("6222020200112233", tag="26", gui="A000000333010101")
    parsed = parse_payload(collection(account=account))
    assert parsed["26"] == {"00": "A000000333010101", "01": "6222020200112233"}
    assert "15" not in parsed


def test_a_latin_name_can_carry_the_chinese_one_in_the_language_template() -> None:
    payload = collection(merchant_name="YIPIN HOTEL", merchant_city="NANJING", alternate_name="一品酒店",
                         alternate_city="南京")
    assert parse_payload(payload)["64"] == {"00": "ZH", "01": "一品酒店", "02": "南京"}


def test_yen_amounts_have_no_decimals() -> None:
    assert parse_payload(collection(amount=Money(1280, "JPY")))["54"] == "1280"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": Money(0, "CNY")}, "positive amount"),
        ({"mcc": "701"}, "4 digits"),
        ({"bill_number": ""}, "bill number"),
        ({"bill_number": "X" * 26}, "bill number"),
        ({"merchant_name": "  "}, "merchant name is missing"),
        ({"country": "cn"}, "country code"),
        ({"account": MerchantAccount("123", tag="26")}, "GUI"),
        ({"account": MerchantAccount("123", tag="15", gui="A0000003")}, "26-51"),
        ({"account": MerchantAccount("123", tag="52")}, "02 to 51"),
        ({"amount": Money(10**13, "CNY")}, "longer than the 13 characters"),
    ],
)
def test_bad_requests_are_refused_clearly(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        collection(**changes)


def test_a_tampered_amount_fails_the_crc() -> None:
    payload = collection()
    tampered = payload.replace("5406115.20", "5406015.20")
    with pytest.raises(InvalidQrPayload, match="CRC does not match"):
        parse_payload(tampered)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("", "ends with its CRC"),
        ("0002016304ZZZZ", "4 hexadecimal digits"),
        ("0002016305", "ends with its CRC"),
    ],
)
def test_malformed_payloads_are_refused(payload: str, message: str) -> None:
    with pytest.raises(InvalidQrPayload, match=message):
        parse_payload(payload)


def _signed(unsigned: str) -> str:
    body = unsigned + "6304"
    return body + f"{crc16_ccitt_false(body.encode()):04X}"


def test_structure_errors_are_found_even_with_a_valid_crc() -> None:
    with pytest.raises(InvalidQrPayload, match="appears twice"):
        parse_payload(_signed("000201000201"))
    with pytest.raises(InvalidQrPayload, match="starts with the payload format indicator"):
        parse_payload(_signed("010212000201"))
    with pytest.raises(InvalidQrPayload, match="does not fit"):
        parse_payload(_signed("0002015999x"))
    with pytest.raises(InvalidQrPayload, match="no bill number"):
        read_payment_request(_signed("0002015303156540212"))


@given(
    st.integers(min_value=1, max_value=10**11),
    st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=25),
    st.text(min_size=1, max_size=40).filter(lambda name: name.strip() != ""),
)
def test_any_valid_request_round_trips(minor: int, bill_number: str, name: str) -> None:
    payload = collection(amount=Money(minor, "CNY"), bill_number=bill_number, merchant_name=name)
    request = read_payment_request(payload)
    assert request.amount == Money(minor, "CNY")
    assert request.bill_number == bill_number
    assert request.merchant_name == name.strip()[:25]


def test_svg_is_an_inline_svg_element() -> None:
    svg = render_svg(collection())
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")


def test_a_tampered_payload_is_never_rendered() -> None:
    with pytest.raises(InvalidQrPayload):
        render_svg(collection()[:-1] + "0")


def test_an_independent_reader_decodes_the_png_to_the_same_payload(tmp_path: Path) -> None:
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.skip("zbarimg is not installed: apt-get install -y zbar-tools to check the PNG independently")
    payload = collection()
    image = tmp_path / "collect.png"
    render_png(payload, image)
    decoded = subprocess.run(
        [zbarimg, "--raw", "-q", str(image)], capture_output=True, check=True, timeout=30
    ).stdout.decode("utf-8")
    assert decoded.rstrip("\n") == payload
    assert read_payment_request(decoded.rstrip("\n")).bill_number == "RC-2026-000123"
