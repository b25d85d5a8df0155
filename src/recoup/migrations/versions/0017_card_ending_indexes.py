"""card ending indexes: journal and settlement lines found by the last four digits of their card

At the support desk a payer remembers the card and the amount or the day ("my card ending 0092 was charged
583.07"), rarely the shop's terminal or the RRN. `search` by card ending (with an amount or a day) and the
findings inbox's card filter asked for `card_last4` with no index on it: every line of the tenant was read
(bench/import_search.py: by_card_amount and by_card_day). The indexes hold the tenant, the ending and the
time, the order in which a search lists its lines. Nothing else changes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

INDEXES = (('ix_journal_card_last4', 'journal_lines'), ('ix_settlement_card_last4', 'settlement_lines'))


def upgrade() -> None:
    for name, table in INDEXES:
        op.create_index(name, table, ['tenant_id', 'card_last4', 'txn_time'])


def downgrade() -> None:
    for name, table in reversed(INDEXES):
        op.drop_index(name, table_name=table)
