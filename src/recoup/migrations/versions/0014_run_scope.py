"""run scope: what a reconciliation run over the stored data read (days and merchants)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

The runs started from the import page recorded their days in an audit entry
(`reconciliation.import_days`); they are copied onto their runs, so the imports list keeps saying
which imports were reconciled.
"""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

JOB_ACTION = 'reconciliation.import_days'


def upgrade() -> None:
    # ALTER TABLE ... ADD COLUMN on both engines: no copy of the table (findings refer to it)
    op.add_column('reconciliation_runs', sa.Column('over_stored', sa.Boolean(), nullable=False,
                                                   server_default=sa.false()))
    op.add_column('reconciliation_runs', sa.Column('read_from', sa.Date(), nullable=True))
    op.add_column('reconciliation_runs', sa.Column('read_to', sa.Date(), nullable=True))
    op.add_column('reconciliation_runs', sa.Column('read_merchants', sa.JSON(), nullable=True))
    _copy_page_runs()


def _copy_page_runs() -> None:
    connection = op.get_bind()
    runs = sa.table('reconciliation_runs', sa.column('id', sa.Integer), sa.column('over_stored', sa.Boolean),
                    sa.column('read_from', sa.Date), sa.column('read_to', sa.Date),
                    sa.column('read_merchants', sa.JSON))
    entries = connection.execute(sa.text("SELECT after FROM audit_entries WHERE action = :action ORDER BY seq"),
                                 {"action": JOB_ACTION})
    for (after,) in entries:
        facts = json.loads(after) if isinstance(after, str) else dict(after or {})
        try:
            values = {"over_stored": True, "read_from": date.fromisoformat(str(facts["date_from"])),
                      "read_to": date.fromisoformat(str(facts["date_to"])),
                      "read_merchants": sorted(str(m) for m in facts["merchants"])}
            run_id = int(facts["run_id"])
        except (KeyError, TypeError, ValueError):
            continue  # an entry of another shape tells no days
        connection.execute(runs.update().where(runs.c.id == run_id).values(**values))


def downgrade() -> None:
    with op.batch_alter_table('reconciliation_runs') as batch:
        batch.drop_column('read_merchants')
        batch.drop_column('read_to')
        batch.drop_column('read_from')
        batch.drop_column('over_stored')
