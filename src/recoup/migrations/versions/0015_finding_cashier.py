"""finding cashier: the cashier of each finding's transaction, kept on the finding

The reports count errors per cashier and list the cashiers with repeated keying errors; they read the cashier
of each finding from its journal line (same tenant, merchant, terminal and RRN), which at a year of an
acquirer meant hundreds of thousands of lookups per report. The cashier is now stored when the finding is
saved (and when a run saves it again while none is known); the findings already stored get theirs here.
Two indexes let the reports group a period's findings per terminal and per cashier without reading the table.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE ... ADD COLUMN on both engines: no copy of the table (cases and events refer to it)
    op.add_column('findings', sa.Column('cashier_id', sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE findings SET cashier_id = (SELECT min(line.cashier_id) FROM journal_lines AS line "
        "WHERE line.tenant_id = findings.tenant_id AND line.rrn = findings.rrn "
        "AND line.terminal_id = findings.terminal_id AND line.merchant_id = findings.merchant_id "
        "AND line.cashier_id <> '') WHERE findings.rrn <> ''")
    op.create_index('ix_findings_report_terminal', 'findings',
                    ['tenant_id', 'currency', 'merchant_id', 'terminal_id', 'txn_time', 'first_seen_at'])
    op.create_index('ix_findings_report_cashier', 'findings',
                    ['tenant_id', 'currency', 'merchant_id', 'cashier_id', 'txn_time', 'first_seen_at', 'cause'])


def downgrade() -> None:
    op.drop_index('ix_findings_report_cashier', table_name='findings')
    op.drop_index('ix_findings_report_terminal', table_name='findings')
    with op.batch_alter_table('findings') as batch:
        batch.drop_column('cashier_id')
