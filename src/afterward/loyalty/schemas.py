"""The loyalty API's bodies (DESIGN.md, "Contracts ... Loyalty")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from afterward.commerce.fields import JSON_INTEGER, Email, Id, LocaleTag
from afterward.loyalty.ledger import MAX_ADJUSTMENT

Text = Annotated[str, Field(min_length=1, max_length=300, pattern=r"^[^\x00-\x1f]+$")]
Key = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[!-~]+$")]


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Id
    points: Annotated[int, Field(ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT), JSON_INTEGER]
    reason: Text
    idempotency_key: Key


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str  # earn, release, redeem, expire, adjust, clawback
    points: int
    balance_delta: int
    pending_delta: int
    debt_delta: int
    reason: str | None
    source: str
    source_id: int | None
    idempotency_key: str
    pending_until: datetime | None
    created_at: datetime


class AdjustmentOut(EntryOut):
    customer_id: int


class LoyaltyOut(BaseModel):
    customer_id: int
    points_balance: int
    points_pending: int
    points_debt: int
    lifetime_points: int
    tier: str | None
    tier_name: str | None
    spend_12m_minor: int
    referral_code: str | None  # the member's; None until they have an account
    referral_url: str | None  # /r/<referral_code>: the landing page for friends
    entries: list[EntryOut]


class RedemptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Id
    reward: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[^\x00-\x1f]+$")]
    idempotency_key: Key | None = None


class RedemptionOut(BaseModel):
    code: str
    customer_id: int
    reward: str
    points: int  # what the reward cost
    kind: str  # discount, free_shipping, free_product
    discount_minor: int | None
    percent_off: int | None
    product_sku: str | None  # free_product: the product it gives
    currency: str | None
    status: str  # issued, used, cancelled (refunded into points)
    used_order_id: int | None
    expires_at: datetime | None
    points_balance: int  # the customer's spendable points after this


class ReferralIn(BaseModel):
    """A friend referred by a member, named by their customer id or their referral
    code (exactly one). `ip` and `user_agent` are the friend's device, if known: only
    a hash is kept (the `same_device` check); `locale`, a new friend's language."""

    model_config = ConfigDict(extra="forbid")

    referrer_customer_id: Id | None = None
    referral_code: Annotated[str, Field(min_length=1, max_length=32,
                                        pattern=r"^[A-Za-z0-9_-]+$")] | None = None
    friend_email: Email
    ip: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Fa-f:.]+$")] \
        | None = None
    user_agent: Annotated[str, Field(min_length=1, max_length=500,
                                     pattern=r"^[^\x00-\x1f]+$")] | None = None
    # A new friend's language (their emails speak it); one already a customer keeps
    # theirs. None: the store's.
    locale: LocaleTag | None = None

    @model_validator(mode="after")
    def _one_referrer(self) -> ReferralIn:
        if (self.referrer_customer_id is None) == (self.referral_code is None):
            raise ValueError("give exactly one of referrer_customer_id and referral_code")
        return self


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text


class ReferralOut(BaseModel):
    id: int
    referrer_customer_id: int
    friend_email: str | None
    friend_customer_id: int | None
    status: str  # pending, review, ordered, rewarded, rejected, void
    signals: list[str]  # self_referral, same_mailbox, existing_customer, same_device, ...
    cleared: list[str]  # signals an admin approved
    channel: str  # link, api
    friend_code: str | None  # the friend's single-use code (held back while in review)
    friend_discount_minor: int | None
    currency: str | None
    order_id: int | None
    points: int  # paid to the referrer
    decision_reason: str | None
    decided_at: datetime | None
    rewarded_at: datetime | None
    created_at: datetime


class ReferralList(BaseModel):
    items: list[ReferralOut]
