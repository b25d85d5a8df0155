"""ledger without keys: postings and their lines drop their foreign keys

Booking a settlement file writes a posting and two or three lines per settlement line. On PostgreSQL every
foreign key is a trigger run for every row it guards: the three keys of `ledger_postings` (tenant) and
`ledger_entries` (posting, tenant) took half of the server's time of a booking (EXPLAIN ANALYZE of 600,000
lines: 3.0 s to insert them, 9.3 s in the keys' triggers). The ledger code is the only writer of both tables
and writes a posting and its lines in one transaction; `recoup ledger verify` now proves set-based what the
keys guarded. Nothing else changes: every row, column and index stays.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

KEYS = (  # (table, constraint, column, referred table, referred column), the lines' keys first
    ('ledger_entries', 'fk_ledger_entries_posting_id_ledger_postings', 'posting_id', 'ledger_postings', 'id'),
    ('ledger_entries', 'fk_ledger_entries_tenant_id_tenants', 'tenant_id', 'tenants', 'id'),
    ('ledger_postings', 'fk_ledger_postings_tenant_id_tenants', 'tenant_id', 'tenants', 'id'),
)


def upgrade() -> None:
    # SQLite cannot drop a constraint: the batch copies the table without it (rows, ids and indexes kept).
    for table, name, *_ in KEYS:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_='foreignkey')


def downgrade() -> None:
    for table, name, column, referred, referred_column in reversed(KEYS):
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(name, referred, [column], [referred_column])
