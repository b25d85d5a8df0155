"""`recoup reconcile --db [--save]` over stored data, and the findings inbox (API and page)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.support.cli import run_cli_here as run_cli
from tests.support.samples import RECON

from recoup.config import Settings

SAMPLES = RECON
KINDS = ("merchants", "terminals", "orders", "journal", "settlement")


def _expected() -> set[tuple[str, str]]:
    with (SAMPLES / "expected_findings.csv").open(encoding="utf-8") as handle:
        return {(row["kind"], row["key"]) for row in csv.DictReader(handle)}


def _keys(path: Path) -> set[tuple[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return {(r["kind"], r["order_no"] if r["kind"] == "UNPAID_ORDER" else r["rrn"]) for r in csv.DictReader(handle)}


def _user(url: str, name: str, role: str, tenant: str) -> str:
    added = run_cli(["user", "add", name, "--role", role, "--tenant", tenant, "--password", "long-enough-1"], url)
    assert added.returncode == 0, added.stderr
    return run_cli(["user", "token", name], url).stdout.strip()


@pytest.fixture
def stored_samples(tmp_path: Path, settings: Settings) -> Path:
    """The public samples imported for tenant A (every merchant of the sample moved to tenant A)."""
    for role in ("admin", "auditor"):
        _user(settings.resolved_database_url, f"a-{role}", role, "A")
    folder = tmp_path / "samples"
    folder.mkdir()
    for kind in KINDS:
        shutil.copy(SAMPLES / f"{kind}.csv", folder / f"{kind}.csv")
    merchants = (folder / "merchants.csv").read_text(encoding="utf-8").splitlines()
    rewritten = [merchants[0]] + [",".join([*line.split(",")[:-1], "A"]) for line in merchants[1:]]
    (folder / "merchants.csv").write_text("\n".join(rewritten) + "\n", encoding="utf-8")
    for kind in KINDS:
        done = run_cli(["import", kind, str(folder / f"{kind}.csv"), "--user", "a-admin"],
                       settings.resolved_database_url)
        assert done.returncode == 0, done.stderr
    return folder


def test_db_reconcile_equals_file_reconcile_and_saves_cases(stored_samples: Path, settings: Settings,
                                                          tmp_path: Path, client: TestClient) -> None:
    url = settings.resolved_database_url
    out = tmp_path / "findings.csv"
    run = run_cli(["reconcile", "--db", "--save", "--out", str(out), "--user", "a-admin", "--format", "json"], url)
    assert run.returncode == 0, run.stderr
    assert _keys(out) == _expected()
    assert sum(item["findings"] for item in json.loads(run.stdout)) == 39
    assert "39 new" in run.stderr
    cases = json.loads(run_cli(["case", "list", "--format", "json", "--user", "a-admin"], url).stdout)
    assert len(cases) == 28  # the 13 MCC_MISMATCH lines of one terminal-day make fewer cases
    again = run_cli(["reconcile", "--db", "--save", "--user", "a-admin"], url)
    assert "0 new" in again.stderr
    assert len(json.loads(run_cli(["case", "list", "--format", "json", "--user", "a-admin"], url).stdout)) == 28

    headers = {"Authorization": f"Bearer {run_cli(['user', 'token', 'a-admin'], url).stdout.strip()}"}
    page = client.get("/api/v1/findings", params={"kind": "OVERCHARGE"}, headers=headers).json()
    assert page["total"] == 4
    assert {item["kind"] for item in page["items"]} == {"OVERCHARGE"}
    assert all(item["case_id"] for item in page["items"])
    every = client.get("/api/v1/findings", params={"limit": 1000}, headers=headers).json()
    assert every["total"] == len(every["items"]) == 39
    assert all(item["case_id"] for item in every["items"])  # every finding has its case
    big = client.get("/api/v1/findings", params={"min_amount": "100.00"}, headers=headers).json()
    assert 0 < big["total"] < 39
    other_tenant = {"Authorization": f"Bearer {_user(url, 'b-admin', 'admin', 'B')}"}
    assert client.get("/api/v1/findings", headers=other_tenant).json()["total"] == 0


def test_db_reconcile_filters_and_scope(stored_samples: Path, settings: Settings, tmp_path: Path) -> None:
    url = settings.resolved_database_url
    out = tmp_path / "one.csv"
    one = run_cli(["reconcile", "--db", "--merchant", "898301054111439", "--from", "2026-10-12", "--to",
                   "2026-10-14", "--out", str(out), "--user", "a-admin"], url)
    assert one.returncode == 0, one.stderr
    with out.open(encoding="utf-8") as handle:
        merchants = {row["merchant_id"] for row in csv.DictReader(handle)}
    assert merchants == {"898301054111439"}
    backwards = run_cli(["reconcile", "--db", "--from", "2026-10-14", "--to", "2026-10-12", "--user", "a-admin"], url)
    assert backwards.returncode == 1
    assert "--from is after --to" in backwards.stderr
    no_user = run_cli(["reconcile", "--db"], url, env={"RECOUP_USER": ""})
    assert no_user.returncode == 1
    assert "--user" in no_user.stderr
    auditor = run_cli(["reconcile", "--db", "--save", "--user", "a-auditor"], url)
    assert auditor.returncode == 1
    assert "may not reconcile" in auditor.stderr


def _case_of(url: str, kind: str) -> dict[str, object]:
    cases = json.loads(run_cli(["case", "list", "--format", "json", "--user", "a-admin"], url).stdout)
    return next(case for case in cases if case["kind"] == kind)


def test_sample_journey_refund_confirmed_by_the_next_settlement(stored_samples: Path, settings: Settings,
                                                                tmp_path: Path) -> None:
    """Issue 5's walk: cases from the samples, an idempotent refund, its confirmation by a later file."""
    url = settings.resolved_database_url
    assert run_cli(["reconcile", "--db", "--save", "--user", "a-admin"], url).returncode == 0
    assert run_cli(["ledger", "verify"], url).returncode == 0
    case = _case_of(url, "OVERCHARGE")
    number, stake = str(case["number"]), str(case["amount_at_stake"])
    refund = ["case", "refund", number, "--amount", stake, "--idempotency-key", "k1", "--user", "a-admin"]
    first, second = run_cli(refund, url), run_cli(refund, url)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0
    assert "nothing was done again" in second.stdout
    too_much = run_cli(["case", "refund", number, "--amount", "0.01", "--idempotency-key", "k2", "--user",
                        "a-admin"], url)
    assert too_much.returncode == 1
    assert "exceeds what is left" in too_much.stderr
    assert run_cli(["ledger", "verify"], url).returncode == 0

    with (RECON / "settlement.csv").open(encoding="utf-8") as handle:
        sale = next(row for row in csv.DictReader(handle) if row["rrn"] == case["rrn"])
    later = tmp_path / "settlement-next.csv"
    refund_line = {**sale, "settle_date": "2026-10-16", "txn_type": "REFUND", "rrn": "990000000001",
                   "txn_time": "2026-10-15T10:00:00+08:00", "amount": stake, "fee": "0.00", "net_amount": stake}
    with later.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(sale))
        writer.writeheader()
        writer.writerow(refund_line)
    imported = run_cli(["import", "settlement", str(later), "--user", "a-admin"], url)
    assert imported.returncode == 0, imported.stderr
    assert "1 recovery action(s) confirmed" in imported.stdout + imported.stderr
    shown = json.loads(run_cli(["case", "show", number, "--format", "json", "--user", "a-admin"], url).stdout)
    assert shown["state"] == "RESOLVED"
    assert shown["amount_recovered"] == stake
    assert [(a["kind"], a["state"], a["idempotency_key"]) for a in shown["actions"]] == [("REFUND", "CONFIRMED", "k1")]
    assert run_cli(["ledger", "verify"], url).returncode == 0


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) is installed by make test")
def test_sample_undercharge_qr_is_read_by_an_independent_reader(stored_samples: Path, settings: Settings,
                                                               tmp_path: Path) -> None:
    import subprocess

    from recoup.recovery.emvqr import read_payment_request

    url = settings.resolved_database_url
    assert run_cli(["reconcile", "--db", "--save", "--user", "a-admin"], url).returncode == 0
    case = _case_of(url, "UNDERCHARGE")
    png = tmp_path / "qr.png"
    made = run_cli(["case", "collect", str(case["number"]), "--amount", str(case["amount_at_stake"]),
                    "--idempotency-key", "qr1", "--qr", str(png), "--user", "a-admin"], url)
    assert made.returncode == 0, made.stderr
    payload = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True,
                             check=True).stdout.strip()
    request = read_payment_request(payload)  # validates the CRC
    assert request.bill_number == case["number"]
    assert request.amount.major == case["amount_at_stake"]
