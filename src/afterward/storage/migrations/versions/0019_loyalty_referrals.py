"""loyalty: referrals (a referral code per member, the referred friends with their
fraud signals and the referrer's payment)

Existing accounts get their referral code here. Self-contained: it touches only the
loyalty tables (the merger re-chains it after 0018).

Revision ID: 0019
Revises: 0018
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import afterward.storage.types

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = afterward.storage.types.UTCDateTime()


def upgrade() -> None:
    op.add_column("loyalty_accounts", sa.Column("referral_code", sa.String(length=32),
                                                nullable=True))
    accounts = sa.table("loyalty_accounts", sa.column("id", ID),
                        sa.column("referral_code", sa.String(32)))
    conn = op.get_bind()
    for (account_id,) in conn.execute(sa.select(accounts.c.id)).all():
        conn.execute(accounts.update().where(accounts.c.id == account_id)
                     .values(referral_code=secrets.token_urlsafe(16)))
    op.create_index("ix_loyalty_accounts_referral_code", "loyalty_accounts",
                    ["referral_code"], unique=True)
    op.create_table('loyalty_referrals',
        sa.Column('id', ID, nullable=False),
        sa.Column('store_id', ID, nullable=False),
        sa.Column('referrer_customer_id', ID, nullable=False),
        sa.Column('friend_email', sa.String(length=320), nullable=True),
        sa.Column('friend_mailbox', sa.String(length=320), nullable=False),
        sa.Column('friend_customer_id', ID, nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('signals', JSON, nullable=False),
        sa.Column('cleared', JSON, nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('device_hash', sa.String(length=64), nullable=True),
        sa.Column('code_id', ID, nullable=True),
        sa.Column('order_id', ID, nullable=True),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.Column('decision_reason', sa.String(length=300), nullable=True),
        sa.Column('decided_at', UTC, nullable=True),
        sa.Column('rewarded_at', UTC, nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
        sa.CheckConstraint("status IN ('pending', 'review', 'ordered', 'rewarded', 'rejected', "
                           "'void')", name='loyalty_referral_status'),
        sa.ForeignKeyConstraint(['code_id'], ['discount_codes.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['friend_customer_id'], ['customers.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['referrer_customer_id'], ['customers.id'],
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('store_id', 'friend_mailbox', name='uq_loyalty_referrals_mailbox')
    )
    op.create_index('ix_loyalty_referrals_referrer', 'loyalty_referrals',
                    ['store_id', 'referrer_customer_id', 'created_at'], unique=False)
    op.create_index('ix_loyalty_referrals_status', 'loyalty_referrals',
                    ['store_id', 'status'], unique=False)
    op.create_index('ix_loyalty_referrals_device', 'loyalty_referrals',
                    ['store_id', 'device_hash'], unique=False)


def downgrade() -> None:
    op.drop_table("loyalty_referrals")
    op.drop_index("ix_loyalty_accounts_referral_code", table_name="loyalty_accounts")
    with op.batch_alter_table("loyalty_accounts") as batch:
        batch.drop_column("referral_code")
