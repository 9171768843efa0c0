"""events.txid and event_consumers.last_txid: exact commit visibility on PostgreSQL

On PostgreSQL an event's id is handed out before its transaction commits, so ids
become visible out of order. Each event now records the id of the transaction that
wrote it; a consumer reads only events of transactions older than every one still
running (pg_snapshot_xmin) and keeps its place as (txid, id). SQLite has one writer
at a time and leaves the column empty.

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TXID_DEFAULT = "(pg_current_xact_id()::text::bigint)"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("txid", sa.BigInteger(), nullable=True))
    if postgres:
        # Existing rows get 0: every one of them is older than any running transaction.
        op.execute("UPDATE events SET txid = 0")
        op.execute(f"ALTER TABLE events ALTER COLUMN txid SET DEFAULT {TXID_DEFAULT}")
        op.create_index("ix_events_store_txid", "events", ["store_id", "txid", "id"])
    with op.batch_alter_table("event_consumers") as batch:
        batch.add_column(sa.Column("last_txid", sa.BigInteger(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("event_consumers") as batch:
        batch.drop_column("last_txid")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_events_store_txid", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("txid")
