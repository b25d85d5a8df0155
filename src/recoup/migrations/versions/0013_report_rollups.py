"""reports: monthly journal rollups and the flagged lines of the fraud-like prevention lists

The rollups are emptied and their watermark reset: the next refresh (recoup.reports.rollup.refresh) builds
days, months and flagged lines together from the first journal line. Until then the readers count the
lines past the watermark directly, so every number stays exact (only slower).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import recoup.db

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
CODE8 = sa.String(length=8).with_variant(sa.String(length=8, collation='C'), 'postgresql')
CODE12 = sa.String(length=12).with_variant(sa.String(length=12, collation='C'), 'postgresql')
CODE15 = sa.String(length=15).with_variant(sa.String(length=15, collation='C'), 'postgresql')


def _key() -> list[sa.Column[object]]:
    return [sa.Column('tenant_id', ID, autoincrement=False, nullable=False),
            sa.Column('local_date', sa.Date(), nullable=False),
            sa.Column('currency', sa.String(length=3), nullable=False),
            sa.Column('merchant_id', CODE15, nullable=False)]


def upgrade() -> None:
    op.execute('DELETE FROM report_terminal_days')
    op.execute('DELETE FROM report_cashier_days')
    op.execute('DELETE FROM report_rollup_watermark')
    op.create_table('report_terminal_months', *_key(),
    sa.Column('terminal_id', CODE8, nullable=False),
    sa.Column('lines', ID, nullable=False),
    sa.Column('sales', ID, nullable=False),
    sa.Column('sales_minor', ID, nullable=False),
    sa.Column('refunds', ID, nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'local_date', 'currency', 'merchant_id', 'terminal_id',
                            name=op.f('pk_report_terminal_months'))
    )
    op.create_table('report_cashier_months', *_key(),
    sa.Column('cashier_id', sa.String(length=32), nullable=False),
    sa.Column('lines', ID, nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'local_date', 'currency', 'merchant_id', 'cashier_id',
                            name=op.f('pk_report_cashier_months'))
    )
    op.create_table('report_flagged_lines',
    sa.Column('pattern', sa.String(length=12), nullable=False),
    sa.Column('line_id', ID, autoincrement=False, nullable=False),
    sa.Column('other_id', ID, autoincrement=False, nullable=False),
    sa.Column('tenant_id', ID, nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('merchant_id', CODE15, nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.String(length=19), nullable=False),
    sa.Column('rrn', CODE12, nullable=False),
    sa.Column('moment', recoup.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('other_moment', recoup.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('amount_minor', ID, nullable=False),
    sa.PrimaryKeyConstraint('pattern', 'line_id', 'other_id', name=op.f('pk_report_flagged_lines'))
    )
    with op.batch_alter_table('report_flagged_lines', schema=None) as batch_op:
        batch_op.create_index('ix_report_flagged_lines_day', ['tenant_id', 'pattern', 'currency', 'local_date'],
                              unique=False)
        batch_op.create_index('ix_report_flagged_lines_amount', ['tenant_id', 'pattern', 'currency', 'amount_minor'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_flagged_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_report_flagged_lines_amount')
        batch_op.drop_index('ix_report_flagged_lines_day')
    op.drop_table('report_flagged_lines')
    op.drop_table('report_cashier_months')
    op.drop_table('report_terminal_months')
    # The daily rollups were emptied on the way up: rebuilt from the first line by the next refresh.
    op.execute('DELETE FROM report_rollup_watermark')
    op.execute('DELETE FROM report_terminal_days')
    op.execute('DELETE FROM report_cashier_days')
