"""feedback: survey responses (NPS, delivery, CSAT; one per order and survey) and the
detractor alerts of the admin inbox

Revision ID: 0021
Revises: 0020
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afterward.storage.types

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = afterward.storage.types.UTCDateTime()


def upgrade() -> None:
    op.create_table('survey_responses',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('order_id', ID, nullable=False),
    sa.Column('customer_id', ID, nullable=True),
    sa.Column('return_id', ID, nullable=True),
    sa.Column('survey', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('detractor', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.CheckConstraint("survey IN ('nps', 'delivery', 'csat')", name='survey_response_kind'),
    sa.CheckConstraint("source IN ('link', 'api')", name='survey_response_source'),
    sa.CheckConstraint(
        "(survey = 'nps' AND score >= 0 AND score <= 10) OR "
        "(survey = 'csat' AND score >= 1 AND score <= 5) OR "
        "(survey = 'delivery' AND score >= 0 AND score <= 1)",
        name='survey_response_score'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['return_id'], ['returns.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('store_id', 'order_id', 'survey', name='uq_survey_responses_order')
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index('ix_survey_responses_store_survey_created',
                              ['store_id', 'survey', 'created_at', 'score'], unique=False)
        batch_op.create_index('ix_survey_responses_store_created',
                              ['store_id', 'created_at'], unique=False)
        batch_op.create_index('ix_survey_responses_store_customer',
                              ['store_id', 'customer_id', 'updated_at'], unique=False)

    op.create_table('survey_alerts',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('response_id', ID, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('closed_by', sa.String(length=320), nullable=True),
    sa.Column('closed_at', UTC, nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.CheckConstraint("status IN ('open', 'closed')", name='survey_alert_status'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['survey_responses.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('response_id', name='uq_survey_alerts_response')
    )
    with op.batch_alter_table('survey_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_survey_alerts_store_status', ['store_id', 'status', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('survey_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_alerts_store_status')
    op.drop_table('survey_alerts')
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_responses_store_customer')
        batch_op.drop_index('ix_survey_responses_store_created')
        batch_op.drop_index('ix_survey_responses_store_survey_created')
    op.drop_table('survey_responses')
