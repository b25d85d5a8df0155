"""`recoup reconcile` as a user runs it: summary on stdout, warnings on stderr, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from recon_cases import Case, run
from typer.testing import CliRunner

from recoup.errors import RecoupError
from recoup.reconciliation.cli import register


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()
    register(root)

    @root.callback()
    def main() -> None:
        """Recoup."""

    return root


def write_case(folder: Path) -> Path:
    case = Case()
    case.paid("O-1", "000000000001", "10.00", "10:00")
    case.orders[0]["expected_amount"] = "1.00"
    run(case, folder)  # writes the input files
    return folder


def test_summary_counts_per_kind_and_file_written(app: typer.Typer, tmp_path: Path) -> None:
    folder = write_case(tmp_path)
    out = tmp_path / "result.csv"
    result = CliRunner().invoke(app, ["reconcile", "--orders", str(folder / "orders.csv"),
                                      "--journal", str(folder / "journal.csv"),
                                      "--settlement", str(folder / "settlement.csv"), "--out", str(out),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    counts = {row["kind"]: row["findings"] for row in json.loads(result.stdout)}
    assert counts["OVERCHARGE"] == 1
    assert sum(counts.values()) == 1
    assert out.read_text(encoding="utf-8").count("\n") == 2


def test_stored_data_options_need_db(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["reconcile", "--save"])
    assert isinstance(result.exception, RecoupError)
    assert result.exception.message == "--save, --merchant, --from and --to work on stored data: add --db"


def test_missing_files_are_named(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["reconcile", "--orders", str(tmp_path / "o.csv")])
    assert isinstance(result.exception, RecoupError)
    assert "--journal, --settlement, --out" in result.exception.message


def test_bad_input_names_line_and_column_and_writes_nothing(app: typer.Typer, tmp_path: Path) -> None:
    folder = write_case(tmp_path)
    journal = folder / "journal.csv"
    journal.write_text(journal.read_text(encoding="utf-8").replace(",10.00,", ",-10.00,"), encoding="utf-8")
    out = tmp_path / "result.csv"
    result = CliRunner().invoke(app, ["reconcile", "--orders", str(folder / "orders.csv"), "--journal", str(journal),
                                      "--settlement", str(folder / "settlement.csv"), "--out", str(out)])
    assert isinstance(result.exception, RecoupError)
    assert "line 2, column amount: negative amount '-10.00'" in result.exception.message
    assert not out.exists()
