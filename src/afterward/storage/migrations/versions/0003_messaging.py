"""messaging

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afterward.storage.types

revision = "0003"
down_revision = "0002"
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
        "message_templates",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=True),
        _time("created_at", nullable=False),
        sa.CheckConstraint("channel IN ('email', 'sms')", name="message_template_channel"),
        _store_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "key", "channel", "locale", "version",
                            name="uq_message_templates_version"),
    )
    op.create_table(
        "messaging_settings",
        sa.Column("store_id", ID, nullable=False),
        sa.Column("from_email", sa.String(length=320), nullable=True),
        sa.Column("from_name", sa.String(length=200), nullable=True),
        sa.Column("reply_to", sa.String(length=320), nullable=True),
        sa.Column("quiet_start", sa.String(length=5), nullable=False),
        sa.Column("quiet_end", sa.String(length=5), nullable=False),
        sa.Column("marketing_budget", sa.Integer(), nullable=False),
        sa.Column("budget_days", sa.Integer(), nullable=False),
        sa.Column("track_opens", sa.Boolean(), nullable=False),
        sa.Column("track_clicks", sa.Boolean(), nullable=False),
        _time("updated_at", nullable=False),
        sa.CheckConstraint("budget_days > 0", name="messaging_budget_days_positive"),
        sa.CheckConstraint("marketing_budget >= 0", name="messaging_budget_nonnegative"),
        _store_fk(),
        sa.PrimaryKeyConstraint("store_id"),
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _time("created_at", nullable=False),
        _store_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_endpoints_store_id", "webhook_endpoints", ["store_id"])
    op.create_table(
        "messages",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("transport", sa.String(length=16), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("template_key", sa.String(length=64), nullable=True),
        sa.Column("template_id", ID, nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("enrolment_id", sa.BigInteger(), nullable=True),
        sa.Column("step_key", sa.String(length=64), nullable=True),
        sa.Column("recipient", sa.String(length=500), nullable=True),
        sa.Column("subject", sa.String(length=998), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("segments", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("message_id_header", sa.String(length=200), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("send_attempts", sa.Integer(), nullable=False),
        sa.Column("open_count", sa.Integer(), nullable=False),
        sa.Column("click_count", sa.Integer(), nullable=False),
        _time("send_after", nullable=False),
        _time("approved_at"),
        _time("sending_at"),
        _time("sent_at"),
        _time("delivered_at"),
        _time("opened_at"),
        _time("clicked_at"),
        _time("bounced_at"),
        _time("finished_at"),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        sa.CheckConstraint("channel IN ('email', 'sms', 'webhook')", name="message_channel"),
        sa.CheckConstraint("purpose IN ('transactional', 'marketing')", name="message_purpose"),
        sa.CheckConstraint(
            "status IN ('queued', 'ready', 'sending', 'sent', 'delivered', 'opened', 'clicked', "
            "'bounced', 'failed', 'suppressed')",
            name="message_status",
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="SET NULL"),
        _store_fk(),
        sa.ForeignKeyConstraint(["template_id"], ["message_templates.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "idempotency_key", name="uq_messages_idempotency"),
    )
    op.create_index("ix_messages_budget", "messages", ["customer_id", "purpose", "approved_at"])
    op.create_index("ix_messages_store_created", "messages", ["store_id", "created_at"])
    op.create_index("ix_messages_store_status", "messages", ["store_id", "status"])
    op.create_table(
        "message_outbox",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=500), nullable=True),
        sa.Column("subject", sa.String(length=998), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("headers", JSON, nullable=False),
        _time("created_at", nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="SET NULL"),
        _store_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_message_outbox_store", "message_outbox", ["store_id", "id"])
    op.create_table(
        "message_suppressions",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("message_id", ID, nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        _time("created_at", nullable=False),
        sa.CheckConstraint("reason IN ('hard_bounce', 'complaint', 'unsubscribe', 'manual')",
                           name="suppression_reason"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="SET NULL"),
        _store_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "channel", "address", "reason",
                            name="uq_message_suppressions"),
    )


def downgrade() -> None:
    op.drop_table("message_suppressions")
    op.drop_index("ix_message_outbox_store", table_name="message_outbox")
    op.drop_table("message_outbox")
    op.drop_index("ix_messages_store_status", table_name="messages")
    op.drop_index("ix_messages_store_created", table_name="messages")
    op.drop_index("ix_messages_budget", table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_webhook_endpoints_store_id", table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
    op.drop_table("messaging_settings")
    op.drop_table("message_templates")
