"""`recoup reconcile --engine spark`: the same rules on Apache Spark write the same findings, byte for byte.

One Spark session (local[2], the system's JRE) serves the module, which one test worker runs whole (make test's
--dist loadfile): starting a JVM costs seconds, and its first run pays the JIT's warm-up (twice a second run's time).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.cli import Ran, run_in_process
from tests.support.samples import RECON

from recoup.demo.large import write_large
from recoup.reconciliation.service import reconcile_files
from recoup.reconciliation.spark_engine import SparkUnavailable, spark_session
from recoup.reconciliation.spark_files import reconcile_files_on_spark, stage_relations

pyspark = pytest.importorskip("pyspark")
KEY = b"spark-test-card-key-32-bytes-long!"


# Spark compiles Java code for every expression of every query it plans (Janino), which on the tests' tiny inputs
# costs far more than running them: interpreted expressions (an internal setting Spark's own tests use) took the
# samples' two runs from 57 + 36 s to 46 + 24 s here. The same results either way; a production session keeps
# code generation, which pays off on real volumes. The command-line test's session is this one (getOrCreate).
INTERPRETED_EXPRESSIONS = ("spark.sql.codegen.factoryMode", "NO_CODEGEN")


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    session = spark_session("local[2]")
    session.conf.set(*INTERPRETED_EXPRESSIONS)
    yield session
    session.stop()


def test_the_samples_give_byte_identical_findings_from_the_command_line(
        tmp_path: Path, spark: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def reconcile(engine: str) -> Ran:
        files = [f"--{name}={RECON / name}.csv" for name in ("orders", "journal", "settlement", "merchants")]
        return run_in_process(["reconcile", *files, f"--out={tmp_path / engine}.csv", f"--engine={engine}",
                               "--format=json"], f"sqlite:///{tmp_path / 'unused.db'}", monkeypatch, capsys)

    duck, on_spark = reconcile("duckdb"), reconcile("spark")
    assert (duck.code, on_spark.code) == (0, 0), on_spark.err
    assert (tmp_path / "spark.csv").read_bytes() == (tmp_path / "duckdb.csv").read_bytes()
    assert len((tmp_path / "spark.csv").read_bytes().splitlines()) == 40  # the header and the samples' 39
    assert on_spark.out == duck.out  # the same counts per kind
    assert "Traceback" not in on_spark.err


def test_a_generated_set_read_from_parquet_relations_gives_byte_identical_findings(tmp_path: Path,
                                                                                   spark: object) -> None:
    """Parquet relations (what a cluster's storage holds) go to Spark as they are."""
    files = write_large(tmp_path / "large", 2000, seed=7)
    inputs = (files["orders"], files["journal"], files["settlement"], files["merchants"])
    duck = reconcile_files(*inputs, tmp_path / "duckdb.csv", card_key=KEY)
    relations = tmp_path / "relations"
    relations.mkdir()
    stage_relations(relations, dict(zip(("orders", "journal", "settlement", "merchants"), inputs, strict=True)),
                    KEY, lambda _label: None)
    orders, journal, settlement, merchants = (relations / f"{name}.parquet"
                                              for name in ("orders", "journal", "settlement", "merchants"))
    reconcile_files_on_spark(orders, journal, settlement, merchants, tmp_path / "spark.csv", card_key=KEY)
    assert (tmp_path / "spark.csv").read_bytes() == (tmp_path / "duckdb.csv").read_bytes()
    kinds = Counter(row["kind"] for row in csv.DictReader((tmp_path / "spark.csv").open(encoding="utf-8")))
    assert sum(kinds.values()) == duck.total > 0
    assert len(kinds) >= 5, kinds


def test_a_master_that_cannot_be_reached_is_named_at_once() -> None:
    with pytest.raises(SparkUnavailable, match=r"cannot reach the Spark master spark://127\.0\.0\.1:9"):
        spark_session("spark://127.0.0.1:9")


def test_spark_leaves_no_warehouse_folder_where_the_command_started(spark: Any) -> None:
    warehouse = spark.conf.get("spark.sql.warehouse.dir")
    assert "recoup-spark-warehouse" in warehouse
    assert str(Path.cwd()) not in warehouse


def test_a_local_session_runs_each_query_as_planned(spark: Any) -> None:
    """Adaptive execution (a job per query stage, planned again between them) is off on one machine: it halved
    the samples' first run; a cluster's session keeps Spark's default."""
    assert spark.conf.get("spark.sql.adaptive.enabled") == "false"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"
