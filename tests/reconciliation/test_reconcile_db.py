"""`recoup reconcile --db [--save]` over stored data, and the findings inbox (API and page)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.support.cli import run_cli
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
