"""In-memory DuckDB work spills to a private folder, never to a `.tmp` folder where the command started."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from recoup.transactions.duck import scalar, spilling_memory


def test_overflow_goes_to_a_private_folder_removed_afterwards(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with spilling_memory("50MB") as con:
        folder = Path(scalar(con, "SELECT current_setting('temp_directory')"))
        assert folder.name.startswith("recoup-spill-")
        assert folder.is_dir()
        con.execute("SET preserve_insertion_order = true")
        con.execute("CREATE TABLE big AS SELECT i, hash(i) AS h FROM range(6000000) t(i) ORDER BY h")
        assert scalar(con, "SELECT count(*) FROM big") == 6_000_000
    assert not folder.exists()
    assert os.listdir(tmp_path) == []  # nothing left where the command was started


def test_a_named_spill_folder_is_used_as_given(tmp_path: Path) -> None:
    with spilling_memory("1GB", str(tmp_path / "spill")) as con:
        assert scalar(con, "SELECT current_setting('temp_directory')") == str(tmp_path / "spill")
