"""feedback: an index on reviews (store_id, sku, updated_at), so the public pages can
tell from the index alone whether a product's reviews changed (publishing.version)

Revision ID: 0023
Revises: 0022
"""
from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_reviews_store_sku_updated", "reviews",
                    ["store_id", "sku", "updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_reviews_store_sku_updated", table_name="reviews")
