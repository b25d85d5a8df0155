"""The demo and test data generator: deterministic, complete, well-formed, and written as real exports are."""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.demo.amounts import (
    DECIMAL_SHIFT,
    OTHER,
    OVER_CAUSES,
    UNDER_CAUSES,
    classify,
    key_error,
    plausibly_related,
)
from recoup.demo.generator import ANOMALY_VARIANTS, Dataset, generate, write_dataset, write_large
from recoup.demo.negatives import NEGATIVES
from recoup.demo.world import luhn_digit
from recoup.errors import InvalidInput
from recoup.money import parse_minor

ALL_KINDS = {
    "OVERCHARGE", "UNDERCHARGE", "DUPLICATE_CHARGE", "DEBITED_BUT_FAILED", "VOIDED_BUT_SETTLED", "UNSETTLED",
    "SETTLEMENT_MISMATCH", "UNKNOWN_SETTLEMENT", "REFUND_NOT_SETTLED", "OVER_REFUND", "MCC_MISMATCH",
    "UNMATCHED_CHARGE", "UNPAID_ORDER",
}
AMOUNT = re.compile(r"^\d+\.\d{2}$")
LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")
MASKED = re.compile(r"^\d{6}\*{6}(\*{3})?\d{4}$")


@pytest.fixture(scope="module")
def default() -> Dataset:
    return generate()


def _luhn_valid(pan: str) -> bool:
    return luhn_digit(pan[:-1]) == pan[-1]


# Determinism and completeness ---------------------------------------------------------------------

def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(default: Dataset) -> None:
    again = generate()
    assert again.journal == default.journal
    assert again.settlement == default.settlement
    assert again.orders == default.orders
    assert again.expected_rows() == default.expected_rows()
    other = generate(seed=8)
    assert other.journal != default.journal


def test_every_kind_and_every_possible_cause_is_planted_at_default_size(default: Dataset) -> None:
    assert {finding.kind for finding in default.expected} == ALL_KINDS
    causes = {(finding.kind, finding.cause) for finding in default.expected if finding.cause}
    assert causes == {("OVERCHARGE", cause) for cause in OVER_CAUSES} | {
        ("UNDERCHARGE", cause) for cause in UNDER_CAUSES}
    assert {planted.scenario for planted in default.planted if planted.anomaly} == set(ANOMALY_VARIANTS)


def test_the_default_size_plants_about_one_anomaly_in_ten_orders(default: Dataset) -> None:
    assert len(default.orders) == 300
    assert sum(planted.anomaly for planted in default.planted) == 30
    assert {row["txn_time"][:10] for row in default.journal} == {"2026-10-12", "2026-10-13", "2026-10-14"}


def test_every_hard_negative_is_planted_at_default_size(default: Dataset) -> None:
    negatives = {planted.scenario for planted in default.planted if not planted.anomaly}
    assert negatives == set(NEGATIVES)


def test_hard_negatives_touch_no_expected_finding(default: Dataset) -> None:
    # An MCC jump (跳码) covers whatever its terminal settled in a run of lines, negatives included.
    findings = [finding for finding in default.expected if finding.kind != "MCC_MISMATCH"]
    keys = {finding.key for finding in findings} | {key for finding in findings for key in finding.alt_keys}
    for planted in default.planted:
        if not planted.anomaly:
            assert not keys & set(planted.rrns + planted.order_nos), planted.scenario


def test_preauth_completion_settles_and_the_hold_does_not(default: Dataset) -> None:
    journal_types = Counter(row["txn_type"] for row in default.journal)
    settled_types = Counter(row["txn_type"] for row in default.settlement)
    assert journal_types["PREAUTH"] >= 1
    assert journal_types["PREAUTH_COMPLETE"] >= 1
    assert settled_types["PREAUTH"] == 0


def test_sales_without_order_number_exist_and_some_are_keyed_errors(default: Dataset) -> None:
    no_order = {row["rrn"] for row in default.journal if row["txn_type"] == "SALE" and not row["order_no"]}
    keyed = {finding.key for finding in default.expected if finding.kind in ("OVERCHARGE", "UNDERCHARGE")}
    assert len(no_order) >= 5
    assert keyed & no_order, "a keyed error linked by rule 2 (no order number on the sale)"


# Formats --------------------------------------------------------------------------------------------

