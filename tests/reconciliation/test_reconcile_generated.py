"""Generated data sets (recoup.demo.generator) with planted findings and hard negatives."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from recoup.reconciliation.service import reconcile_files

generator = pytest.importorskip("recoup.demo.generator")


def findings_of(folder: Path, out: Path) -> list[dict[str, str]]:
    reconcile_files(folder / "orders.csv", folder / "journal.csv", folder / "settlement.csv",
                    folder / "merchants.csv", out, card_key=b"generated-key")
    with out.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def expected_of(folder: Path) -> list[dict[str, str]]:
    with (folder / "expected_findings.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def problems(findings: list[dict[str, str]], expected: list[dict[str, str]]) -> list[str]:
    found = []
    left = list(findings)
    for want in expected:
        keys = {want["key"], *filter(None, want.get("alt_keys", "").split("|"))}
        causes = {want["cause"], *filter(None, want.get("alt_causes", "").split("|"))}
        hits = [f for f in left if f["kind"] == want["kind"]
                and (f["order_no"] if f["kind"] == "UNPAID_ORDER" else f["rrn"]) in keys]
        if not hits:
            found.append(f"missing {want['kind']} {want['key']}")
            continue
        left.remove(hits[0])
        if want["kind"] in ("OVERCHARGE", "UNDERCHARGE") and hits[0]["cause"] not in causes:
            found.append(f"cause of {want['key']}: {hits[0]['cause']} not {want['cause']}")
    return found + [f"extra {f['kind']} {f['rrn'] or f['order_no']}" for f in left]


@pytest.mark.parametrize("seed", [11, 12])
def test_generated_data_yields_exactly_the_planted_findings(tmp_path: Path, seed: int) -> None:
    dataset = generator.generate(seed=seed, orders=400)
    generator.write_dataset(dataset, tmp_path / "in")
    assert problems(findings_of(tmp_path / "in", tmp_path / "out.csv"), expected_of(tmp_path / "in")) == []


def test_generated_data_gives_the_same_bytes_in_every_form(tmp_path: Path) -> None:
    dataset = generator.generate(seed=13, orders=300)
    generator.write_dataset(dataset, tmp_path / "plain")
    plain = findings_of(tmp_path / "plain", tmp_path / "plain.csv")
    assert problems(plain, expected_of(tmp_path / "plain")) == []
    generator.write_dataset(dataset, tmp_path / "mixed", encoding="gb18030", shuffle_seed=5, chinese_aliases=True,
                            shuffle_columns=True)
    findings_of(tmp_path / "mixed", tmp_path / "mixed.csv")
    assert (tmp_path / "mixed.csv").read_bytes() == (tmp_path / "plain.csv").read_bytes()
