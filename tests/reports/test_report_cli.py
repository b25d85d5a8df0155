"""`recoup report` as a user runs it: JSON and CSV with the hand-counted numbers, and clear refusals."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from tests.support.cli import run_in_process
from tests.support.factories import OBJECTS, World
from tests.support.report_world import (
    FIRST,
    HOURS,
    LAST,
    NOW,
    Records,
    Seen,
    add_second_merchant,
    assert_same,
    expected,
    generate,
    store,
)

from recoup.auth.roles import Role
from recoup.reports import service

RANGE = ["--from", FIRST.isoformat(), "--to", LAST.isoformat()]


@pytest.fixture
def records(world: World, monkeypatch: pytest.MonkeyPatch) -> Records:
    add_second_merchant(world)
    generated = generate(seed=14)
    store(world, generated)
    monkeypatch.setattr(service, "utcnow", lambda: NOW)  # the command's clock
    return generated


def sections(text: str) -> dict[str, list[dict[str, str]]]:
    """The CSV's sections: a title line, the header, the rows, a blank line."""
    found: dict[str, list[dict[str, str]]] = {}
    blocks = text.strip().split("\n\n")[1:]
    for block in blocks:
        rows = list(csv.reader(io.StringIO(block)))
        found[rows[0][0]] = [dict(zip(rows[1], row, strict=True)) for row in rows[2:]] if len(rows) > 1 else []
    return found


def test_json_on_stdout_has_the_hand_counted_numbers(database_url: str, world: World, records: Records,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    ran = run_in_process(["report", *RANGE, "--format", "json"], database_url, monkeypatch, capsys)
    assert ran.code == 0, ran.err
    assert_same(json.loads(ran.out), expected(records, Seen("A")))
    assert "report 2026-03-01..2026-03-10" in ran.err  # the progress line


def test_csv_file_holds_the_same_numbers_as_the_json(database_url: str, world: World, records: Records,
                                                     monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.csv"
    ran = run_in_process(["report", *RANGE, "--format", "csv", "--out", str(out)], database_url, monkeypatch,
                         capsys, user="a2-cashier")
    assert ran.code == 0, ran.err
    assert ran.out == ""
    assert f"report written to {out}" in ran.err
    want = expected(records, Seen("A", frozenset({"898301054119999"})))
    table = sections(out.read_text())
    totals = want["totals"]
    assert isinstance(totals, dict)
    for name, value in totals.items():
        if name in HOURS:
            assert float(table["totals"][0][name]) == pytest.approx(value, abs=0.011)
        else:
            assert table["totals"][0][name] == ("" if value is None else str(value)), name
    assert [row["kind"] for row in table["by_kind"]] == [row["kind"] for row in want["by_kind"]]  # type: ignore[attr-defined]
    assert [int(row["findings"]) for row in table["by_day"]] == [row["findings"] for row in want["by_day"]]  # type: ignore[attr-defined]
    assert [float(row["difference"]) for row in table["by_cause"]] == [
        row["difference"] for row in want["by_cause"]]  # type: ignore[attr-defined]
    assert {row["merchant_id"] for row in table["worst_terminals"]} == {"898301054119999"}
    assert table["funnel"][0] == {name: str(value) for name, value in want["funnel"].items()}  # type: ignore[attr-defined]


def test_csv_cells_are_formula_safe(database_url: str, world: World, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from recoup.reconciliation.models import ReconciliationRun, StoredFinding

    with world.database.unit_of_work() as session:
        run = ReconciliationRun(tenant_id=world.tenants["A"].id, run_by="t")
        session.add(run)
        session.flush()
        session.add(StoredFinding(
            tenant_id=world.tenants["A"].id, finding_id="F1", run_id=run.id, last_run_id=run.id, kind="OVERCHARGE",
            cause="=HYPERLINK(1)", merchant_id=OBJECTS["A"][0], terminal_id="61027889", charged_minor=1,
            expected_minor=1, difference_minor=-500, currency="CNY", txn_time=datetime(2026, 3, 2, 3, tzinfo=UTC)))
    ran = run_in_process(["report", *RANGE, "--format", "csv"], database_url, monkeypatch, capsys)
    assert ran.code == 0, ran.err
    assert "'=HYPERLINK(1)" in ran.out
    assert "\n=HYPERLINK" not in ran.out
    assert sections(ran.out)["by_cause"] == [{"cause": "'=HYPERLINK(1)", "findings": "1", "difference": "5.0"}]


@pytest.mark.parametrize(("args", "words"), [
    (["--from", "2026-03-02", "--to", "2026-03-01"], "is after"),
    (["--from", "2016-01-01", "--to", "2025-12-31"], "at most 732 days"),
    (["--from", "2026-02-30"], "--from: a date as YYYY-MM-DD"),
    (["--from", "２０２６-03-01"], "--from: a date as YYYY-MM-DD"),
    (["--format", "docx"], "--format: one of json, csv, xlsx, pdf"),
    (["--lang", "fr"], "--lang: one of zh, en"),
    (["--format", "pdf"], "give --out FILE"),
    (["--currency", "XYZ"], "unknown currency"),
    (["--merchant", OBJECTS["B"][0]], "no merchant"),
])
def test_bad_input_is_one_clear_line_and_exit_1(database_url: str, world: World, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str],
                                               words: str) -> None:
    out = tmp_path / "never.json"
    extra = [] if "pdf" in args else ["--out", str(out)]
    ran = run_in_process(["report", *args, *extra], database_url, monkeypatch, capsys)
    assert ran.code == 1
    assert words in ran.err
    assert "Traceback" not in ran.err
    assert not out.exists()
    assert list(tmp_path.glob("*.partial")) == []


def test_the_command_acts_as_a_user(database_url: str, world: World, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    ran = run_in_process(["report"], database_url, monkeypatch, capsys, user="")
    assert ran.code == 1
    assert "acts as a user" in ran.err
    ran = run_in_process(["report"], database_url, monkeypatch, capsys, user=World.username("B", Role.ADMIN))
    assert ran.code == 0
    assert json.loads(ran.out)["tenant_id"] == world.tenants["B"].id


def test_a_long_range_shows_a_progress_bar_on_stderr(database_url: str, world: World, records: Records,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    ran = run_in_process(["report", "--from", "2025-12-01", "--to", LAST.isoformat(), "--format", "json"],
                         database_url, monkeypatch, capsys)
    assert ran.code == 0, ran.err
    assert f"{len(service.STEPS)}/{len(service.STEPS)}" in ran.err  # the bar ran to its end
    assert "counted prevention" in ran.err
    assert_same(json.loads(ran.out), expected(records, Seen("A"), date(2025, 12, 1), LAST))
    short = run_in_process(["report", *RANGE, "--format", "json"], database_url, monkeypatch, capsys)
    assert "counted" not in short.err
