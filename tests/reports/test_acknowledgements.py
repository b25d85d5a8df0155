"""Prevention acknowledgements in their own table (issue 14): written with their audit entry, read by the
lists, and the acknowledgements that were only audit entries before migration 0012 copied over by it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, select, text
from tests.reports.prevention_world import FIRST, LAST, MERCHANT, NOW, T1, generate, store
from tests.support.factories import World

from recoup.audit.models import AuditEntry
from recoup.auth.models import User
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.migrations.runner import upgrade
from recoup.reports.models import PreventionAcknowledgement
from recoup.reports.prevention import acknowledge
from recoup.reports.service import prevention


def test_an_acknowledgement_is_a_row_and_an_audit_entry(world: World) -> None:
    store(world, generate(3))
    with world.database.unit_of_work() as session:
        user = session.execute(select(User).where(User.username == World.username("A", Role.ADMIN))).scalar_one()
        admin = principal_for(session, user, "test")
    key = f"maintenance:{MERCHANT}:{T1}"
    with world.database.unit_of_work() as session:
        acknowledge(session, admin, key, "first look, card 4111111111111111", NOW)
    with world.database.unit_of_work() as session:
        acknowledge(session, admin, key, "serviced", NOW.replace(hour=5))
    with world.database.unit_of_work() as session:
        rows = session.execute(select(PreventionAcknowledgement).order_by(PreventionAcknowledgement.id)).scalars().all()
        audited = session.execute(select(AuditEntry.seq).where(AuditEntry.action == "prevention.acknowledge")
                                  .order_by(AuditEntry.seq)).scalars().all()
        _, listed = prevention(session, admin, FIRST, LAST, now=NOW)
    assert [(row.list_key, row.merchant_id, row.entry_key) for row in rows] == [("maintenance", MERCHANT, key)] * 2
    assert [row.audit_seq for row in rows] == audited
    assert "4111111111111111" not in rows[0].note  # the note is kept as the audit trail keeps it: masked
    shown = {row.key: row for row in listed}[key]
    assert (shown.acknowledged_by, shown.note) == (admin.username, "serviced")  # the latest one


def test_the_migration_copies_acknowledgements_kept_as_audit_entries(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0011")
    at = datetime(2026, 3, 12, 2, 0, tzinfo=UTC).isoformat()
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO tenants (id, code, name, created_at) VALUES (7, 'T', 'T', :at)"),
                           {"at": at})
        connection.execute(text(
            "INSERT INTO audit_entries (seq, at, tenant_id, actor, action, object_type, object_id, origin, prev_hash,"
            " hash, note, key_id) VALUES (1, :at, 7, 'a-admin', 'prevention.acknowledge', 'prevention_entry',"
            " 'training:898301054111439:C7', 'web', '', 'h', 'trained on 2026-03-11', ''),"
            " (2, :at, 7, 'a-admin', 'case.open', 'case', 'RC-1', 'web', 'h', 'h2', '', '')"), {"at": at})
    upgrade(engine, "0012")
    with engine.connect() as connection:
        copied = connection.execute(text(
            "SELECT tenant_id, list_key, merchant_id, entry_key, note, acknowledged_by, audit_seq"
            " FROM prevention_acknowledgements")).all()
    engine.dispose()
    assert [tuple(row) for row in copied] == [
        (7, "training", "898301054111439", "training:898301054111439:C7", "trained on 2026-03-11", "a-admin", 1)]
