"""Money in 64-bit integers

Amounts are integer minor units. A 32-bit column (PostgreSQL's INTEGER) holds at
most 2,147,483,647: 21.5 million in a currency with cents, and an Indonesian or
Vietnamese order passes that easily. The API accepts amounts up to 10^12, so every
money column of variants, orders and order lines becomes BIGINT. SQLite's INTEGER is
64-bit already: there the declared type changes and nothing else.

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

COLUMNS = {
    "variants": ("price_minor",),
    "orders": ("subtotal_minor", "shipping_minor", "tax_minor", "discount_minor",
               "total_minor", "refunded_minor"),
    "order_lines": ("unit_price_minor", "total_minor"),
}


def _retype(to: sa.types.TypeEngine, was: sa.types.TypeEngine) -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=to, existing_type=was)


def upgrade() -> None:
    _retype(sa.BigInteger(), sa.Integer())


def downgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())
