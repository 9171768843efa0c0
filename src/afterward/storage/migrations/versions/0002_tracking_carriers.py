"""tracking carriers: shipment state from carrier events, unknown carrier statuses

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afterward.storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Nullable columns without constraints: SQLite adds them in place (no table copy),
    # so rows referencing shipments are never touched.
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_message", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("carrier_estimated_at",
                                      afterward.storage.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signed_by", sa.String(length=100), nullable=True))

    op.create_table(
        "unknown_carrier_statuses",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_status", sa.String(length=100), nullable=False),
        sa.Column("closest_status", sa.String(length=24), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", afterward.storage.types.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", afterward.storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("occurrences >= 1", name="ck_unknown_carrier_statuses_occurrences"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "provider", "provider_status"),
    )


def downgrade() -> None:
    op.drop_table("unknown_carrier_statuses")
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.drop_column("signed_by")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_column("carrier_estimated_at")
        batch_op.drop_column("last_message")
