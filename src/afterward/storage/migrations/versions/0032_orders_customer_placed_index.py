"""commerce: a customer's orders indexed by when they were placed, so "is this the
customer's first order?" (loyalty's first-order bonus, the journeys' facts) and "their
orders, newest first" are answered from the index alone, without reading each order
(bulk earning's facts query: ~6.9 -> ~5.0 µs an order on SQLite). The index replaces
(store_id, customer_id), whose every use it serves.

Revision ID: 0032
Revises: 0031
"""
from __future__ import annotations

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_orders_store_customer", table_name="orders")
    op.create_index("ix_orders_store_customer", "orders",
                    ["store_id", "customer_id", "placed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_orders_store_customer", table_name="orders")
    op.create_index("ix_orders_store_customer", "orders", ["store_id", "customer_id"],
                    unique=False)
