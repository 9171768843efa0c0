"""feedback: review_summaries, each product's published reviews summed up (per star,
each attribute's sum and count, reviews with photos) with the product's version it
was written at, kept by the feedback services (feedback/summaries.py); filled here
from the reviews there are. And an index for a product's newest reviews with photos
(the gallery) read from the index alone

Revision ID: 0030
Revises: 0029
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afterward.storage.types

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = afterward.storage.types.UTCDateTime()

_ATTRIBUTES = {
    "sqlite": "SELECT reviews.store_id, reviews.sku, j.key, sum(j.value), count(*) "
              "FROM reviews, json_each(reviews.attributes) j "
              "WHERE reviews.status = 'published' AND j.type IN ('integer', 'real') "
              "GROUP BY reviews.store_id, reviews.sku, j.key",
    "postgresql": "SELECT reviews.store_id, reviews.sku, j.key, "
                  "sum((j.value)::text::numeric), count(*) "
                  "FROM reviews, jsonb_each(reviews.attributes) j "
                  "WHERE reviews.status = 'published' AND jsonb_typeof(j.value) = 'number' "
                  "GROUP BY reviews.store_id, reviews.sku, j.key",
}


def upgrade() -> None:
    op.create_table(
        "review_summaries",
        sa.Column("store_id", ID, sa.ForeignKey("stores.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("sku", sa.String(100), primary_key=True),
        sa.Column("stars_1", sa.Integer(), nullable=False),
        sa.Column("stars_2", sa.Integer(), nullable=False),
        sa.Column("stars_3", sa.Integer(), nullable=False),
        sa.Column("stars_4", sa.Integer(), nullable=False),
        sa.Column("stars_5", sa.Integer(), nullable=False),
        sa.Column("attributes", JSON, nullable=False),
        sa.Column("with_photos", sa.Integer(), nullable=False),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("changed_at", UTC, nullable=True),
    )
    op.create_index("ix_reviews_sku_photos", "reviews",
                    ["store_id", "sku", "status", "has_photos", "published_at", "id"],
                    unique=False)
    bind = op.get_bind()
    published = "status = 'published'"
    stars = ", ".join(f"sum(CASE WHEN {published} AND rating = {n} THEN 1 ELSE 0 END)"
                      for n in (1, 2, 3, 4, 5))
    empty = "'{}'::jsonb" if bind.dialect.name == "postgresql" else "'{}'"
    op.execute(
        "INSERT INTO review_summaries (store_id, sku, stars_1, stars_2, stars_3, stars_4, "
        "stars_5, attributes, with_photos, reviews, changed_at) "
        f"SELECT store_id, sku, {stars}, {empty}, "
        f"sum(CASE WHEN {published} AND has_photos THEN 1 ELSE 0 END), count(*), "
        "max(updated_at) FROM reviews GROUP BY store_id, sku")
    sums: dict[tuple[int, str], dict[str, list[float]]] = {}
    for store_id, sku, key, total, n in bind.execute(sa.text(_ATTRIBUTES[bind.dialect.name])):
        number = float(total)
        sums.setdefault((store_id, sku), {})[key] = [
            int(number) if number.is_integer() else number, int(n)]
    table = sa.table("review_summaries", sa.column("store_id"), sa.column("sku"),
                     sa.column("attributes", JSON))
    for (store_id, sku), attributes in sums.items():
        bind.execute(table.update().where(table.c.store_id == store_id, table.c.sku == sku)
                     .values(attributes=attributes))


def downgrade() -> None:
    op.drop_table("review_summaries")
    op.drop_index("ix_reviews_sku_photos", table_name="reviews")
