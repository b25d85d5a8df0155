"""Merchants and terminals files: registered under the importer's tenant, updated when they change.

These files are small (a registry, not a stream of transactions), so each row is checked against
the database one by one: an id another tenant holds is refused, never taken over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.merchants.models import Merchant, Terminal
from recoup.transactions.rejects import Reject, line_of_row
from recoup.transactions.staging import GOOD

MERCHANT_FIELDS = ("name", "mcc", "timezone")
TERMINAL_FIELDS = ("merchant_id", "model", "serial", "firmware", "location", "installed_at", "last_maintenance_at")


@dataclass
class RegistryOutcome:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    left_out: int = 0
    rejects: list[Reject] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return len(self.added) + len(self.updated)


def _rows(con: duckdb.DuckDBPyConnection, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    cursor = con.execute(f"SELECT line_no - 2 AS row_index, {', '.join(columns)} FROM {GOOD} ORDER BY line_no")
    names = ["row_index", *columns]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _apply(target: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


def _register(session: Session, principal: Principal, outcome: RegistryOutcome, line: int, model: Any,
              id_column: str, object_id: str, values: dict[str, Any]) -> None:
    """Add the merchant or terminal, or update it when it is the importer's tenant's; another tenant's is refused."""
    existing = session.get(model, object_id)
    if existing is None:
        session.add(model(**{id_column: object_id}, tenant_id=principal.tenant_id, **values))
        outcome.added.append(object_id)
    elif existing.tenant_id != principal.tenant_id:
        noun = id_column.removesuffix("_id")
        outcome.rejects.append(Reject(line, id_column, f"{noun} {object_id} is registered elsewhere"))
    elif _apply(existing, values):
        outcome.updated.append(object_id)
    else:
        outcome.unchanged += 1


def import_merchants(session: Session, principal: Principal, tenant_code: str, con: duckdb.DuckDBPyConnection,
                     skipped: list[int], *, leave_out_others: bool, default_timezone: str) -> RegistryOutcome:
    outcome = RegistryOutcome()
    for row in _rows(con, ("merchant_id", "name", "mcc", "timezone", "tenant")):
        line = line_of_row(int(row["row_index"]), skipped)
        merchant_id = str(row["merchant_id"])
        named_tenant = (row["tenant"] or "").strip()
        if named_tenant and named_tenant != tenant_code:
            if leave_out_others:
                outcome.left_out += 1
            else:
                outcome.rejects.append(Reject(line, "tenant", f"tenant {named_tenant} is not yours ({tenant_code}); "
                                                              f"--tenant {tenant_code} leaves such rows out"))
            continue
        values = {"name": row["name"] or merchant_id, "mcc": row["mcc"],
                  "timezone": row["timezone"] or default_timezone}
        _register(session, principal, outcome, line, Merchant, "merchant_id", merchant_id, values)
    session.flush()
    return outcome


def import_terminals(session: Session, principal: Principal, con: duckdb.DuckDBPyConnection, skipped: list[int],
                     *, visible_merchants: set[str], leave_out_others: bool) -> RegistryOutcome:
    outcome = RegistryOutcome()
    for row in _rows(con, ("terminal_id", *TERMINAL_FIELDS)):
        line = line_of_row(int(row["row_index"]), skipped)
        terminal_id = str(row["terminal_id"])
        if row["merchant_id"] not in visible_merchants:
            if leave_out_others:
                outcome.left_out += 1
            else:
                outcome.rejects.append(Reject(line, "merchant_id",
                                              f"merchant {row['merchant_id']} is not one of your merchants"))
            continue
        values: dict[str, Any] = {name: row[name] or "" for name in TERMINAL_FIELDS[:5]}
        values |= {name: _date(row[name]) for name in TERMINAL_FIELDS[5:]}
        _register(session, principal, outcome, line, Terminal, "terminal_id", terminal_id, values)
    session.flush()
    return outcome


def _date(value: object) -> date | None:
    return value if isinstance(value, date) else None
