"""discount_codes: free shipping and free product kinds, limits to product SKUs or
categories, and the journey enrolment a personal offer was issued to

Revision ID: 0018
Revises: 0017
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
OLD_KIND = "kind IN ('gift_card', 'discount')"
NEW_KIND = "kind IN ('gift_card', 'discount', 'free_shipping', 'free_product')"
OLD_VALUE = ("(value_minor IS NOT NULL AND value_minor > 0 AND currency IS NOT NULL AND "
             "percent IS NULL) OR (value_minor IS NULL AND percent > 0 AND percent <= 100)")
NEW_VALUE = (
    "(kind IN ('gift_card', 'discount') AND ((value_minor IS NOT NULL AND value_minor > 0"
    " AND currency IS NOT NULL AND percent IS NULL) OR (value_minor IS NULL AND percent > 0"
    " AND percent <= 100))) OR (kind IN ('free_shipping', 'free_product') AND value_minor"
    " IS NULL AND percent IS NULL)")


def upgrade() -> None:
    with op.batch_alter_table("discount_codes") as batch:
        batch.add_column(sa.Column("skus", JSON, nullable=True))
        batch.add_column(sa.Column("categories", JSON, nullable=True))
        batch.add_column(sa.Column("enrolment_id", sa.BigInteger(), nullable=True))
        batch.drop_constraint("discount_code_kind", type_="check")
        batch.drop_constraint("discount_code_value", type_="check")
        batch.create_check_constraint("discount_code_kind", NEW_KIND)
        batch.create_check_constraint("discount_code_value", NEW_VALUE)
        batch.create_index("ix_discount_codes_store_enrolment", ["store_id", "enrolment_id"])


def downgrade() -> None:
    # Codes of the new kinds cannot be held by the old table: they go.
    op.execute("DELETE FROM discount_codes WHERE kind IN ('free_shipping', 'free_product')")
    with op.batch_alter_table("discount_codes") as batch:
        batch.drop_index("ix_discount_codes_store_enrolment")
        batch.drop_constraint("discount_code_kind", type_="check")
        batch.drop_constraint("discount_code_value", type_="check")
        batch.create_check_constraint("discount_code_kind", OLD_KIND)
        batch.create_check_constraint("discount_code_value", OLD_VALUE)
        batch.drop_column("enrolment_id")
        batch.drop_column("categories")
        batch.drop_column("skus")