def test_registry_rows_have_the_spec_formats(default: Dataset) -> None:
    merchant_ids = {row["merchant_id"] for row in default.merchants}
    for row in default.merchants:
        assert re.fullmatch(r"898\d{12}", row["merchant_id"])
        assert re.fullmatch(r"\d{4}", row["mcc"])
        assert row["mcc"] in row["merchant_id"]
        assert row["name"][:3].endswith("市")
        assert row["timezone"] == "Asia/Shanghai"
    terminal_ids = [row["terminal_id"] for row in default.terminals]
    assert len(set(terminal_ids)) == len(terminal_ids)
    for row in default.terminals:
        assert re.fullmatch(r"\d{8}", row["terminal_id"])
        assert row["merchant_id"] in merchant_ids
        assert row["model"]
        assert row["serial"]
        assert row["location"]
        assert date.fromisoformat(row["installed_at"]) < date.fromisoformat(row["last_maintenance_at"])


def test_journal_rows_have_the_spec_formats(default: Dataset) -> None:
    terminals = {row["terminal_id"]: row["merchant_id"] for row in default.terminals}
    rrns = [row["rrn"] for row in default.journal]
    assert len(set(rrns)) == len(rrns)
    for row in default.journal:
        assert terminals[row["terminal_id"]] == row["merchant_id"]
        assert LOCAL_TIME.match(row["txn_time"])
        assert AMOUNT.match(row["amount"])
        assert re.fullmatch(r"\d{12}", row["rrn"])
        assert re.fullmatch(r"\d{6}", row["stan"])
        assert re.fullmatch(r"\d{6}", row["batch_no"])
        assert re.fullmatch(r"(\d{6})?", row["auth_code"])
        assert bool(row["auth_code"]) == (row["status"] == "APPROVED" and row["txn_type"] != "REVERSAL")
        assert MASKED.match(row["card"]) or (row["card"].isdigit() and _luhn_valid(row["card"]))
        names_original = row["txn_type"] in ("VOID", "REFUND", "REVERSAL", "PREAUTH_COMPLETE")
        assert bool(row["orig_rrn"]) == names_original
        if row["orig_rrn"]:
            assert row["orig_rrn"] in rrns


def test_settlement_rows_clear_the_next_day_with_fee_and_net(default: Dataset) -> None:
    for row in default.settlement:
        assert MASKED.match(row["card"]), "settlement shows masked cards only"
        assert LOCAL_TIME.match(row["txn_time"])
        next_day = datetime.fromisoformat(row["txn_time"]).date() + timedelta(days=1)
        assert row["settle_date"] == next_day.isoformat()
        amount, fee, net = (parse_minor(row[column], "CNY") for column in ("amount", "fee", "net_amount"))
        assert amount > 0
        assert net == amount - fee
        assert 0 <= fee < amount // 50 + 1


def test_order_rows_have_the_spec_formats(default: Dataset) -> None:
    order_nos = [row["order_no"] for row in default.orders]
    assert len(set(order_nos)) == len(order_nos)
    for row in default.orders:
        assert LOCAL_TIME.match(row["created_at"])
        assert AMOUNT.match(row["expected_amount"])
        assert row["currency"] == "CNY"
        assert re.fullmatch(r"\d{3}", row["cashier_id"])
        assert re.fullmatch(r"(|1\d{10}|[a-z]+\d+@[a-z0-9.]+)", row["customer_contact"])
    assert any(not row["terminal_id"] for row in default.orders)


@pytest.mark.parametrize(("share", "full_lines"), [(0.0, 0), (1.0, None)])
def test_full_pan_share_sets_how_many_journal_lines_show_the_full_number(share: float,
                                                                        full_lines: int | None) -> None:
    ds = generate(seed=3, orders=60, full_pan_share=share)
    shown_full = sum(row["card"].isdigit() for row in ds.journal)
    assert shown_full == (len(ds.journal) if full_lines is None else full_lines)


def test_more_orders_over_more_days_bring_more_merchants_and_terminals(default: Dataset) -> None:
    big = generate(seed=2, orders=4000, days=21, start=date(2026, 9, 1))
    assert len(big.merchants) > len(default.merchants)
    assert len(big.terminals) >= 12
    assert min(row["txn_time"] for row in big.journal).startswith("2026-09-01")
    assert len({row["txn_time"][:10] for row in big.journal}) == 21


@pytest.mark.parametrize("arguments", [{"orders": 0}, {"days": 0}, {"anomaly_rate": 1.5},
                                       {"full_pan_share": -0.1}])
