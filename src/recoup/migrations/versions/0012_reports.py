"""reports: prevention acknowledgements, report schedules, daily rollups and their indexes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import recoup.db

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
CODE15 = sa.String(length=15).with_variant(sa.String(length=15, collation='C'), 'postgresql')
ACK_ACTION = 'prevention.acknowledge'


def upgrade() -> None:
    op.create_table('outbox_attachments',
    sa.Column('id', ID, nullable=False),
    sa.Column('message_id', ID, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', recoup.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['outbox_messages.id'],
                            name=op.f('fk_outbox_attachments_message_id_outbox_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_attachments'))
    )
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_attachments_message_id'), ['message_id'], unique=False)

    op.create_table('report_schedules',
    sa.Column('id', ID, nullable=False),
    sa.Column('tenant_id', ID, nullable=False),
    sa.Column('merchant_id', sa.String(length=15), nullable=True),
    sa.Column('scope', sa.String(length=15), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('hour', ID, nullable=False),
    sa.Column('minute', ID, nullable=False),
    sa.Column('weekday', ID, nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('last_period', sa.String(length=40), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.Column('updated_at', recoup.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.merchant_id'],
                            name=op.f('fk_report_schedules_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_report_schedules_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_schedules')),
    sa.UniqueConstraint('tenant_id', 'scope', 'frequency', name='uq_report_schedules_scope')
    )
    with op.batch_alter_table('report_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_schedules_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('report_periods_sent',
    sa.Column('id', ID, nullable=False),
    sa.Column('schedule_id', ID, nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('recipients', ID, nullable=False),
    sa.Column('queued_at', recoup.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['report_schedules.id'],
                            name=op.f('fk_report_periods_sent_schedule_id_report_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_periods_sent')),
    sa.UniqueConstraint('schedule_id', 'period', name='uq_report_periods_sent_schedule_period')
    )

    op.create_table('prevention_acknowledgements',
    sa.Column('id', ID, nullable=False),
    sa.Column('tenant_id', ID, nullable=False),
    sa.Column('list_key', sa.String(length=20), nullable=False),
    sa.Column('merchant_id', sa.String(length=15), nullable=False),
    sa.Column('entry_key', sa.String(length=120), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('acknowledged_by', sa.String(length=120), nullable=False),
    sa.Column('acknowledged_at', recoup.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('audit_seq', ID, nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                            name=op.f('fk_prevention_acknowledgements_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prevention_acknowledgements'))
    )
    with op.batch_alter_table('prevention_acknowledgements', schema=None) as batch_op:
        batch_op.create_index('ix_prevention_acknowledgements_tenant_key', ['tenant_id', 'entry_key'], unique=False)
    _copy_audited_acknowledgements()

    op.create_table('report_rollup_watermark',
    sa.Column('id', ID, autoincrement=False, nullable=False),
    sa.Column('last_id', ID, nullable=False),
    sa.Column('updated_at', recoup.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_rollup_watermark'))
    )
    op.create_table('report_terminal_days',
    sa.Column('tenant_id', ID, autoincrement=False, nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('merchant_id', CODE15, nullable=False),
    sa.Column('terminal_id', sa.String(length=8).with_variant(sa.String(length=8, collation='C'), 'postgresql'),
              nullable=False),
    sa.Column('lines', ID, nullable=False),
    sa.Column('sales', ID, nullable=False),
    sa.Column('sales_minor', ID, nullable=False),
    sa.Column('refunds', ID, nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'local_date', 'currency', 'merchant_id', 'terminal_id',
                            name=op.f('pk_report_terminal_days'))
    )
    op.create_table('report_cashier_days',
    sa.Column('tenant_id', ID, autoincrement=False, nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('merchant_id', CODE15, nullable=False),
    sa.Column('cashier_id', sa.String(length=32), nullable=False),
    sa.Column('lines', ID, nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'local_date', 'currency', 'merchant_id', 'cashier_id',
                            name=op.f('pk_report_cashier_days'))
    )


def _copy_audited_acknowledgements() -> None:
    """Before 0012 an acknowledgement was only its audit entry: copy each one into the new table."""
    audit = sa.table('audit_entries', sa.column('seq', ID), sa.column('at', recoup.db.UTCDateTime(timezone=True)),
                     sa.column('tenant_id', ID), sa.column('actor', sa.String()), sa.column('action', sa.String()),
                     sa.column('object_id', sa.String()), sa.column('note', sa.Text()))
    acks = sa.table('prevention_acknowledgements', sa.column('tenant_id', ID), sa.column('list_key', sa.String()),
                    sa.column('merchant_id', sa.String()), sa.column('entry_key', sa.String()),
                    sa.column('note', sa.Text()), sa.column('acknowledged_by', sa.String()),
                    sa.column('acknowledged_at', recoup.db.UTCDateTime(timezone=True)),
                    sa.column('audit_seq', ID))
    found = op.get_bind().execute(sa.select(audit).where(audit.c.action == ACK_ACTION,
                                                         audit.c.tenant_id.is_not(None)).order_by(audit.c.seq))
    rows = []
    for entry in found:
        parts = str(entry.object_id).split(':', 2)
        list_key, merchant_id = (parts[0], parts[1]) if len(parts) == 3 else (parts[0], '')
        rows.append({'tenant_id': entry.tenant_id, 'list_key': list_key[:20], 'merchant_id': merchant_id[:15],
                     'entry_key': entry.object_id, 'note': entry.note or '', 'acknowledged_by': entry.actor,
                     'acknowledged_at': entry.at, 'audit_seq': entry.seq})
    if rows:
        op.bulk_insert(acks, rows)


def downgrade() -> None:
    op.drop_table('report_cashier_days')
    op.drop_table('report_terminal_days')
    op.drop_table('report_rollup_watermark')
    # The acknowledgements stay readable in the audit trail (each one was audited), so nothing is lost.
    with op.batch_alter_table('prevention_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index('ix_prevention_acknowledgements_tenant_key')
    op.drop_table('prevention_acknowledgements')
    op.drop_table('report_periods_sent')
    with op.batch_alter_table('report_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_schedules_tenant_id'))
    op.drop_table('report_schedules')
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_attachments_message_id'))
    op.drop_table('outbox_attachments')
