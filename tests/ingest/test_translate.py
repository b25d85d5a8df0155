"""Statement files read through profiles: detection, and bad input refused by original line and column."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from recoup.errors import InvalidInput
from recoup.ingest.detect import detect
from recoup.ingest.profile import parse_profile
from recoup.ingest.shipped import shipped_profiles
from recoup.ingest.translate import TranslationRejected, translate

STATEMENTS = Path(__file__).resolve().parents[1] / "fixtures" / "statements"
PROFILES = shipped_profiles()
PIPE_HEADER = ("清算日期|商户代码|商户名称|商户类别|终端代码|交易时间|交易代码|检索参考号|主账号|交易金额|"
               "手续费|清算金额|货币代码|订单号|")


def pipe_line(amount: str = "12800", *, code: str = "S01", at: str = "20261012100000",
              rrn: str = "123456789012") -> str:
    return f"20261013|898301054111439|安康超市|5411|61027889|{at}|{code}|{rrn}|621700******1234|{amount}|50|12750|156||"


@pytest.mark.parametrize(("name", "kind", "profile"), [
    ("allinpay-statement.csv", "settlement", "allinpay-statement"),
    ("allinpay-statement.xlsx", "settlement", "allinpay-statement"),
    ("check-file-fen.txt", "settlement", "check-file-fen"),
    ("check-file-fen.xlsx", "settlement", "check-file-fen"),
    ("wallet-bill.csv", "settlement", "wallet-bill"),
    ("wallet-bill.xlsx", "settlement", "wallet-bill"),
    ("pos-journal.csv", "journal", "pos-journal"),
    ("pos-journal.xlsx", "journal", "pos-journal"),
])
def test_detection_picks_the_profile_of_each_style(name: str, kind: str, profile: str) -> None:
    found = detect(STATEMENTS / name, kind, PROFILES.values())
    assert found.profile is not None
    assert found.profile.name == profile
    assert f"read with profile {profile}" in found.note


def test_a_native_file_needs_no_profile() -> None:
    native = Path(__file__).resolve().parents[1] / "fixtures" / "samples" / "recon" / "settlement.csv"
    assert detect(native, "settlement", PROFILES.values()).profile is None


def test_two_profiles_that_fit_equally_ask_to_choose() -> None:
    twin = parse_profile(PROFILES["check-file-fen"].source.replace('name = "check-file-fen"', 'name = "my-check"'))
    with pytest.raises(InvalidInput, match="profiles check-file-fen, my-check fit this file equally well; "
                                           "choose one with --profile NAME"):
        detect(STATEMENTS / "check-file-fen.txt", "settlement", [*PROFILES.values(), twin])


def test_a_file_no_profile_fits_is_refused(tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("日期,金额,备注\n2026-10-12,12.00,x\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"odd\.csv: no profile fits this file's header"):
        detect(odd, "settlement", PROFILES.values())


def test_the_pipe_file_maps_fen_and_packed_times(tmp_path: Path) -> None:
    path = tmp_path / "check.txt"
    path.write_text("\n".join([PIPE_HEADER, pipe_line("12805"), pipe_line("300", code="S03", rrn="123456789013")])
                    + "\n", encoding="utf-8")
    translation = translate(path, PROFILES["check-file-fen"], tmp_path / "native.csv")
    first, refund = translation.preview
    assert (first["amount"], first["txn_time"], first["settle_date"]) == ("128.05", "2026-10-12T10:00:00", "2026-10-13")
    assert (refund["txn_type"], refund["amount"]) == ("REFUND", "3.00")
    assert list(translation.line_map) == [2, 3]


def _refused(tmp_path: Path, lines: list[str]) -> TranslationRejected:
    path = tmp_path / "check.txt"
    path.write_text("\n".join([PIPE_HEADER, *lines]) + "\n", encoding="utf-8")
    with pytest.raises(TranslationRejected) as refused:
        translate(path, PROFILES["check-file-fen"], tmp_path / "native.csv")
    return refused.value


def test_a_type_the_value_map_leaves_unmapped_is_refused_by_line_and_column(tmp_path: Path) -> None:
    refused = _refused(tmp_path, [pipe_line(), pipe_line(code="S99", rrn="123456789013")])
    assert [(r.line, r.column) for r in refused.rejects] == [(3, "交易代码")]
    assert "'S99' is not in the profile's value map" in refused.message
    assert "nothing imported" in refused.message


def test_a_time_of_another_format_is_refused(tmp_path: Path) -> None:
    refused = _refused(tmp_path, [pipe_line(at="2026-10-12 10:00")])
    assert (refused.rejects[0].line, refused.rejects[0].column) == (2, "交易时间")
    assert "does not have the format yyyyMMddHHmmss" in refused.rejects[0].reason


def test_decimals_in_a_fen_column_are_refused(tmp_path: Path) -> None:
    refused = _refused(tmp_path, [pipe_line(), pipe_line("128.00", rrn="123456789013")])
    assert str(refused.rejects[0]).startswith("line 3, column 交易金额: '128.00' is not a whole number of fen")


def test_a_yuan_column_that_turns_into_fen_half_way_is_refused(tmp_path: Path) -> None:
    text = (STATEMENTS / "allinpay-statement.csv").read_text(encoding="gb18030").splitlines()
    cells = text[5].split(",")  # line 6, the third detail line: its amount in fen
    cells[10] = cells[10].replace(".", "")
    text[5] = ",".join(cells)
    path = tmp_path / "allinpay.csv"
    path.write_text("\n".join(text) + "\n", encoding="gb18030")
    with pytest.raises(TranslationRejected) as refused:
        translate(path, PROFILES["allinpay-statement"], None)
    reject = refused.value.rejects[0]
    assert (reject.line, reject.column) == (6, "交易金额")
    assert "changes its unit half-way" in reject.reason
    assert "line 4 had '69.00'" in reject.reason


def test_summary_totals_that_disagree_with_the_details_refuse_the_file(tmp_path: Path) -> None:
    lines = (STATEMENTS / "wallet-bill.csv").read_text(encoding="utf-8-sig").splitlines()
    count_line = len(lines)
    lines[-1] = lines[-1].replace("`12,", "`13,")
    path = tmp_path / "bill.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=rf"line {count_line}, column 总交易单数: the summary says 13 line\(s\) "
                                           r"but the file has 12 detail line\(s\); nothing imported"):
        translate(path, PROFILES["wallet-bill"], tmp_path / "native.csv")
    total = lines[-1].split(",")[1]
    lines[-1] = lines[-1].replace("`13,", "`12,").replace(total, "`1.00")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"column 总交易额: the summary total 1.00 is not the sum of the detail"):
        translate(path, PROFILES["wallet-bill"], None)


def test_an_xlsx_with_formulas_instead_of_values_is_refused(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(STATEMENTS / "check-file-fen.xlsx")
    sheet = book.active
    sheet["J4"] = "=J3*2"
    path = tmp_path / "formulas.xlsx"
    book.save(path)
    with pytest.raises(InvalidInput, match=r"formulas.xlsx: line 4, column J: a formula \(=J3\*2\) with no "
                                           "computed value"):
        translate(path, PROFILES["check-file-fen"], None)


def test_a_header_missing_a_needed_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "check.txt"
    path.write_text(PIPE_HEADER.replace("检索参考号", "流水") + "\n" + pipe_line() + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="no header with the columns of profile check-file-fen"):
        translate(path, PROFILES["check-file-fen"], None)
