"""The insights API's bodies (DESIGN.md, "Contracts ... Insights")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class RfmOut(BaseModel):
    recency: int = Field(ge=1, le=5)
    frequency: int = Field(ge=1, le=5)
    monetary: int = Field(ge=1, le=5)


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
