"""commerce: orders' payment fingerprint (a hash; loyalty's referral checks compare it)

Revision ID: 0022
Revises: 0021
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("payment_fingerprint", sa.String(length=64), nullable=True))
        batch.create_index("ix_orders_store_payment", ["store_id", "payment_fingerprint"])


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_store_payment")
        batch.drop_column("payment_fingerprint")
