"""Sending at volume: an index to claim jobs of one kind, lz4 message bodies

ix_jobs_claim (status, kind, run_at): a worker claims a batch of due jobs of one
kind oldest first. With ix_jobs_due (status, run_at) alone, PostgreSQL read every
due job of every kind and sorted them for each claim whenever its estimates were
off (21 ms a claim with 100,000 due); with the kind in the index the claim reads
just the rows it takes, in order, whatever the planner's statistics say.

Message bodies on PostgreSQL: a prepared email's HTML (~10 KB) is compressed when
its row is written. With the default (pglz) that compression was most of the cost
of the UPDATE that stores a rendered message (0.38 ms; 0.21 ms with lz4, measured
with pg_stat_statements in `afterward bench messaging`). lz4 is used where the
server was built with it (PostgreSQL 14 and later list it among
default_toast_compression's values); elsewhere nothing changes. Existing values keep
their compression until they are written again. SQLite stores text uncompressed.

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BODIES = (("messages", "body_html"), ("messages", "body_text"),
          ("message_outbox", "body_html"), ("message_outbox", "body_text"))


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    values = bind.execute(sa.text(
        "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    ).scalar()
    return values is not None and "lz4" in values


def _compress_bodies_with(method: str) -> None:
    for table, column in BODIES:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}")


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.create_index("ix_jobs_claim", ["status", "kind", "run_at"], unique=False)
    if _lz4_available():
        _compress_bodies_with("lz4")


def downgrade() -> None:
    if _lz4_available():
        _compress_bodies_with("default")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_claim")
