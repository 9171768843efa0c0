"""insights: what customers' words say -- a sentiment score per text, the themes of a
store's latest run, and the run

Revision ID: 0024
Revises: 0023
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afterward.storage.types

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = afterward.storage.types.UTCDateTime()


def upgrade() -> None:
    op.create_table('text_sentiments',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.BigInteger(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=True),
    sa.Column('customer_id', ID, nullable=True),
    sa.Column('written_at', UTC, nullable=False),
    sa.Column('scored_at', UTC, nullable=False),
    sa.CheckConstraint('score >= -1 AND score <= 1', name='text_sentiment_score'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('store_id', 'source', 'ref', name='uq_text_sentiments_text')
    )
    op.create_index('ix_text_sentiments_store_sku', 'text_sentiments', ['store_id', 'sku'],
                    unique=False)
    op.create_index('ix_text_sentiments_store_customer', 'text_sentiments',
                    ['store_id', 'customer_id'], unique=False)
    op.create_table('text_themes',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('run', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('phrases', JSON, nullable=False),
    sa.Column('sentiment', sa.Float(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('months', JSON, nullable=False),
    sa.Column('examples', JSON, nullable=False),
    sa.Column('products', JSON, nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.CheckConstraint('size > 0', name='text_theme_size'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_text_themes_store_run', 'text_themes',
                    ['store_id', 'run', 'sku', 'position'], unique=False)
    op.create_table('text_runs',
    sa.Column('store_id', ID, nullable=False),
    sa.Column('run', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('texts', sa.Integer(), nullable=False),
    sa.Column('rated', sa.Integer(), nullable=False),
    sa.Column('themes', sa.Integer(), nullable=False),
    sa.Column('finished_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('store_id')
    )


def downgrade() -> None:
    op.drop_table('text_runs')
    op.drop_index('ix_text_themes_store_run', table_name='text_themes')
    op.drop_table('text_themes')
    op.drop_index('ix_text_sentiments_store_customer', table_name='text_sentiments')
    op.drop_index('ix_text_sentiments_store_sku', table_name='text_sentiments')
    op.drop_table('text_sentiments')
