"""Fixtures of the transaction tests: an in-memory DuckDB connection for the CSV reader."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory DuckDB, closed after the test."""
    connection = duckdb.connect()
    yield connection
    connection.close()
