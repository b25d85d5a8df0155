"""disputes: scheme dispute records, reason codes, submissions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import recoup.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dispute_reason_codes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scheme', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('label_zh', sa.String(length=120), nullable=False),
    sa.Column('label_en', sa.String(length=120), nullable=False),
    sa.Column('evidence_kinds', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_dispute_reason_codes_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_reason_codes')),
    sa.UniqueConstraint('tenant_id', 'scheme', 'code', name='uq_dispute_reason_codes_code')
    )

    op.create_table('dispute_schemes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scheme', sa.String(length=20), nullable=False),
    sa.Column('chargeback_fee_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_dispute_schemes_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_schemes')),
    sa.UniqueConstraint('tenant_id', 'scheme', name='uq_dispute_schemes_scheme')
    )

    op.create_table('disputes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.String(length=15), nullable=False),
    sa.Column('scheme', sa.String(length=20), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('reason_code', sa.String(length=12), nullable=False),
    sa.Column('amount_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('rrn', sa.String(length=12), nullable=False),
    sa.Column('raised_by', sa.String(length=20), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('outcome_on', sa.Date(), nullable=True),
    sa.Column('debited_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fee_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('credited_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('debit_confirmed_at', recoup.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('credit_confirmed_at', recoup.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('alerted_on', sa.Date(), nullable=True),
    sa.Column('opened_by', sa.String(length=80), nullable=False),
    sa.Column('opened_at', recoup.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', recoup.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_disputes_case_id_cases')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_disputes_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes'))
    )

    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disputes_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_disputes_tenant_due', ['tenant_id', 'state', 'due_on'], unique=False)
        batch_op.create_index('ix_disputes_tenant_reference', ['tenant_id', 'scheme', 'reference'], unique=False)

    op.create_table('dispute_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('dispute_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', recoup.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_requests_dispute_id_disputes')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_dispute_requests_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_requests')),
    sa.UniqueConstraint('tenant_id', 'idempotency_key', name='uq_dispute_requests_key')
    )

    op.create_table('dispute_submissions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('dispute_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('late_reason', sa.Text(), nullable=False),
    sa.Column('submitted_by', sa.String(length=80), nullable=False),
    sa.Column('submitted_at', recoup.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_submissions_dispute_id_disputes')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_dispute_submissions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_submissions'))
    )

    with op.batch_alter_table('dispute_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_submissions_dispute_id'), ['dispute_id'], unique=False)

    op.create_table('dispute_submission_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('submission_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('evidence_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence_items.id'], name=op.f('fk_dispute_submission_items_evidence_id_evidence_items')),
    sa.ForeignKeyConstraint(['submission_id'], ['dispute_submissions.id'], name=op.f('fk_dispute_submission_items_submission_id_dispute_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_submission_items'))
    )

    with op.batch_alter_table('dispute_submission_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_submission_items_submission_id'), ['submission_id'], unique=False)


def downgrade() -> None:
    op.drop_table('dispute_submission_items')
    op.drop_table('dispute_submissions')
    op.drop_table('dispute_requests')
    op.drop_table('disputes')
    op.drop_table('dispute_schemes')
    op.drop_table('dispute_reason_codes')
