"""commerce: a customer's account on the store platform (Shopify's `state`: enabled,
disabled, invited, declined), so that an account opened is told once, as
`customer.account_opened` (loyalty's sign-up bonus); unknown until the platform says.

Revision ID: 0033
Revises: 0032
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("account_state", sa.String(length=16),
                                         nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("account_state")
