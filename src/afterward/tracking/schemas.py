"""API shapes for shipments."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from afterward.commerce.fields import Id, Moment
from afterward.commerce.schemas import Strict
from afterward.tracking.statuses import Status


class TrackingEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    occurred_at: datetime
    status: str
    substatus: str | None
    provider: str
    provider_status: str | None
    message: str | None
    location: str | None
    signed_by: str | None = None


class ShipmentOut(BaseModel):
    id: int
    order_id: int | None
    direction: str
    status: str
    substatus: str | None
    provider_status: str | None
    carrier: str | None
    service: str | None
    tracking_number: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    last_event_at: datetime | None
    last_location: str | None
    signed_by: str | None
    exception_reason: str | None
    url: str
    events: list[TrackingEventOut]
    last_message: str | None = None
    carrier_estimated_at: datetime | None = None
    carrier_name: str | None = None
    carrier_url: str | None = None


class ShipmentIn(Strict):
    order_id: Id
    external_id: str | None = Field(None, max_length=100)
    carrier: str | None = Field(None, max_length=32)
    service: str | None = Field(None, max_length=64)
    # Letters, digits, inner spaces and dashes (surrounding spaces are stripped).
    tracking_number: str = Field(min_length=4, max_length=64,
                                 pattern=r"^[A-Za-z0-9-](?:[A-Za-z0-9 -]*[A-Za-z0-9-])?$")
    shipped_at: Moment | None = None
    status: Status = Status.info_received
    direction: Literal["outbound", "return"] = "outbound"

    @field_validator("shipped_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("must include a time zone offset")
        return value


class CarrierWebhookOut(BaseModel):
    status: Literal["applied", "held", "duplicate", "ignored"]
    tracking_number: str | None = None
    events_added: int = 0


class UnknownCarrierStatusOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    provider: str
    provider_status: str
    closest_status: str
    occurrences: int
    first_seen_at: datetime
    last_seen_at: datetime
