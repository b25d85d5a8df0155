"""complaint alerts: an alert may name a complaint (and its merchant) instead of a case

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_alerts', schema=None) as batch_op:
        batch_op.alter_column('case_id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                              nullable=True)
        batch_op.add_column(sa.Column('complaint_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.add_column(sa.Column('merchant_id', sa.String(length=15), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_alerts_complaint_id'), ['complaint_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_alerts_complaint_id'))
        batch_op.drop_column('merchant_id')
        batch_op.drop_column('complaint_id')
        batch_op.alter_column('case_id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                              nullable=False)
