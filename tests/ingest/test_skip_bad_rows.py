"""`--skip-bad-rows` through a profile: the good lines are imported, the bad ones (those the profile cannot
read and those the importer refuses) are reported and copied by the line and column of the ORIGINAL file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.ingest.test_cli import STATEMENTS, settlement_count
from tests.ingest.test_web import log_in
from tests.support.cli import run_in_process
from tests.support.factories import World

from recoup.transactions.models import ImportBatch


def _bad_bill(tmp_path: Path) -> Path:
    lines = (STATEMENTS / "wallet-bill.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace("`付款", "`调账")  # line 3: a type the profile cannot map
    lines[4] = lines[4].replace("`61027889", "`6102")  # line 5: a terminal id the importer refuses
    path = tmp_path / "bill.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_skip_bad_rows_with_a_profile_imports_the_good_lines_and_names_the_original_ones(
        world: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = _bad_bill(tmp_path)
    refused = run_in_process(["import", "settlement", str(path), "--profile", "wallet-bill"], database_url,
                             monkeypatch, capsys)
    assert refused.code == 1
    assert "line 3, column 交易类型: '调账'" in refused.err
    assert settlement_count(world) == 0
    rejects = tmp_path / "bad.csv"
    ran = run_in_process(["import", "settlement", str(path), "--profile", "wallet-bill", "--skip-bad-rows",
                          "--rejects", str(rejects)], database_url, monkeypatch, capsys)
    assert ran.code == 0, ran.err
    assert settlement_count(world) == 10  # 12 detail lines, 2 bad; the summary (12 lines) still agrees
    with world.database.unit_of_work() as session:
        assert session.execute(select(ImportBatch.rows, ImportBatch.rejected)).one() == (10, 2)
    assert "rejected: line 3, column 交易类型: '调账' is not in the profile's value map" in ran.out
    assert "rejected: line 5, column 设备号: must be 8 characters" in ran.out
    copied = list(csv.reader(rejects.open(encoding="utf-8")))
    assert copied[0][-3:] == ["reject_line", "reject_column", "reject_reason"]
    assert [row[-3:-1] for row in copied[1:]] == [["3", "交易类型"], ["5", "设备号"]]
    assert copied[1][5] == "464696392975"  # the original cells, without their backtick
    assert copied[2][4] == "6102"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_statement_page_imports_the_good_rows_when_asked(world: World, client: TestClient,
                                                             tmp_path: Path) -> None:
    csrf = log_in(client, "en")
    upload = client.post("/imports/statement", data={"kind": "settlement", "profile": "wallet-bill",
                                                     "csrf_token": csrf},
                         files={"file": ("bill.csv", _bad_bill(tmp_path).read_bytes())})
    assert upload.status_code == 422
    assert "cannot read these lines" in upload.text
    rejects = upload.text.split('data-testid="import-rejects"')[1].split("</table>")[0]
    assert "<td>3</td><td>交易类型</td>" in rejects
    assert 'data-testid="statement-skip-bad-rows" checked' in upload.text
    action = upload.text.split('action="/imports/statement/')[1].split('"')[0]
    all_or_nothing = client.post(f"/imports/statement/{action}", data={"profile": "wallet-bill", "csrf_token": csrf})
    assert all_or_nothing.status_code == 422
    assert settlement_count(world) == 0
    done = client.post(f"/imports/statement/{action}", data={"profile": "wallet-bill", "csrf_token": csrf,
                                                           "skip_bad_rows": "true"})
    assert done.status_code == 200, done.text
    assert 'data-testid="import-imported">10<' in done.text
    assert "设备号" in done.text
    assert settlement_count(world) == 10
