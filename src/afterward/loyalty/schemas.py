"""The loyalty API's bodies (DESIGN.md, "Contracts ... Loyalty")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from afterward.commerce.fields import JSON_INTEGER, Id
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
