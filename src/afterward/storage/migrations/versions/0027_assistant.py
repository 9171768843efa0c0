"""assistant: conversations with the assistant and their messages

Revision ID: 0027
Revises: 0026
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afterward.storage.types

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = afterward.storage.types.UTCDateTime()


def upgrade() -> None:
    op.create_table('conversations',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('public_id', sa.String(length=43), nullable=False),
    sa.Column('customer_id', ID, nullable=True),
    sa.Column('order_id', ID, nullable=True),
    sa.Column('shipment_id', ID, nullable=True),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('assignee', sa.String(length=320), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('handoff_reason', sa.String(length=32), nullable=True),
    sa.Column('others_in_row', sa.Integer(), nullable=False),
    sa.Column('pending_action', JSON, nullable=True),
    sa.Column('csat_score', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.CheckConstraint("channel IN ('widget', 'api')", name='conversation_channel'),
    sa.CheckConstraint("status IN ('bot', 'open', 'assigned', 'closed')",
                       name='conversation_status'),
    sa.CheckConstraint('csat_score IS NULL OR (csat_score >= 1 AND csat_score <= 5)',
                       name='conversation_csat'),
    sa.CheckConstraint('others_in_row >= 0', name='conversation_others_in_row'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id', name='uq_conversations_public_id')
    )
    op.create_index('ix_conversations_store_status', 'conversations',
                    ['store_id', 'status', 'updated_at'], unique=False)
    op.create_index('ix_conversations_store_customer', 'conversations',
                    ['store_id', 'customer_id'], unique=False)
    op.create_table('conversation_messages',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('conversation_id', ID, nullable=False),
    sa.Column('author', sa.String(length=8), nullable=False),
    sa.Column('author_name', sa.String(length=320), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('intent', sa.String(length=32), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('reply_to_id', ID, nullable=True),
    sa.Column('actions', JSON, nullable=True),
    sa.Column('handoff', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.CheckConstraint("author IN ('shopper', 'bot', 'agent')", name='conversation_author'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('store_id', 'client_id', name='uq_conversation_messages_client')
    )
    op.create_index('ix_conversation_messages_conversation', 'conversation_messages',
                    ['conversation_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_conversation_messages_conversation',
                  table_name='conversation_messages')
    op.drop_table('conversation_messages')
    op.drop_index('ix_conversations_store_customer', table_name='conversations')
    op.drop_index('ix_conversations_store_status', table_name='conversations')
    op.drop_table('conversations')
