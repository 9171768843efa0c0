"""tracking polling: polled shipments and per-carrier request budgets

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afterward.storage.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, afterward.storage.types.UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "carrier_polls",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("shipment_id", ID, nullable=False),
        sa.Column("adapter", sa.String(length=32), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        _time("next_poll_at", nullable=False),
        _time("slot_at"),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        _time("last_polled_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("stopped_reason", sa.String(length=64), nullable=True),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        sa.CheckConstraint("failures >= 0", name="ck_carrier_polls_failures"),
        sa.CheckConstraint("generation >= 0", name="ck_carrier_polls_generation"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shipment_id"),
    )
    op.create_index("ix_carrier_polls_due", "carrier_polls", ["active", "next_poll_at"])
    op.create_index("ix_carrier_polls_store", "carrier_polls", ["store_id"])
    op.create_table(
        "carrier_rate_limits",
        sa.Column("adapter", sa.String(length=32), nullable=False),
        sa.Column("tat_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("adapter"),
    )


def downgrade() -> None:
    op.drop_table("carrier_rate_limits")
    op.drop_index("ix_carrier_polls_store", table_name="carrier_polls")
    op.drop_index("ix_carrier_polls_due", table_name="carrier_polls")
    op.drop_table("carrier_polls")
