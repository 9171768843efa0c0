"""insights: subscriptions -- an order line bought on a subscription (the API's
`subscription`, Shopify's selling plans), and each customer's subscriptions per run
with their next renewal and its risk

Revision ID: 0029
Revises: 0028
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("subscription", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "customer_subscriptions",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("interval_days", sa.Float(), nullable=False),
        sa.Column("last_order_on", sa.Date(), nullable=False),
        sa.Column("next_renewal_on", sa.Date(), nullable=False),
        sa.Column("renewal_risk", sa.Float(), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.CheckConstraint("source IN ('flagged', 'detected')", name="subscription_source"),
        sa.CheckConstraint("status IN ('active', 'lapsed')", name="subscription_status"),
        sa.CheckConstraint("interval_days > 0", name="subscription_interval"),
        sa.CheckConstraint("renewal_risk >= 0 AND renewal_risk <= 1",
                           name="subscription_risk"),
        sa.ForeignKeyConstraint(["run_id"], ["insight_runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "customer_id", "sku"),
    )
    op.create_index("ix_customer_subscriptions_store_customer", "customer_subscriptions",
                    ["store_id", "customer_id", "run_id"], unique=False)
    op.create_index("ix_customer_subscriptions_store_renewal", "customer_subscriptions",
                    ["store_id", "run_id", "next_renewal_on"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_customer_subscriptions_store_renewal",
                  table_name="customer_subscriptions")
    op.drop_index("ix_customer_subscriptions_store_customer",
                  table_name="customer_subscriptions")
    op.drop_table("customer_subscriptions")
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("subscription")
