"""Rows written straight into a database at an older schema revision, for the upgrade tests (tests/migrations)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

SAVED_AT = "2026-10-17 04:00:00"


def add_tenant(connection: Connection, tenant_id: int = 1) -> None:
    connection.execute(text("INSERT INTO tenants (id, code, name, created_at) VALUES (:id, :code, :code, "
                            "'2026-10-17 00:00:00')"), {"id": tenant_id, "code": chr(ord("A") + tenant_id - 1)})


def add_run(connection: Connection, run_id: int, *, tenant_id: int = 1, findings: int = 3, new: int = 1,
            opened: int = 1) -> None:
    """A saved reconciliation run (its counts as the upgrade tests need them)."""
    connection.execute(text(
        "INSERT INTO reconciliation_runs (id, tenant_id, run_by, saved_at, finding_count, new_findings, "
        "cases_opened, cases_joined, skipped) VALUES (:id, :tenant, 'ops', :at, :findings, :new, :opened, 0, 0)"),
        {"id": run_id, "tenant": tenant_id, "at": SAVED_AT, "findings": findings, "new": new, "opened": opened})
