"""insights: fitted recommendations per store, versioned by run -- the products that go
with each SKU and a list per customer (and the store's popular list)

Revision ID: 0026
Revises: 0025
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afterward.storage.types

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = afterward.storage.types.UTCDateTime()


def upgrade() -> None:
    op.create_table('recommendation_runs',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.Column('skus', sa.Integer(), nullable=False),
    sa.Column('started_at', UTC, nullable=False),
    sa.Column('finished_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_recommendation_runs_store', 'recommendation_runs',
                    ['store_id', 'finished_at'], unique=False)
    op.create_table('recommendation_pairs',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('run_id', ID, nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('other_sku', sa.String(length=100), nullable=False),
    sa.Column('together', sa.Integer(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('lift', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['recommendation_runs.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_recommendation_pairs_run_sku', 'recommendation_pairs',
                    ['run_id', 'sku', 'position'], unique=False)
    op.create_table('recommendation_items',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('run_id', ID, nullable=False),
    sa.Column('customer_id', ID, nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['recommendation_runs.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_recommendation_items_run_customer', 'recommendation_items',
                    ['run_id', 'customer_id', 'position'], unique=False)
    op.create_index('ix_recommendation_items_store_customer', 'recommendation_items',
                    ['store_id', 'customer_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_recommendation_items_store_customer', table_name='recommendation_items')
    op.drop_index('ix_recommendation_items_run_customer', table_name='recommendation_items')
    op.drop_table('recommendation_items')
    op.drop_index('ix_recommendation_pairs_run_sku', table_name='recommendation_pairs')
    op.drop_table('recommendation_pairs')
    op.drop_index('ix_recommendation_runs_store', table_name='recommendation_runs')
    op.drop_table('recommendation_runs')
