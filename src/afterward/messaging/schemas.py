"""Messaging API in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from afterward.commerce.schemas import NoNul


class MessageIn(NoNul):
    channel: Literal["email", "sms"]
    purpose: Literal["transactional", "marketing"] = "transactional"
    category: str = Field(min_length=1, max_length=64)
    template_key: str = Field(min_length=1, max_length=64)
    idempotency_key: str = Field(min_length=1, max_length=200)
    customer_id: int | None = Field(default=None, ge=1, le=2**62)
    recipient: str | None = Field(default=None, max_length=320)
    order_id: int | None = Field(default=None, ge=1, le=2**62)
    shipment_id: int | None = Field(default=None, ge=1, le=2**62)
    locale: str | None = Field(default=None, max_length=16)
    data: dict[str, Any] = Field(default_factory=dict)
    send_after: datetime | None = None


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    transport: str | None
    purpose: str
    category: str
    template_key: str | None
    locale: str | None
    idempotency_key: str
    customer_id: int | None
    recipient: str | None
    subject: str | None
    status: str
    status_reason: str | None
    segments: int | None
    send_attempts: int
    open_count: int
    click_count: int
    send_after: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    bounced_at: datetime | None
    created_at: datetime


class MessageDetail(MessageOut):
    body_text: str | None
    body_html: str | None


class TemplateIn(NoNul):
    subject: str | None = Field(default=None, max_length=998)
    body: str = Field(min_length=1, max_length=200_000)
    text_body: str | None = Field(default=None, max_length=100_000)
    sample_data: dict[str, Any] = Field(
        default_factory=dict, description="What `data` holds when a journey sends it: the "
        "template is checked against the sample context with this as `data`.")


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    channel: str
    locale: str
    version: int
    subject: str | None
    body: str
    text_body: str | None
    created_at: datetime


class PreviewIn(TemplateIn):
    channel: Literal["email", "sms"] = "email"
    locale: str = Field(default="en", max_length=16)


class PreviewOut(BaseModel):
    subject: str | None
    text: str
    html: str | None
    segments: int | None


class SettingsIO(NoNul):
    model_config = ConfigDict(from_attributes=True)

    from_email: str | None = None
    from_name: str | None = Field(default=None, max_length=200)
    reply_to: str | None = None
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"
    marketing_budget: int = Field(default=3, ge=0, le=1000)
    budget_days: int = Field(default=7, ge=1, le=365)
    track_opens: bool = True
    track_clicks: bool = True


class SuppressionIn(NoNul):
    channel: Literal["email", "sms"]
    address: str = Field(min_length=3, max_length=320)
    reason: Literal["hard_bounce", "complaint", "unsubscribe", "manual"] = "manual"


class WebhookEndpointIn(NoNul):
    url: str = Field(min_length=8, max_length=500)
    events: list[str] = Field(default_factory=list, max_length=100)


class WebhookEndpointOut(BaseModel):
    id: int
    url: str
    events: list[str]
    secret: str | None = Field(default=None,
                               description="Shown once, when created or rotated.")
    previous_secret_expires_at: datetime | None = Field(
        default=None, description="Until then the replaced secret signs each delivery too.")


class SecretRotationIn(NoNul):
    grace_hours: int = Field(default=24, ge=0, le=720, description=(
        "Hours the replaced secret keeps signing beside the new one (0: it stops at once)."))