def test_impossible_arguments_are_refused(arguments: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        generate(**arguments)


# Writing --------------------------------------------------------------------------------------------

def _read(path: Path, encoding: str) -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_write_dataset_round_trips_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    ds = generate(seed=5, orders=80)
    paths = write_dataset(ds, tmp_path, encoding=encoding)
    assert set(paths) == {"merchants", "terminals", "orders", "journal", "settlement", "expected_findings"}
    for name in ("merchants", "terminals", "orders", "journal", "settlement"):
        assert _read(paths[name], encoding) == getattr(ds, name)
    assert paths["merchants"].read_bytes().startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            paths["merchants"].read_bytes().decode("utf-8")
    assert _read(paths["expected_findings"], "utf-8") == ds.expected_rows()


def test_expected_findings_file_has_the_sample_columns(tmp_path: Path, default: Dataset) -> None:
    path = write_dataset(default, tmp_path)["expected_findings"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "kind,cause,key,alt_keys,alt_causes"
    assert "OVERCHARGE,DECIMAL_SHIFT," in path.read_text(encoding="utf-8")
    assert len(lines) == len(default.expected) + 1


def test_shuffled_rows_columns_and_chinese_aliases_hold_the_same_records(tmp_path: Path) -> None:
    ds = generate(seed=6, orders=80)
    paths = write_dataset(ds, tmp_path, shuffle_seed=1, chinese_aliases=True, shuffle_columns=True)
    journal = _read(paths["journal"], "utf-8")
    header = paths["journal"].read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header != list(ds.journal[0])
    assert set(header) == set(ds.journal[0])
    assert [row["rrn"] for row in journal] != [row["rrn"] for row in ds.journal]
    assert sorted(row["rrn"] for row in journal) == sorted(row["rrn"] for row in ds.journal)
    assert {row["txn_type"] for row in journal} <= {"消费", "撤销", "退货", "冲正", "预授权", "预授权完成"}
    assert {row["status"] for row in journal} <= {"成功", "拒绝", "失败", "超时"}


def test_an_unknown_encoding_is_refused(tmp_path: Path, default: Dataset) -> None:
    with pytest.raises(InvalidInput):
        write_dataset(default, tmp_path, encoding="latin-1")


def test_write_large_streams_the_requested_number_of_journal_lines(tmp_path: Path) -> None:
    paths = write_large(tmp_path / "a", 5_000, seed=3)
    journal = _read(paths["journal"], "utf-8")
    settlement = _read(paths["settlement"], "utf-8")
    assert len(journal) == 5_000
    assert 4_800 <= len(_read(paths["orders"], "utf-8")) <= 5_100
    assert 4_800 <= len(settlement) <= 5_100
    assert len({row["rrn"] for row in journal}) == 5_000
    assert all(MASKED.match(row["card"]) for row in settlement)
    again = write_large(tmp_path / "b", 5_000, seed=3)
    assert again["journal"].read_bytes() == paths["journal"].read_bytes()


# Keyed amount errors (property tests) ---------------------------------------------------------------

@given(st.integers(min_value=100, max_value=10_000_000), st.booleans(), st.integers(min_value=0))
def test_a_keyed_error_has_the_cause_and_direction_it_was_made_with(expected: int, upward: bool,
                                                                    seed: int) -> None:
    for cause in OVER_CAUSES if upward else UNDER_CAUSES:
        charged = key_error(expected, cause, upward, random.Random(seed))
        if charged is None:  # some amounts cannot show some causes (no 00 to shift, no digits to swap)
            assert cause != "EXTRA_DIGIT"
            continue
        assert classify(charged, expected) == cause
        assert (charged > expected) == upward
        assert plausibly_related(charged, expected) == (cause != OTHER)
        assert str(charged)[0] != "0"


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=10**9))
def test_plausibly_related_is_symmetric(first: int, second: int) -> None:
    assert plausibly_related(first, second) == plausibly_related(second, first)


def test_causes_follow_the_spec_examples() -> None:
    assert classify(128_000, 12_800) == "EXTRA_DIGIT"  # 128.00 -> 1280.00
    assert classify(128_800, 12_800) == "EXTRA_DIGIT"  # 128.00 -> 1288.00
    assert classify(1_280_000, 12_800) == DECIMAL_SHIFT
    assert classify(128, 12_800) == DECIMAL_SHIFT
    assert classify(1_280, 12_800) == "MISSING_DIGIT"
    assert classify(21_800, 12_800) == "TRANSPOSED_DIGITS"
    assert classify(13_000, 12_800) == OTHER
