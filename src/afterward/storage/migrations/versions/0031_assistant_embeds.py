"""assistant: the origins allowed to embed a store's chat on its own site

Revision ID: 0031
Revises: 0030
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afterward.storage.types

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = afterward.storage.types.UTCDateTime()


def upgrade() -> None:
    op.create_table('assistant_embeds',
    sa.Column('store_id', ID, nullable=False),
    sa.Column('origins', JSON, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('store_id')
    )


def downgrade() -> None:
    op.drop_table('assistant_embeds')
