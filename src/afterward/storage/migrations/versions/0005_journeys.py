"""journeys: versioned definitions, enrolments and their history, event consumer cursors

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afterward.storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, afterward.storage.types.UTCDateTime(), nullable=nullable)


def _store_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("enabled_after_event_id", sa.BigInteger(), nullable=True),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        _store_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "key", name="uq_journeys_store_key"),
    )
    op.create_table(
        "journey_versions",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("journey_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        _time("created_at", nullable=False),
        _store_fk(),
        sa.ForeignKeyConstraint(["journey_id"], ["journeys.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("journey_id", "version", name="uq_journey_versions"),
    )
    op.create_table(
        "journey_enrolments",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("journey_id", ID, nullable=False),
        sa.Column("version_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", ID, nullable=True),
        sa.Column("shipment_id", ID, nullable=True),
        sa.Column("trigger_event_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_key", sa.String(length=100), nullable=False),
        sa.Column("active_key", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("exit_reason", sa.String(length=200), nullable=True),
        sa.Column("holdout_group", sa.String(length=16), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        _time("due_at"),
        sa.Column("waiting_event", sa.String(length=100), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        _time("enrolled_at", nullable=False),
        _time("finished_at"),
        _time("updated_at", nullable=False),
        sa.CheckConstraint("status IN ('active', 'completed', 'exited')",
                           name="journey_enrolment_status"),
        sa.CheckConstraint("holdout_group IS NULL OR holdout_group IN ('control', 'treatment')",
                           name="journey_enrolment_group"),
        _store_fk(),
        sa.ForeignKeyConstraint(["journey_id"], ["journeys.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["journey_versions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipments.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("journey_id", "active_key", name="uq_journey_enrolments_active"),
        sa.UniqueConstraint("journey_id", "trigger_event_id",
                            name="uq_journey_enrolments_trigger"),
    )
    op.create_index("ix_journey_enrolments_store_status", "journey_enrolments",
                    ["store_id", "status"])
    op.create_index("ix_journey_enrolments_entry", "journey_enrolments",
                    ["journey_id", "entry_key"])
    op.create_index("ix_journey_enrolments_customer", "journey_enrolments",
                    ["store_id", "customer_id"])
    op.create_table(
        "journey_enrolment_steps",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("enrolment_id", ID, nullable=False),
        sa.Column("step_key", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        _time("at", nullable=False),
        _store_fk(),
        sa.ForeignKeyConstraint(["enrolment_id"], ["journey_enrolments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_journey_enrolment_steps_enrolment", "journey_enrolment_steps",
                    ["enrolment_id", "id"])
    op.create_table(
        "event_consumers",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("processed", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _time("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("event_consumers")
    op.drop_index("ix_journey_enrolment_steps_enrolment", table_name="journey_enrolment_steps")
    op.drop_table("journey_enrolment_steps")
    op.drop_index("ix_journey_enrolments_customer", table_name="journey_enrolments")
    op.drop_index("ix_journey_enrolments_entry", table_name="journey_enrolments")
    op.drop_index("ix_journey_enrolments_store_status", table_name="journey_enrolments")
    op.drop_table("journey_enrolments")
    op.drop_table("journey_versions")
    op.drop_table("journeys")
