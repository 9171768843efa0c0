"""The insights API's bodies (DESIGN.md, "Contracts ... Insights")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class RfmOut(BaseModel):
    recency: int = Field(ge=1, le=5)
    frequency: int = Field(ge=1, le=5)
    monetary: int = Field(ge=1, le=5)


class SubscriptionOut(BaseModel):
    """A product the customer buys on a schedule (flagged as a subscription, or a
    regular cadence detected), with its next renewal and the risk it does not happen."""

    sku: str
    title: str
    source: Literal["flagged", "detected"]
    status: Literal["active", "lapsed"]
    orders: int = Field(ge=1, description="Purchases of it counted.")
    interval_days: float = Field(gt=0)
    last_order_on: date
    next_renewal_on: date = Field(description="When the next renewal is expected.")
    renewal_risk: float = Field(ge=0, le=1, description="The risk it does not happen.")
    reasons: list[str] = Field(description="What drove the risk, largest first: "
                                           "churn_risk, overdue, irregular, "
                                           "returned_last_order, low_survey_score, "
                                           "late_delivery.")


class CustomerInsightsOut(BaseModel):
    """A customer's figures from the store's latest finished run."""

    segment: Literal["new", "active", "champions", "at_risk", "lapsed"]
    churn_risk: Literal["low", "medium", "high"]
    p_alive: float = Field(ge=0, le=1, description="The probability they still buy here.")
    expected_orders_90d: float = Field(ge=0, description="Orders expected in 90 days.")
    clv_minor: int = Field(ge=0, description="The discounted value of their next year, "
                                             "in minor units of `currency`.")
    currency: str
    next_order_due: date | None = Field(description="When they are expected to need to "
                                                    "order again, if anything says.")
    rfm: RfmOut
    computed_at: datetime
    subscriptions: list[SubscriptionOut] = Field(
        default_factory=list, description="Their subscriptions, next renewal first.")
