"""findings list: indexes for paging, sorting and filtering a large findings list

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The findings list (reconciliation/inbox.py): newest first, date ranges and deep pages walk the time
    # index; an RRN filter also matches the related RRN.
    op.create_index('ix_findings_tenant_time', 'findings', ['tenant_id', 'txn_time'], unique=False)
    op.create_index('ix_findings_related_rrn', 'findings', ['related_rrn'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_findings_related_rrn', table_name='findings')
    op.drop_index('ix_findings_tenant_time', table_name='findings')
