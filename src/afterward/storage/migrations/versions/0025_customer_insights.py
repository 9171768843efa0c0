"""insights: a store's recompute runs, each customer's segment, RFM, P(alive), churn
risk, expected orders and lifetime value per run, and replenishment dates per
customer and product

Revision ID: 0025
Revises: 0024
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afterward.storage.types

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = afterward.storage.types.UTCDateTime()


def upgrade() -> None:
    op.create_table('insight_runs',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('started_at', UTC, nullable=False),
    sa.Column('finished_at', UTC, nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.Column('notes', JSON, nullable=False),
    sa.CheckConstraint("status IN ('running', 'finished')", name='insight_run_status'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_insight_runs_store_status', 'insight_runs',
                    ['store_id', 'status', 'id'], unique=False)
    op.create_table('customer_insights',
    sa.Column('run_id', ID, nullable=False),
    sa.Column('customer_id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('segment', sa.String(length=16), nullable=False),
    sa.Column('rfm_recency', sa.SmallInteger(), nullable=False),
    sa.Column('rfm_frequency', sa.SmallInteger(), nullable=False),
    sa.Column('rfm_monetary', sa.SmallInteger(), nullable=False),
    sa.Column('p_alive', sa.Float(), nullable=False),
    sa.Column('churn_risk', sa.String(length=8), nullable=False),
    sa.Column('expected_orders_90d', sa.Float(), nullable=False),
    sa.Column('clv_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('next_order_due', sa.Date(), nullable=True),
    sa.Column('computed_at', UTC, nullable=False),
    sa.CheckConstraint('p_alive >= 0 AND p_alive <= 1', name='customer_insight_p_alive'),
    sa.CheckConstraint('expected_orders_90d >= 0', name='customer_insight_expected'),
    sa.CheckConstraint('clv_minor >= 0', name='customer_insight_clv'),
    sa.ForeignKeyConstraint(['run_id'], ['insight_runs.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'customer_id')
    )
    op.create_index('ix_customer_insights_store_customer', 'customer_insights',
                    ['store_id', 'customer_id', 'run_id'], unique=False)
    op.create_table('replenishment_dates',
    sa.Column('run_id', ID, nullable=False),
    sa.Column('customer_id', ID, nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('due_at', UTC, nullable=False),
    sa.Column('interval_days', sa.Float(), nullable=False),
    sa.Column('basis', sa.String(length=8), nullable=False),
    sa.CheckConstraint('interval_days > 0', name='replenishment_interval'),
    sa.ForeignKeyConstraint(['run_id'], ['insight_runs.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'customer_id', 'sku')
    )
    op.create_index('ix_replenishment_dates_store_customer', 'replenishment_dates',
                    ['store_id', 'customer_id', 'run_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_replenishment_dates_store_customer', table_name='replenishment_dates')
    op.drop_table('replenishment_dates')
    op.drop_index('ix_customer_insights_store_customer', table_name='customer_insights')
    op.drop_table('customer_insights')
    op.drop_index('ix_insight_runs_store_status', table_name='insight_runs')
    op.drop_table('insight_runs')
