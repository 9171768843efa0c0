"""loyalty: programs, accounts with their counters, the ledger of entries, and what
each order has earned

Points are BIGINT; every row carries store_id. Self-contained: it touches no table
of another module (the merger re-chains it after 0015/0016).

Revision ID: 0017
Revises: 0016
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afterward.storage.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = afterward.storage.types.UTCDateTime()
TABLES = ("loyalty_orders", "loyalty_entries", "loyalty_accounts", "loyalty_programs")


def upgrade() -> None:
    op.create_table('loyalty_programs',
        sa.Column('store_id', ID, nullable=False),
        sa.Column('document', JSON, nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('store_id')
    )
    op.create_table('loyalty_accounts',
        sa.Column('id', ID, nullable=False),
        sa.Column('store_id', ID, nullable=False),
        sa.Column('customer_id', ID, nullable=False),
        sa.Column('points_balance', sa.BigInteger(), nullable=False),
        sa.Column('points_pending', sa.BigInteger(), nullable=False),
        sa.Column('points_debt', sa.BigInteger(), nullable=False),
        sa.Column('lifetime_points', sa.BigInteger(), nullable=False),
        sa.Column('tier', sa.String(length=32), nullable=True),
        sa.Column('tier_since', UTC, nullable=True),
        sa.Column('tier_kept_until', UTC, nullable=True),
        sa.Column('expiring_notice_for', UTC, nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
        sa.CheckConstraint('points_balance >= 0', name='loyalty_balance_nonnegative'),
        sa.CheckConstraint('points_pending >= 0', name='loyalty_pending_nonnegative'),
        sa.CheckConstraint('points_debt >= 0', name='loyalty_debt_nonnegative'),
        sa.CheckConstraint('lifetime_points >= 0', name='loyalty_lifetime_nonnegative'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('store_id', 'customer_id', name='uq_loyalty_accounts_customer')
    )
    op.create_table('loyalty_entries',
        sa.Column('id', ID, nullable=False),
        sa.Column('store_id', ID, nullable=False),
        sa.Column('account_id', ID, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.Column('balance_delta', sa.BigInteger(), nullable=False),
        sa.Column('pending_delta', sa.BigInteger(), nullable=False),
        sa.Column('debt_delta', sa.BigInteger(), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('source_id', sa.BigInteger(), nullable=True),
        sa.Column('idempotency_key', sa.String(length=200), nullable=False),
        sa.Column('pending_until', UTC, nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.CheckConstraint("kind IN ('earn', 'release', 'redeem', 'expire', 'adjust', "
                           "'clawback')", name='loyalty_entry_kind'),
        sa.ForeignKeyConstraint(['account_id'], ['loyalty_accounts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('store_id', 'idempotency_key', name='uq_loyalty_entries_key')
    )
    op.create_index('ix_loyalty_entries_account', 'loyalty_entries', ['account_id', 'id'],
                    unique=False)
    op.create_table('loyalty_orders',
        sa.Column('order_id', ID, nullable=False),
        sa.Column('store_id', ID, nullable=False),
        sa.Column('account_id', ID, nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('earned_points', sa.BigInteger(), nullable=False),
        sa.Column('pending_points', sa.BigInteger(), nullable=False),
        sa.Column('kept_minor', sa.BigInteger(), nullable=False),
        sa.Column('multiplier_percent', sa.Integer(), nullable=False),
        sa.Column('bonus_points', sa.BigInteger(), nullable=False),
        sa.Column('placed_at', UTC, nullable=False),
        sa.Column('pending_until', UTC, nullable=False),
        sa.Column('released_at', UTC, nullable=True),
        sa.Column('updated_at', UTC, nullable=False),
        sa.CheckConstraint('pending_points >= 0', name='loyalty_order_pending_nonnegative'),
        sa.ForeignKeyConstraint(['account_id'], ['loyalty_accounts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('order_id')
    )
    op.create_index('ix_loyalty_orders_due', 'loyalty_orders',
                    ['store_id', 'released_at', 'pending_until'], unique=False)
    op.create_index('ix_loyalty_orders_account', 'loyalty_orders', ['account_id', 'placed_at'],
                    unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
