"""returns: shoppers' photos of return lines (re-encoded, no metadata), the lines a
rule asks a photo of, and gift returns (the recipient's email, name and customer)

Revision ID: 0015
Revises: 0014
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afterward.storage.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = afterward.storage.types.UTCDateTime()


def upgrade() -> None:
    op.create_table('return_photos',
        sa.Column('id', ID, nullable=False),
        sa.Column('store_id', ID, nullable=False),
        sa.Column('order_id', ID, nullable=False),
        sa.Column('order_line_id', ID, nullable=False),
        sa.Column('return_id', ID, nullable=True),
        sa.Column('return_line_id', ID, nullable=True),
        sa.Column('token', sa.String(length=43), nullable=False),
        sa.Column('content_type', sa.String(length=16), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('byte_size', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')",
                           name='return_photo_type'),
        sa.CheckConstraint('width > 0 AND height > 0 AND byte_size > 0',
                           name='return_photo_size'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['return_id'], ['returns.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['return_line_id'], ['return_lines.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token', name='uq_return_photos_token')
    )
    op.create_index('ix_return_photos_return', 'return_photos', ['return_id'])
    op.create_index('ix_return_photos_store_created', 'return_photos',
                    ['store_id', 'created_at'])
    with op.batch_alter_table("return_lines") as batch:
        batch.add_column(sa.Column("photo_required", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("returns") as batch:
        batch.add_column(sa.Column("gift_recipient_email", sa.String(length=320),
                                   nullable=True))
        batch.add_column(sa.Column("gift_recipient_name", sa.String(length=200),
                                   nullable=True))
        batch.add_column(sa.Column("gift_customer_id", ID, nullable=True))
        batch.create_foreign_key("fk_returns_gift_customer", "customers",
                                 ["gift_customer_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("returns") as batch:
        batch.drop_constraint("fk_returns_gift_customer", type_="foreignkey")
        batch.drop_column("gift_customer_id")
        batch.drop_column("gift_recipient_name")
        batch.drop_column("gift_recipient_email")
    with op.batch_alter_table("return_lines") as batch:
        batch.drop_column("photo_required")
    op.drop_index('ix_return_photos_store_created', table_name='return_photos')
    op.drop_index('ix_return_photos_return', table_name='return_photos')
    op.drop_table('return_photos')
