"""An index on variants.product_id

A product's variants are read by product (each recommended product's price, in
every message's context that has recommendations, and deleting a product cascades
to them); with no index on the column each of those read the whole variants table.

Revision ID: 0011
Revises: 0010
"""
from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_variants_product", "variants", ["product_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_variants_product", table_name="variants")
