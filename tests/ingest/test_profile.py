"""Profiles as written: the shipped ones parse; a bad one is refused naming the key at fault (pure, no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.errors import InvalidInput
from recoup.ingest.profile import ProfileError, parse_profile
from recoup.ingest.shipped import shipped_profiles
from recoup.ingest.timeformats import compile_format
from recoup.ingest.values import BadValue, amount_text, minor_units

GOOD = """
name = "my-bank"
kind = "settlement"
[format]
delimiter = "|"
[columns]
settle_date = { names = ["清算日期"], format = "yyyyMMdd" }
merchant_id = "商户号"
terminal_id = "终端号"
txn_time = { names = ["交易时间"], format = "yyyyMMddHHmmss" }
txn_type = { names = ["交易类型"], values = { "消费" = "SALE" } }
rrn = "参考号"
amount = "金额"
currency = { value = "CNY" }
"""


def test_the_shipped_profiles_cover_three_settlement_styles_and_a_journal() -> None:
    profiles = shipped_profiles()
    assert {"allinpay-statement", "check-file-fen", "wallet-bill", "pos-journal"} <= set(profiles)
    assert profiles["check-file-fen"].delimiter == "|"
    assert profiles["check-file-fen"].amount_unit == "fen"
    assert profiles["wallet-bill"].strip_prefix == "`"
    assert profiles["wallet-bill"].summary_pattern is not None
    assert profiles["pos-journal"].kind == "journal"
    assert all(profile.follows for profile in profiles.values())


def test_a_good_profile_parses() -> None:
    profile = parse_profile(GOOD)
    assert profile.name == "my-bank"
    assert profile.fields["txn_type"].values == {"消费": "SALE"}
    assert profile.fields["currency"].value == "CNY"


@pytest.mark.parametrize(("change", "message"), [
    (('format = "yyyyMMddHHmmss"', 'format = "%Y%m%d%H%M%S"'), "columns.txn_time.format"),
    (('format = "yyyyMMdd"', 'format = "yyyyMMdx"'), "is not a date or time part"),
    (('rrn = "参考号"', 'rrn_no = "参考号"'), "unknown target field 'rrn_no'"),
    (('amount = "金额"', 'amount = { format = "yyyyMMdd" }'), "amount is not a date or a time"),
    (('amount = "金额"', ''), "required field(s) of settlement mapped to nothing: amount"),
    (('rrn = "参考号"', 'rrn = {}'), "columns.rrn: maps rrn to nothing"),
    (('"消费" = "SALE"', '"消费" = "BUY"'), "columns.txn_type.values.消费"),
    (('delimiter = "|"', 'delimiter = "#"'), "format.delimiter"),
    (('kind = "settlement"', 'kind = "payments"'), "kind: one of"),
    (('name = "my-bank"', 'name = "My Bank!"'), "name:"),
    (('[format]', '[format'), "not valid TOML"),
])
def test_a_bad_profile_is_refused_naming_the_key(change: tuple[str, str], message: str) -> None:
    with pytest.raises(ProfileError) as refused:
        parse_profile(GOOD.replace(*change), "bank.toml")
    assert refused.value.message.startswith("bank.toml: ")
    assert message in refused.value.message


@pytest.mark.parametrize(("text", "value", "iso"), [
    ("yyyyMMddHHmmss", "20261012080452", "2026-10-12T08:04:52"),
    ("yyyy-MM-dd HH:mm:ss", "2026-10-12 08:04:52", "2026-10-12T08:04:52"),
    ("yyyyMMdd HHmmss", "20261012 080452", "2026-10-12T08:04:52"),
    ("yyyy/MM/dd", "2026/10/12", "2026-10-12"),
    ("yyyy-MM-dd HH:mm", "2026-10-12 08:04", "2026-10-12T08:04:00"),
])
def test_date_formats_become_iso_text(text: str, value: str, iso: str) -> None:
    assert compile_format(text, "f").iso(value) == iso


def test_a_value_of_another_shape_is_not_read() -> None:
    assert compile_format("yyyyMMdd", "f").iso("2026-10-12") is None
    with pytest.raises(InvalidInput, match="not a date format"):
        compile_format("HH:mm:ss", "f")


@given(st.integers(min_value=0, max_value=10**12))
def test_fen_and_yuan_are_the_same_money(minor: int) -> None:
    yuan = amount_text(str(minor), "fen", negative_ok=False)
    assert minor_units(yuan, "yuan") == minor
    assert minor_units(str(minor), "fen") == minor
    assert amount_text(yuan, "yuan", negative_ok=False) == yuan


def test_signs_and_units_are_checked() -> None:
    assert amount_text("-12.50", "yuan", negative_ok=True) == "12.50"
    with pytest.raises(BadValue, match="negative on a line that is not a refund"):
        amount_text("-12.50", "yuan", negative_ok=False)
    with pytest.raises(BadValue, match="not a whole number of fen"):
        amount_text("12.50", "fen", negative_ok=False)
    assert minor_units("-1,234.5", "yuan") == -123450
