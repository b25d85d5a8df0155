"""workplace: when each user last looked at their dashboard (new findings since then)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import recoup.db

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dashboard_visits',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('last_seen_at', recoup.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('previous_seen_at', recoup.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_dashboard_visits_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dashboard_visits_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_dashboard_visits'))
    )
    with op.batch_alter_table('dashboard_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dashboard_visits_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dashboard_visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dashboard_visits_tenant_id'))

    op.drop_table('dashboard_visits')
