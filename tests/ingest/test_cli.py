"""`recoup profile ...` and `recoup import KIND FILE [--profile NAME]`, in process, on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.support.cli import run_in_process
from tests.support.factories import World

from recoup.audit.models import AuditEntry
from recoup.auth.roles import Role
from recoup.ingest.models import StatementProfile
from recoup.transactions.models import SettlementLine

STATEMENTS = Path(__file__).resolve().parents[1] / "fixtures" / "statements"
OWN_PROFILE = """
name = "my-bank"
kind = "settlement"
title = "My bank's check file"
[format]
delimiter = "|"
[amounts]
unit = "fen"
[columns]
settle_date = { names = ["清算日期"], format = "yyyyMMdd" }
merchant_id = "商户代码"
mcc = "商户类别"
terminal_id = "终端代码"
txn_time = { names = ["交易时间"], format = "yyyyMMddHHmmss" }
txn_type = { names = ["交易代码"], values = { "S01" = "SALE", "S03" = "REFUND" } }
rrn = "检索参考号"
amount = "交易金额"
currency = "货币代码"
"""


def settlement_count(world: World) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(SettlementLine)).scalar_one())


def test_profile_list_show_add_and_test(world: World, database_url: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    listed = run_in_process(["profile", "list"], database_url, monkeypatch, capsys)
    assert listed.code == 0
    assert all(name in listed.out for name in ("allinpay-statement", "check-file-fen", "wallet-bill", "pos-journal"))
    shown = run_in_process(["profile", "show", "wallet-bill"], database_url, monkeypatch, capsys)
    assert 'strip_prefix = "`"' in shown.out
    source = tmp_path / "my-bank.toml"
    source.write_text(OWN_PROFILE, encoding="utf-8")
    added = run_in_process(["profile", "add", str(source)], database_url, monkeypatch, capsys)
    assert added.code == 0, added.err
    assert "profile my-bank (settlement) saved for your tenant" in added.out
    with world.database.unit_of_work() as session:
        assert session.execute(select(StatementProfile.name)).scalars().all() == ["my-bank"]
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "ingest.profile_saved")).first()
    assert "my-bank" in run_in_process(["profile", "list"], database_url, monkeypatch, capsys).out
    tried = run_in_process(["profile", "test", "my-bank", str(STATEMENTS / "check-file-fen.txt")], database_url,
                           monkeypatch, capsys)
    assert tried.code == 0, tried.err
    assert "read with profile my-bank" in tried.out
    assert "12 detail line(s)" in tried.out
    assert "148361841774" in tried.out  # the first mapped row's RRN
    bad = run_in_process(["profile", "add", str(STATEMENTS / "wallet-bill.csv")], database_url, monkeypatch, capsys)
    assert bad.code != 0
    assert "not valid TOML" in bad.err


def test_import_detects_the_profile_and_says_so(world: World, database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    first = run_in_process(["import", "settlement", str(STATEMENTS / "check-file-fen.txt")], database_url,
                           monkeypatch, capsys)
    assert first.code == 0, first.err
    assert "check-file-fen.txt: read with profile check-file-fen" in first.err
    assert "12 row(s) imported" in first.out
    assert settlement_count(world) == 12
    # the same lines in another style: nothing new
    again = run_in_process(["import", "settlement", str(STATEMENTS / "wallet-bill.xlsx"), "--profile", "wallet-bill"],
                           database_url, monkeypatch, capsys)
    assert again.code == 0, again.err
    assert "0 row(s) imported, 12 already present" in again.out
    assert settlement_count(world) == 12


def test_a_value_the_profile_cannot_map_refuses_the_file(
        world: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "check.txt"
    path.write_text((STATEMENTS / "check-file-fen.txt").read_text(encoding="utf-8").replace("|S01|", "|X9|", 1),
                    encoding="utf-8")
    ran = run_in_process(["import", "settlement", str(path)], database_url, monkeypatch, capsys,
                         user=World.username("A", Role.ACQUIRER_OPS))
    assert ran.code == 1
    assert "line 2, column 交易代码: 'X9' is not in the profile's value map" in ran.err
    assert "nothing imported" in ran.err
    assert settlement_count(world) == 0
    wrong = run_in_process(["import", "settlement", str(STATEMENTS / "wallet-bill.csv"), "--profile",
                            "check-file-fen"], database_url, monkeypatch, capsys)
    assert wrong.code != 0
    assert "no header with the columns of profile check-file-fen" in wrong.err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the loader's refusal is slow: one engine
def test_a_value_the_loader_refuses_is_named_by_the_original_line_and_column(
        world: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    lines = (STATEMENTS / "check-file-fen.txt").read_text(encoding="utf-8").splitlines()
    cells = lines[4].split("|")
    cells[4] = "6102"  # a terminal id of 4 characters on line 5
    lines[4] = "|".join(cells)
    path = tmp_path / "check.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ran = run_in_process(["import", "settlement", str(path)], database_url, monkeypatch, capsys)
    assert ran.code == 1
    assert "line 5, column 终端代码: must be 8 characters" in ran.err
    assert settlement_count(world) == 0
