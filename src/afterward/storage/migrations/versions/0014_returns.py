"""returns: policies, returns (RMAs) and their lines, claimed quantities per order
line, refund requests, store credit accounts and their ledger; variants' stock

Money is BIGINT minor units; every row carries store_id. A variant's
inventory_quantity is new and empty (not tracked: always available).

Revision ID: 0014
Revises: 0013
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afterward.storage.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = afterward.storage.types.UTCDateTime()
TABLES = ("store_credit_entries", "return_refund_requests", "return_lines", "return_claims",
          "returns", "store_credit_accounts", "return_policies")


def upgrade() -> None:
    op.create_table('return_policies',
        sa.Column('store_id', ID, nullable=False),
        sa.Column('document', JSON, nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('store_id')
    )
    op.create_table('store_credit_accounts',
        sa.Column('id', ID, nullable=False),
        sa.Column('store_id', ID, nullable=False),
        sa.Column('customer_id', ID, nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('balance_minor', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
        sa.CheckConstraint('balance_minor >= 0', name='store_credit_balance_nonnegative'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('store_id', 'customer_id', name='uq_store_credit_accounts')
    )
    op.create_table('returns',
        sa.Column('id', ID, nullable=False),
        sa.Column('store_id', ID, nullable=False),
        sa.Column('number', sa.String(length=16), nullable=False),
        sa.Column('order_id', ID, nullable=False),
        sa.Column('customer_id', ID, nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('resolution', sa.String(length=16), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('value_minor', sa.BigInteger(), nullable=False),
        sa.Column('refund_minor', sa.BigInteger(), nullable=False),
        sa.Column('credit_minor', sa.BigInteger(), nullable=False),
        sa.Column('fee_minor', sa.BigInteger(), nullable=False),
        sa.Column('bonus_minor', sa.BigInteger(), nullable=False),
        sa.Column('exchange_for_sku', sa.String(length=100), nullable=True),
        sa.Column('exchange_minor', sa.BigInteger(), nullable=True),
        sa.Column('difference_minor', sa.BigInteger(), nullable=True),
        sa.Column('exchange_order_id', ID, nullable=True),
        sa.Column('review_reasons', JSON, nullable=False),
        sa.Column('reject_reason', sa.String(length=500), nullable=True),
        sa.Column('deadline_at', UTC, nullable=True),
        sa.Column('window_basis', sa.String(length=16), nullable=False),
        sa.Column('idempotency_key', sa.String(length=200), nullable=True),
        sa.Column('request_hash', sa.String(length=64), nullable=True),
        sa.Column('label_token', sa.String(length=43), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('approved_at', UTC, nullable=True),
        sa.Column('rejected_at', UTC, nullable=True),
        sa.Column('received_at', UTC, nullable=True),
        sa.Column('resolved_at', UTC, nullable=True),
        sa.Column('updated_at', UTC, nullable=False),
        sa.CheckConstraint("resolution IN ('refund', 'store_credit', 'exchange', 'keep')", name='return_resolution'),
        sa.CheckConstraint("status IN ('requested', 'approved', 'rejected', 'received', 'resolved')", name='return_status'),
        sa.CheckConstraint('value_minor >= 0 AND refund_minor >= 0 AND credit_minor >= 0 AND fee_minor >= 0 AND bonus_minor >= 0', name='return_money'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['exchange_order_id'], ['orders.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('label_token', name='uq_returns_label_token'),
        sa.UniqueConstraint('store_id', 'idempotency_key', name='uq_returns_store_key'),
        sa.UniqueConstraint('store_id', 'number', name='uq_returns_store_number')
    )
    op.create_index('ix_returns_store_customer', 'returns', ['store_id', 'customer_id'], unique=False)
    op.create_index('ix_returns_store_order', 'returns', ['store_id', 'order_id'], unique=False)
    op.create_index('ix_returns_store_status', 'returns', ['store_id', 'status'], unique=False)
    op.create_table('return_claims',
        sa.Column('order_line_id', ID, nullable=False),
        sa.Column('store_id', ID, nullable=False),
        sa.Column('bought', sa.Integer(), nullable=False),
        sa.Column('claimed', sa.Integer(), nullable=False),
        sa.CheckConstraint('claimed >= 0 AND claimed <= bought', name='return_claims_bounds'),
        sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('order_line_id')
    )
    op.create_table('return_lines',
        sa.Column('id', ID, nullable=False),
        sa.Column('store_id', ID, nullable=False),
        sa.Column('return_id', ID, nullable=False),
        sa.Column('order_line_id', ID, nullable=False),
        sa.Column('sku', sa.String(length=100), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_paid_minor', sa.BigInteger(), nullable=False),
        sa.Column('reason', sa.String(length=100), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('received_quantity', sa.Integer(), nullable=False),
        sa.Column('accepted', sa.Boolean(), nullable=True),
        sa.Column('condition', sa.String(length=16), nullable=True),
        sa.Column('restock', sa.Boolean(), nullable=True),
        sa.CheckConstraint('quantity > 0', name='return_line_quantity'),
        sa.CheckConstraint('received_quantity >= 0 AND received_quantity <= quantity', name='return_line_received'),
        sa.CheckConstraint('unit_paid_minor >= 0', name='return_line_paid'),
        sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['return_id'], ['returns.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_return_lines_return', 'return_lines', ['return_id'], unique=False)
    op.create_table('return_refund_requests',
        sa.Column('id', ID, nullable=False),
        sa.Column('store_id', ID, nullable=False),
        sa.Column('return_id', ID, nullable=False),
        sa.Column('order_id', ID, nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('payload', JSON, nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.CheckConstraint('amount_minor > 0', name='return_refund_amount'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['return_id'], ['returns.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('return_id', name='uq_return_refund_requests_return')
    )
    op.create_table('store_credit_entries',
        sa.Column('id', ID, nullable=False),
        sa.Column('store_id', ID, nullable=False),
        sa.Column('account_id', ID, nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('return_id', ID, nullable=True),
        sa.Column('idempotency_key', sa.String(length=200), nullable=False),
        sa.Column('note', sa.String(length=300), nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['store_credit_accounts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['return_id'], ['returns.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('store_id', 'idempotency_key', name='uq_store_credit_entries_key')
    )
    op.create_index('ix_store_credit_entries_account', 'store_credit_entries', ['account_id', 'id'], unique=False)

    with op.batch_alter_table("variants") as batch:
        batch.add_column(sa.Column("inventory_quantity", sa.Integer(), nullable=True))
        batch.create_check_constraint("variant_inventory_nonnegative",
                                      "inventory_quantity IS NULL OR inventory_quantity >= 0")


def downgrade() -> None:
    with op.batch_alter_table("variants") as batch:
        batch.drop_constraint("variant_inventory_nonnegative", type_="check")
        batch.drop_column("inventory_quantity")
    for table in TABLES:
        op.drop_table(table)
