"""ISO 8583 switch-log import: pairing, statuses, originals, bad lines and PAN safety."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from datetime import date
from pathlib import Path

import iso8583
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from iso8583.specs import default_ascii
from tests.support.samples import ISO8583

from recoup.money import format_major
from recoup.transactions.iso8583 import (
    JOURNAL_COLUMNS,
    SwitchLogResult,
    parse_switch_log,
    write_journal_csv,
)

SAMPLES = ISO8583
KEY = b"test-card-key"
PAN = "6228480012345678"
MERCHANT = "898290054119779"


def request(
    stan: str,
    rrn: str,
    *,
    mti: str = "0200",
    terminal: str = "11112222",
    sent: str = "1116101500",
    processing: str = "000000",
    amount: str = "000000012800",
    pan: str = PAN,
    currency: str = "156",
    original: str | None = None,
) -> dict[str, str]:
    fields = {
        "t": mti, "2": pan, "3": processing, "4": amount, "7": sent, "11": stan, "12": sent[4:],
        "13": sent[:4], "37": rrn, "41": terminal, "42": MERCHANT, "49": currency,
    }
    if original is not None:
        fields["90"] = original
    return fields


def answer(req: dict[str, str], code: str = "00", auth: str | None = "123456") -> dict[str, str]:
    fields = {**req, "t": "0210" if req["t"] == "0200" else "0410", "39": code}
    if auth is not None:
        fields["38"] = auth
    return fields


def original_of(req: dict[str, str]) -> str:
    """Field 90: original MTI, STAN, transmission time, acquirer and forwarding ids."""
    return req["t"] + req["11"] + req["7"] + "00048021000" + "00000000000"


def encode(fields: dict[str, str]) -> bytes:
    raw, _ = iso8583.encode(dict(fields), default_ascii)
    return bytes(raw)


def parse(
    *messages: dict[str, str] | bytes, year: int | None = 2026, today: date | None = None
) -> SwitchLogResult:
    lines = [m if isinstance(m, bytes) else encode(m) for m in messages]
    return parse_switch_log(lines, year=year, card_key=KEY, today=today)


def by_rrn(result: SwitchLogResult) -> dict[str, dict[str, str]]:
    return {row["rrn"]: row for row in result.rows}


def test_sample_log_decodes_to_the_expected_journal(tmp_path: Path) -> None:
    year = json.loads((SAMPLES / "iso_meta.json").read_text())["year"]
    with (SAMPLES / "switch.log").open("rb") as log:
        result = parse_switch_log(log, year=year, card_key=KEY)
    with (SAMPLES / "expected_journal.csv").open(encoding="utf-8") as expected_file:
        expected = list(csv.DictReader(expected_file))
    got = [{**row, "card_masked": row["card"]} for row in result.rows]
    assert [{column: row[column] for column in expected[0]} for row in got] == expected
    assert result.errors == []
    assert result.warnings == []

    out = tmp_path / "journal.csv"
    write_journal_csv(result.rows, out)
    with out.open(encoding="utf-8") as written_file:
        written = list(csv.DictReader(written_file))
    assert tuple(written[0]) == JOURNAL_COLUMNS
    assert [row["card"] for row in written] == [row["card_masked"] for row in expected]


def test_twin_stan_and_time_on_two_terminals_pair_with_their_own_response() -> None:
    on_a = request("000777", "AAAAAAAAAAAA", terminal="TERMINAA")
    on_b = request("000777", "BBBBBBBBBBBB", terminal="TERMINAB", amount="000000050000")
    result = parse(on_a, on_b, answer(on_b, "00", "654321"), answer(on_a, "51", None))
    rows = by_rrn(result)
    assert (rows["AAAAAAAAAAAA"]["status"], rows["AAAAAAAAAAAA"]["auth_code"]) == ("DECLINED", "")
    assert (rows["BBBBBBBBBBBB"]["status"], rows["BBBBBBBBBBBB"]["auth_code"]) == ("APPROVED", "654321")
    assert rows["BBBBBBBBBBBB"]["amount"] == "500.00"
    assert [row["rrn"] for row in result.rows] == ["AAAAAAAAAAAA", "BBBBBBBBBBBB"]  # order of requests


def test_request_without_response_is_a_timeout_keeping_its_rrn() -> None:
    row = parse(request("000001", "111111111111")).rows[0]
    assert row["status"] == "TIMEOUT"
    assert row["rrn"] == "111111111111"
    assert row["auth_code"] == ""
    assert row["txn_type"] == "SALE"
    assert row["txn_time"] == "2026-11-16T10:15:00+08:00"


def test_reversals_answered_and_unanswered() -> None:
    sale_one = request("000001", "100000000001", sent="1116101500")
    sale_two = request("000002", "100000000002", sent="1116102000")
    reversal_one = request("000003", "200000000003", mti="0400", sent="1116101600")
    reversal_one["90"] = original_of(sale_one)
    reversal_two = request("000004", "200000000004", mti="0400", sent="1116102100")
    reversal_two["90"] = original_of(sale_two)
    result = parse(sale_one, sale_two, reversal_one, answer(reversal_one, auth=None), reversal_two)
    rows = by_rrn(result)
    assert (rows["200000000003"]["txn_type"], rows["200000000003"]["status"]) == ("REVERSAL", "APPROVED")
    assert rows["200000000003"]["orig_rrn"] == "100000000001"
    assert (rows["200000000004"]["txn_type"], rows["200000000004"]["status"]) == ("REVERSAL", "TIMEOUT")
    assert rows["200000000004"]["orig_rrn"] == "100000000002"
    assert rows["100000000001"]["status"] == "TIMEOUT"
    assert result.warnings == []


def test_void_and_refund_name_their_original_on_the_same_terminal() -> None:
    sale_a = request("000009", "SALEAAAAAAAA", terminal="TERMINAA")
    sale_b = request("000009", "SALEBBBBBBBB", terminal="TERMINAB")
    void_b = request(
        "000010", "VOIDBBBBBBBB", terminal="TERMINAB", processing="020000", sent="1116102000",
        original=original_of(sale_b),
    )
    refund_a = request(
        "000011", "REFUNDAAAAAA", terminal="TERMINAA", processing="200000", sent="1116103000",
        amount="000000000188", original=original_of(sale_a),
    )
    flows = [(sale_a, answer(sale_a)), (sale_b, answer(sale_b)), (void_b, answer(void_b))]
    result = parse(*[message for flow in flows for message in flow], refund_a, answer(refund_a))
    rows = by_rrn(result)
    assert (rows["VOIDBBBBBBBB"]["txn_type"], rows["VOIDBBBBBBBB"]["orig_rrn"]) == ("VOID", "SALEBBBBBBBB")
    assert (rows["REFUNDAAAAAA"]["txn_type"], rows["REFUNDAAAAAA"]["orig_rrn"]) == ("REFUND", "SALEAAAAAAAA")
    assert rows["REFUNDAAAAAA"]["amount"] == "1.88"
    assert rows["SALEAAAAAAAA"]["orig_rrn"] == ""


def test_original_missing_from_the_log_leaves_orig_rrn_empty_with_a_warning() -> None:
    absent = request("000050", "XXXXXXXXXXXX", sent="1115090000")
    void = request("000051", "VOID00000051", processing="020000", original=original_of(absent))
    result = parse(void, answer(void))
    assert result.rows[0]["orig_rrn"] == ""
    assert result.rows[0]["status"] == "APPROVED"
    assert len(result.warnings) == 1
    assert "line 1" in result.warnings[0]
    assert "000050" in result.warnings[0]
    assert result.errors == []


def _with_primary_bit(line: bytes, number: int) -> bytes:
    bitmap = int(line[4:20], 16) | 1 << (64 - number)
    return line[:4] + f"{bitmap:016X}".encode() + line[20:]


def _bad_lines() -> dict[str, tuple[bytes, str]]:
    good = encode(request("000002", "BADBADBADBAD"))
    pan_over_max = good.replace(b"16" + PAN.encode(), b"25" + PAN.encode() + b"123456789", 1)
    return {
        "truncated": (good[:-5], "field "),
        "bitmap names absent field": (_with_primary_bit(good, 38), "bitmap"),
        "non-ASCII byte": (good.replace(MERCHANT.encode(), MERCHANT[:-1].encode() + b"\xc3", 1), "field 42"),
        "unknown MTI": (encode({**request("000002", "BADBADBADBAD"), "t": "0800"}), "MTI"),
        "fixed field too long": (good.replace(b"000000012800", b"0000000128000", 1), "field "),
        "PAN longer than 19": (pan_over_max, "field 2"),
        "non-numeric amount": (encode(request("000002", "BADBADBADBAD", amount="00000001280A")), "field 4"),
        "impossible date": (encode(request("000002", "BADBADBADBAD", sent="0230101500")), "field 13"),
        "unknown currency": (encode(request("000002", "BADBADBADBAD", currency="999")), "field 49"),
        "non-numeric processing": (encode(request("000002", "BADBADBADBAD", processing="31000A")), "field 3"),
        "unsupported processing": (encode(request("000002", "BADBADBADBAD", processing="310000")), "field 3"),
        "empty message": (b"02", "MTI"),
        "non-hex bitmap": (good[:5] + b"Z" + good[6:], "bitmap"),
    }


@pytest.mark.parametrize("case", sorted(_bad_lines()))
def test_bad_line_is_reported_with_line_and_field_and_good_lines_survive(case: str) -> None:
    bad_line, column = _bad_lines()[case]
    good = request("000001", "GOODGOODGOOD")
    result = parse(good, answer(good), bad_line)
    assert [row["rrn"] for row in result.rows] == ["GOODGOODGOOD"]
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.line == 3
    assert error.column.startswith(column)
    assert error.reason
    assert PAN not in error.reason


def test_repeated_request_and_stray_response_are_reported() -> None:
    sale = request("000001", "REPEATREPEAT")
    stray = answer(request("000099", "STRAYSTRAYST"))
    result = parse(sale, sale, stray)
    assert [(error.line, error.column) for error in result.errors] == [(2, "field 11")]
    assert any("line 3" in warning for warning in result.warnings)


def test_feb_29_outside_a_leap_year_is_an_impossible_date() -> None:
    result = parse(request("000001", "LEAPLEAPLEAP", sent="0229101500"), year=2026)
    assert result.rows == []
    assert (result.errors[0].line, result.errors[0].column) == (1, "field 13")
    assert parse(request("000001", "LEAPLEAPLEAP", sent="0229101500"), year=2028).rows


def test_without_a_year_a_date_after_today_is_last_years() -> None:
    today = date(2027, 1, 5)
    late = parse(request("000001", "LATELATELATE", sent="1231235959"), year=None, today=today)
    early = parse(request("000002", "EARLYEARLYEA", sent="0105080000"), year=None, today=today)
    assert late.rows[0]["txn_time"] == "2026-12-31T23:59:59+08:00"
    assert early.rows[0]["txn_time"] == "2027-01-05T08:00:00+08:00"


def test_zero_exponent_currency_amount() -> None:
    row = parse(request("000001", "YENYENYENYEN", amount="000000001280", currency="392")).rows[0]
    assert (row["amount"], row["currency"]) == ("1280", "JPY")


def test_full_pan_appears_nowhere_and_is_tokened_under_the_key(tmp_path: Path) -> None:
    sale = request("000001", "CARDCARDCARD")
    void = request("000002", "VOIDVOIDVOID", processing="020000", sent="1116102000")
    void["90"] = original_of(sale)
    missing = request("000003", "MISSINGMISSI", processing="020000", original="0200999999" + "0" * 32)
    result = parse(sale, answer(sale), void, answer(void), missing)
    out = tmp_path / "journal.csv"
    write_journal_csv(result.rows, out)
    everything = json.dumps([result.rows, result.warnings, [e.reason for e in result.errors]])
    assert PAN not in everything
    assert PAN not in out.read_text(encoding="utf-8")
    expected_token = hmac.new(KEY, PAN.encode(), hashlib.sha256).hexdigest()
    assert {row["card_token"] for row in result.rows} == {expected_token}
    assert {row["card"] for row in result.rows} == {"622848******5678"}
    other_key = parse_switch_log([encode(sale)], year=2026, card_key=b"another key")
    assert other_key.rows[0]["card_token"] != expected_token


@settings(max_examples=40, deadline=None)
@given(
    pan=st.from_regex(r"[1-9][0-9]{11,18}", fullmatch=True),
    amount_minor=st.integers(min_value=0, max_value=999_999_999_999),
)
def test_any_card_and_amount_come_out_masked_and_exact(pan: str, amount_minor: int) -> None:
    sale = request("000001", "PROPPROPPROP", pan=pan, amount=f"{amount_minor:012d}")
    row = parse(sale, answer(sale)).rows[0]
    assert row["amount"] == format_major(amount_minor, "CNY")
    assert len(row["card"]) == len(pan)
    assert row["card"][:6] == pan[:6]
    assert row["card"][-4:] == pan[-4:]
    assert set(row["card"][6:-4]) <= {"*"}
    assert pan not in json.dumps({k: v for k, v in row.items() if k not in ("merchant_id", "card_token")})


def test_misaligned_message_never_echoes_card_digits() -> None:
    good = encode(request("000001", "SHIFTSHIFTSH"))
    short_length = good.replace(b"16" + PAN.encode(), b"12" + PAN.encode(), 1)
    result = parse(short_length)
    assert result.rows == []
    assert result.errors[0].line == 1
    assert PAN not in result.errors[0].reason
    assert PAN[4:] not in result.errors[0].reason


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=130), junk=st.binary(max_size=4))
def test_any_damaged_line_is_an_error_or_a_row_never_a_traceback(cut: int, junk: bytes) -> None:
    good = encode(request("000001", "DAMAGEDDAMAG"))
    result = parse(good[:cut] + junk + good[cut + len(junk) :])
    assert len(result.rows) + len(result.errors) == 1
    assert all(error.line == 1 for error in result.errors)
    assert PAN not in json.dumps([result.rows, result.warnings, [e.reason for e in result.errors]])
