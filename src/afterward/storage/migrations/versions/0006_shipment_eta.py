"""shipments: the stored delivery window (eta_*) and the delayed / stalled verdicts

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afterward.storage.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TIMES = ("eta_earliest", "eta_likely", "eta_latest", "delayed_at", "stalled_at")


def upgrade() -> None:
    with op.batch_alter_table("shipments") as batch:
        for name in TIMES[:3]:
            batch.add_column(sa.Column(name, afterward.storage.types.UTCDateTime(),
                                       nullable=True))
        batch.add_column(sa.Column("eta_level", sa.String(length=32), nullable=True))
        for name in TIMES[3:]:
            batch.add_column(sa.Column(name, afterward.storage.types.UTCDateTime(),
                                       nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shipments") as batch:
        for name in (*reversed(TIMES[3:]), "eta_level", *reversed(TIMES[:3])):
            batch.drop_column(name)
