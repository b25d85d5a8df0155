"""0014 keeps on each run what it read; the runs the import page started before 0014 told it only in their
audit entry, which the upgrade copies onto the run, so the imports list still says they were reconciled."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from tests.support.old_schema import add_run, add_tenant

from recoup.migrations.runner import upgrade


def test_the_upgrade_copies_the_days_a_page_run_read_from_its_audit_entry(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0013")
    with engine.begin() as connection:
        add_tenant(connection)
        for run_id in (1, 2):
            add_run(connection, run_id)
        facts = {"run_id": 2, "date_from": "2026-10-15", "date_to": "2026-10-16", "merchants": ["M2", "M1"],
                 "findings": 3, "new": 1}
        for seq, (action, after) in enumerate([("reconciliation.import_days", facts),
                                               ("reconciliation.import_days", {"unexpected": "shape"}),
                                               ("case.note", {"run_id": 1, "date_from": "2026-10-01",
                                                              "date_to": "2026-10-01", "merchants": ["M1"]})], 1):
            connection.execute(text(
                "INSERT INTO audit_entries (seq, at, tenant_id, actor, action, object_type, object_id, after, "
                "origin, prev_hash, hash, note, key_id) VALUES (:seq, '2026-10-17 04:00:00', 1, 'ops', :action, "
                "'import_batch', '7', :after, 'web', :zero, :zero, '', '')"),
                {"seq": seq, "action": action, "after": json.dumps(after), "zero": "0" * 64})
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, over_stored, read_from, read_to, read_merchants "
                                       "FROM reconciliation_runs ORDER BY id")).all()
    engine.dispose()
    assert rows[0][1:] == (0, None, None, None)  # a run no page entry speaks of: read nothing stored, as far as known
    assert rows[1][0] == 2
    assert bool(rows[1][1]) is True
    assert (date.fromisoformat(rows[1][2]), date.fromisoformat(rows[1][3])) == (date(2026, 10, 15), date(2026, 10, 16))
    assert json.loads(rows[1][4]) == ["M1", "M2"]
