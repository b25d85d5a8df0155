"""The public samples: exactly the expected findings, and the same bytes whatever the file form."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from tests.support.samples import RECON

from recoup.reconciliation.service import reconcile_files

SAMPLES = RECON
KEY = b"sample-key"
CHINESE = {"SALE": "消费", "VOID": "撤销", "REFUND": "退货", "REVERSAL": "冲正", "PREAUTH": "预授权",
           "PREAUTH_COMPLETE": "预授权完成", "APPROVED": "成功", "DECLINED": "拒绝", "FAILED": "失败",
           "TIMEOUT": "超时"}
INPUTS = ("orders", "journal", "settlement", "merchants")

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="the public samples are not on this machine")


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def reconcile(folder: Path, out: Path) -> Path:
    reconcile_files(folder / "orders.csv", folder / "journal.csv", folder / "settlement.csv",
                    folder / "merchants.csv", out, card_key=KEY)
    return out


def matches_expected(findings: list[dict[str, str]], expected: list[dict[str, str]]) -> list[str]:
    """Problems: expected findings missing (or with a wrong cause), and findings not expected."""
    problems = []
    left = list(findings)
    for want in expected:
        keys = {want["key"], *filter(None, want["alt_keys"].split("|"))}
        causes = {want["cause"], *filter(None, want["alt_causes"].split("|"))}
        hits = [f for f in left if f["kind"] == want["kind"]
                and (f["order_no"] if f["kind"] == "UNPAID_ORDER" else f["rrn"]) in keys]
        if not hits:
            problems.append(f"missing {want['kind']} {want['key']}")
            continue
        left.remove(hits[0])
        if want["kind"] in ("OVERCHARGE", "UNDERCHARGE") and hits[0]["cause"] not in causes:
            problems.append(f"cause of {want['key']}: {hits[0]['cause']} not {want['cause']}")
    problems += [f"extra {f['kind']} {f['rrn'] or f['order_no']}" for f in left]
    return problems


def write_variant(target: Path, *, encoding: str, seed: int | None, chinese: bool) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for name in INPUTS:
        columns, rows = read_rows(SAMPLES / f"{name}.csv")
        if seed is not None:
            rng.shuffle(rows)
            columns = rng.sample(columns, len(columns))
        if chinese:
            rows = [{k: CHINESE.get(v, v) if k in ("txn_type", "status") else v for k, v in row.items()}
                    for row in rows]
        with (target / f"{name}.csv").open("w", encoding=encoding, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\r\n" if seed else "\n")
            writer.writeheader()
            writer.writerows(rows)
    return target


@pytest.fixture(scope="module")
def plain_output(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return reconcile(SAMPLES, tmp_path_factory.mktemp("plain") / "findings.csv").read_bytes()


def test_samples_yield_exactly_the_expected_findings(tmp_path: Path, plain_output: bytes) -> None:
    out = tmp_path / "findings.csv"
    out.write_bytes(plain_output)
    _, findings = read_rows(out)
    _, expected = read_rows(SAMPLES / "expected_findings.csv")
    assert matches_expected(findings, expected) == []


def test_output_header_and_order(plain_output: bytes) -> None:
    lines = plain_output.decode("utf-8").splitlines()
    assert lines[0] == ("finding_id,kind,cause,merchant_id,terminal_id,rrn,related_rrn,order_no,charged_amount,"
                        "expected_amount,difference,currency,confidence,explanation")
    rows = list(csv.DictReader(lines))
    assert [(r["kind"], r["rrn"], r["order_no"]) for r in rows] == sorted((r["kind"], r["rrn"], r["order_no"])
                                                                           for r in rows)
    assert len({r["finding_id"] for r in rows}) == len(rows)


@pytest.mark.parametrize(("encoding", "seed", "chinese"), [
    ("utf-8", 1, False),
    ("utf-8-sig", None, False),
    ("gb18030", None, False),
    ("gb18030", 2, True),
    ("utf-8-sig", 3, True),
])
def test_same_bytes_whatever_the_form_of_the_files(tmp_path: Path, plain_output: bytes, encoding: str,
                                                   seed: int | None, chinese: bool) -> None:
    folder = write_variant(tmp_path / "in", encoding=encoding, seed=seed, chinese=chinese)
    assert reconcile(folder, tmp_path / "findings.csv").read_bytes() == plain_output
