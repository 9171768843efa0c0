"""Attempt counts shared by every server process; secrets that rotate

throttle_hits: one row per throttled key (the shopper's order lookup by address,
the admin sign-in by email and address), the key kept as an HMAC, with the attempts
counted in its window and when that window ends. Several `afterward serve` processes
behind a load balancer count against one limit instead of one each.

webhook_secrets and webhook_endpoints: previous_secret and previous_expires_at. A
replaced inbound secret is still accepted, and a replaced outbound signing secret
still signs each delivery beside the new one, until previous_expires_at.

Revision ID: 0012
Revises: 0011
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afterward.storage.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SECRETS = (("webhook_secrets", 500), ("webhook_endpoints", 100))


def upgrade() -> None:
    op.create_table(
        "throttle_hits",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", afterward.storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("hits > 0", name="ck_throttle_hits_positive"),
        sa.PrimaryKeyConstraint("scope", "key_hash"),
    )
    op.create_index("ix_throttle_hits_expires", "throttle_hits", ["expires_at"])
    for table, length in SECRETS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("previous_secret", sa.String(length=length),
                                       nullable=True))
            batch.add_column(sa.Column("previous_expires_at",
                                       afterward.storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    for table, _ in SECRETS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("previous_expires_at")
            batch.drop_column("previous_secret")
    op.drop_index("ix_throttle_hits_expires", table_name="throttle_hits")
    op.drop_table("throttle_hits")
