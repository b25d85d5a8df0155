"""SPEC section 2, step 1: transactions arriving for a stopped terminal are flagged and reported."""

from __future__ import annotations

import sys
from pathlib import Path

import iso8583
import pytest
from iso8583.specs import default_ascii
from sqlalchemy import select
from tests.support.factories import OBJECTS, World

from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.cli import main
from recoup.config import Settings, get_settings
from recoup.merchants.models import Terminal
from recoup.merchants.service import restart_terminal, stop_terminal
from recoup.transactions.importer import ImportOptions, import_file
from recoup.transactions.layouts import JOURNAL_LAYOUT
from recoup.transactions.models import JournalLine

M_A, T_A = OBJECTS["A"]
T_A2 = "61022223"


def journal(folder: Path, name: str, rrns: list[str], terminal_of: dict[str, str] | None = None) -> Path:
    lines = [f"{M_A},{(terminal_of or {}).get(rrn, T_A)},2026-10-12T10:00:00,SALE,APPROVED,10.00,CNY,{rrn},"
             f"{rrn[-6:]},1,622848******1234,,001,,1" for rrn in rrns]
    path = folder / name
    path.write_text("\n".join([",".join(JOURNAL_LAYOUT), *lines]) + "\n", encoding="utf-8")
    return path


def who(world: World, role: Role = Role.ADMIN) -> Principal:
    with world.database.unit_of_work() as session:
        user = session.execute(select(User).where(User.username == World.username("A", role))).scalar_one()
        return principal_for(session, user, "cli")


def flags(world: World) -> dict[str, bool]:
    with world.database.unit_of_work() as session:
        return {line.rrn: line.flagged_stopped for line in session.execute(select(JournalLine)).scalars()}


def test_lines_for_a_stopped_terminal_are_flagged_and_reported(world: World, settings: Settings,
                                                               tmp_path: Path) -> None:
    with world.database.unit_of_work() as session:
        session.add(Terminal(terminal_id=T_A2, merchant_id=M_A, tenant_id=world.tenants["A"].id))
        stop_terminal(session, who(world, Role.CASHIER), T_A, "charged 1280.00 for 128.00")
    with world.database.unit_of_work() as session:
        report = import_file(session, who(world), "journal", journal(
            tmp_path, "a.csv", ["000000000001", "000000000002", "000000000003"], {"000000000003": T_A2}),
            settings, ImportOptions())
    assert report.flagged_stopped == {T_A: 2}
    assert "2 flagged: terminal stopped" in report.summary()
    assert any("stopped terminals" in note and T_A in note for note in report.warnings)
    assert flags(world) == {"000000000001": True, "000000000002": True, "000000000003": False}
    with world.database.unit_of_work() as session:
        restart_terminal(session, who(world, Role.MERCHANT_FINANCE), T_A, "checked: keyed amount corrected")
    with world.database.unit_of_work() as session:
        later = import_file(session, who(world), "journal", journal(tmp_path, "b.csv", ["000000000004"]), settings,
                            ImportOptions())
    assert later.flagged_stopped == {}
    assert flags(world)["000000000004"] is False


def test_a_switch_log_for_a_stopped_terminal_is_flagged_too(world: World, settings: Settings, tmp_path: Path) -> None:
    request = {"t": "0200", "2": "6228480012345678", "3": "000000", "4": "000000001000", "7": "1012100000",
               "11": "000001", "12": "100000", "13": "1012", "37": "000000000007", "41": T_A, "42": M_A, "49": "156"}
    log = tmp_path / "switch.log"
    log.write_bytes(bytes(iso8583.encode(dict(request), default_ascii)[0]) + b"\n")
    with world.database.unit_of_work() as session:
        stop_terminal(session, who(world), T_A, "")
    with world.database.unit_of_work() as session:
        report = import_file(session, who(world), "iso8583", log, settings, ImportOptions(year=2026))
    assert report.flagged_stopped == {T_A: 1}
    assert flags(world) == {"000000000007": True}


def test_the_cli_reports_the_flags_and_search_finds_them(world: World, database_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RECOUP_DATABASE_URL", database_url)
    monkeypatch.setenv("RECOUP_USER", World.username("A", Role.ADMIN))
    monkeypatch.setenv("COLUMNS", "250")

    def recoup(*args: str) -> str:
        monkeypatch.setattr(sys, "argv", ["recoup", *args])
        get_settings.cache_clear()
        try:
            main()
        finally:
            get_settings.cache_clear()
        return capsys.readouterr().out

    recoup("terminal", "stop", T_A, "--reason", "double charge")
    out = recoup("import", "journal", str(journal(tmp_path, "j.csv", ["000000000001", "000000000002"])))
    assert "2 flagged: terminal stopped" in out
    found = recoup("search", "--flagged", "--format", "csv")
    assert found.count("\n") == 3
    assert "000000000002" in found
