"""`recoup ledger postings MERCHANT [--from D] [--to D] [--format table|json|csv]` (issue 12)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from tests.cases.test_case_world import MERCHANT_A
from tests.support.cli import run_in_process
from tests.support.factories import OBJECTS, World

from recoup.ledger import rules
from recoup.ledger.service import post


def _postings(world: World) -> None:
    """Three transfers: 2026-11-19 23:30, 2026-11-20 00:30 and 2026-11-21 10:00 in Asia/Shanghai."""
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        for index, moment in enumerate([datetime(2026, 11, 19, 15, 30, tzinfo=UTC),
                                        datetime(2026, 11, 19, 16, 30, tzinfo=UTC),
                                        datetime(2026, 11, 21, 2, 0, tzinfo=UTC)]):
            posting = post(session, tenant_id, f"cli-{index}", "transfer.confirmed",
                           rules.transfer_in(MERCHANT_A, 1000 * (index + 1), "CNY"))
            posting.posted_at = moment


def test_json_within_days_of_the_merchants_zone(world: World, database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _postings(world)
    ran = run_in_process(["ledger", "postings", MERCHANT_A, "--from", "2026-11-20", "--to", "2026-11-20",
                          "--format", "json"], database_url, monkeypatch, capsys)
    assert ran.code == 0, ran.err
    rows = json.loads(ran.out)
    assert {(r["posted_at"], r["account"], r["amount"]) for r in rows} == {
        ("2026-11-20T00:30:00+08:00", "AVAILABLE", "20.00"), ("2026-11-20T00:30:00+08:00", "BANK", "-20.00")}
    every = run_in_process(["ledger", "postings", MERCHANT_A, "--format", "csv"], database_url, monkeypatch, capsys)
    table = list(csv.DictReader(io.StringIO(every.out)))
    assert [r["posted_at"][:16] for r in table if r["account"] == "AVAILABLE"] == [
        "2026-11-21T10:00", "2026-11-20T00:30", "2026-11-19T23:30"]  # newest first
    assert set(table[0]) >= {"kind", "case", "action_id", "currency"}


def test_bad_dates_and_other_merchants_are_refused(world: World, database_url: str,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = run_in_process(["ledger", "postings", MERCHANT_A, "--from", "20/11/2026"], database_url, monkeypatch, capsys)
    assert bad.code == 1
    assert "--from must be a day written YYYY-MM-DD" in bad.err
    backwards = run_in_process(["ledger", "postings", MERCHANT_A, "--from", "2026-11-21", "--to", "2026-11-20"],
                               database_url, monkeypatch, capsys)
    assert backwards.code == 1
    assert "--to is before --from" in backwards.err
    other = run_in_process(["ledger", "postings", OBJECTS["B"][0]], database_url, monkeypatch, capsys)
    assert other.code == 1
    assert "no merchant" in other.err
    empty = run_in_process(["ledger", "postings", MERCHANT_A], database_url, monkeypatch, capsys)
    assert empty.code == 0
    assert "kind" in empty.out
