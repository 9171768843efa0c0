"""feedback: reviews, the requests that ask for them (one per order), their photos,
helpful votes and each store's review settings

Revision ID: 0020
Revises: 0019
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afterward.storage.types

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = afterward.storage.types.UTCDateTime()

def upgrade() -> None:
    op.create_table('review_settings',
    sa.Column('store_id', ID, nullable=False),
    sa.Column('document', JSON, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('store_id')
    )
    op.create_table('review_requests',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('order_id', ID, nullable=False),
    sa.Column('customer_id', ID, nullable=True),
    sa.Column('nonce', sa.String(length=43), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stopped_reason', sa.String(length=32), nullable=True),
    sa.Column('reminders', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('expires_at', UTC, nullable=False),
    sa.Column('answered_at', UTC, nullable=True),
    sa.Column('last_sent_at', UTC, nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.CheckConstraint("status IN ('open', 'answered', 'stopped')", name='review_request_status'),
    sa.CheckConstraint('reminders >= 0 AND reminders <= 2', name='review_request_reminders'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('store_id', 'order_id', name='uq_review_requests_store_order')
    )
    with op.batch_alter_table('review_requests', schema=None) as batch_op:
        batch_op.create_index('ix_review_requests_store_status', ['store_id', 'status'], unique=False)

    op.create_table('reviews',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('product_id', ID, nullable=True),
    sa.Column('order_id', ID, nullable=True),
    sa.Column('customer_id', ID, nullable=True),
    sa.Column('request_id', ID, nullable=True),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('author_name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('attributes', JSON, nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('verified_buyer', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('flags', JSON, nullable=False),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_at', UTC, nullable=True),
    sa.Column('helpful', sa.Integer(), nullable=False),
    sa.Column('unhelpful', sa.Integer(), nullable=False),
    sa.Column('incentive', sa.String(length=16), nullable=True),
    sa.Column('incentive_points', sa.BigInteger(), nullable=True),
    sa.Column('has_photos', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('submitted_at', UTC, nullable=False),
    sa.Column('published_at', UTC, nullable=True),
    sa.Column('rejected_at', UTC, nullable=True),
    sa.Column('updated_at', UTC, nullable=False),
    sa.CheckConstraint("source IN ('link', 'api', 'import')", name='review_source'),
    sa.CheckConstraint("status IN ('pending', 'published', 'rejected')", name='review_status'),
    sa.CheckConstraint('helpful >= 0 AND unhelpful >= 0', name='review_votes_counts'),
    sa.CheckConstraint('rating >= 1 AND rating <= 5', name='review_rating'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['review_requests.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id', 'sku', name='uq_reviews_request_sku'),
    sa.UniqueConstraint('store_id', 'idempotency_key', name='uq_reviews_store_key')
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_store_customer', ['store_id', 'customer_id'], unique=False)
        batch_op.create_index('ix_reviews_store_order', ['store_id', 'order_id'], unique=False)
        batch_op.create_index('ix_reviews_store_published', ['store_id', 'published_at', 'id'], unique=False)
        batch_op.create_index('ix_reviews_store_sku_status', ['store_id', 'sku', 'status', 'published_at'], unique=False)
        batch_op.create_index('ix_reviews_store_status', ['store_id', 'status', 'id'], unique=False)

    op.create_table('review_photos',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('review_id', ID, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=16), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')", name='review_photo_type'),
    sa.CheckConstraint('position >= 0 AND position < 3', name='review_photo_position'),
    sa.CheckConstraint('width > 0 AND height > 0 AND byte_size > 0', name='review_photo_size'),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('review_id', 'position', name='uq_review_photos_position')
    )
    with op.batch_alter_table('review_photos', schema=None) as batch_op:
        batch_op.create_index('ix_review_photos_review', ['review_id'], unique=False)
        batch_op.create_index('ix_review_photos_store_created', ['store_id', 'created_at'], unique=False)

    op.create_table('review_votes',
    sa.Column('id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('review_id', ID, nullable=False),
    sa.Column('voter', sa.String(length=64), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('review_id', 'voter', name='uq_review_votes_voter')
    )


def downgrade() -> None:
    op.drop_table('review_votes')
    with op.batch_alter_table('review_photos', schema=None) as batch_op:
        batch_op.drop_index('ix_review_photos_store_created')
        batch_op.drop_index('ix_review_photos_review')

    op.drop_table('review_photos')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_store_status')
        batch_op.drop_index('ix_reviews_store_sku_status')
        batch_op.drop_index('ix_reviews_store_published')
        batch_op.drop_index('ix_reviews_store_order')
        batch_op.drop_index('ix_reviews_store_customer')

    op.drop_table('reviews')
    with op.batch_alter_table('review_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_review_requests_store_status')

    op.drop_table('review_requests')
    op.drop_table('review_settings')
