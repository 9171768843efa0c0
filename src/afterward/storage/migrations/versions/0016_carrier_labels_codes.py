"""returns: carrier labels, the inbound parcel, instant exchanges, the statuses
label_issued and in_transit; discount_codes (gift cards from store credit, discounts)

Revision ID: 0016
Revises: 0015
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afterward.storage.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = afterward.storage.types.UTCDateTime()
OLD_STATUSES = "status IN ('requested', 'approved', 'rejected', 'received', 'resolved')"
NEW_STATUSES = ("status IN ('requested', 'approved', 'label_issued', 'in_transit', "
                "'rejected', 'received', 'resolved')")
RETURN_COLUMNS = ("label_carrier", "label_status", "label_error", "carrier_shipment_id",
                  "carrier_label_url", "tracking_number", "inbound_shipment_id",
                  "label_issued_at", "in_transit_at", "arrived_at", "instant_exchange")


def upgrade() -> None:
    with op.batch_alter_table("returns") as batch:
        batch.add_column(sa.Column("label_carrier", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("label_status", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("label_error", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("carrier_shipment_id", sa.String(length=100),
                                   nullable=True))
        batch.add_column(sa.Column("carrier_label_url", sa.String(length=1000),
                                   nullable=True))
        batch.add_column(sa.Column("tracking_number", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("inbound_shipment_id", ID, nullable=True))
        batch.add_column(sa.Column("label_issued_at", UTC, nullable=True))
        batch.add_column(sa.Column("in_transit_at", UTC, nullable=True))
        batch.add_column(sa.Column("arrived_at", UTC, nullable=True))
        batch.add_column(sa.Column("instant_exchange", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.create_foreign_key("fk_returns_inbound_shipment_id_shipments", "shipments",
                                 ["inbound_shipment_id"], ["id"], ondelete="SET NULL")
        batch.drop_constraint("return_status", type_="check")
        batch.create_check_constraint("return_status", NEW_STATUSES)
        batch.create_check_constraint(
            "return_label_status",
            "label_status IS NULL OR label_status IN ('pending', 'issued', 'failed')")
        batch.create_index("ix_returns_inbound_shipment", ["inbound_shipment_id"])
    op.create_table(
        "discount_codes",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=True),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", UTC, nullable=True),
        sa.Column("used_order_id", ID, nullable=True),
        sa.Column("used_at", UTC, nullable=True),
        sa.Column("cancelled_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint("kind IN ('gift_card', 'discount')", name="discount_code_kind"),
        sa.CheckConstraint("status IN ('issued', 'used', 'cancelled')",
                           name="discount_code_status"),
        sa.CheckConstraint(
            "(value_minor IS NOT NULL AND value_minor > 0 AND currency IS NOT NULL AND "
            "percent IS NULL) OR (value_minor IS NULL AND percent > 0 AND percent <= 100)",
            name="discount_code_value"),
        sa.CheckConstraint("(status = 'used') = (used_at IS NOT NULL)",
                           name="discount_code_used"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["used_order_id"], ["orders.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "code", name="uq_discount_codes_store_code"),
        sa.UniqueConstraint("store_id", "source", "idempotency_key",
                            name="uq_discount_codes_store_key"),
    )
    op.create_index("ix_discount_codes_store_customer", "discount_codes",
                    ["store_id", "customer_id"], unique=False)


def downgrade() -> None:
    op.drop_table("discount_codes")
    # Returns in the new statuses go back to approved (their parcel is on its way).
    op.execute("UPDATE returns SET status = 'approved' "
               "WHERE status IN ('label_issued', 'in_transit')")
    with op.batch_alter_table("returns") as batch:
        batch.drop_index("ix_returns_inbound_shipment")
        batch.drop_constraint("return_label_status", type_="check")
        batch.drop_constraint("return_status", type_="check")
        batch.create_check_constraint("return_status", OLD_STATUSES)
        batch.drop_constraint("fk_returns_inbound_shipment_id_shipments", type_="foreignkey")
        for column in RETURN_COLUMNS:
            batch.drop_column(column)
