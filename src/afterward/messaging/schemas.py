"""Messaging API in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from afterward.commerce import validation
from afterward.commerce.fields import (
    JSON_INTEGER,
    NOT_BLANK_FOR_STRIP,
    Flag,
    Id,
    LocaleTag,
    Moment,
)
from afterward.commerce.schemas import NoNul
from afterward.messaging import endpoints

_EMAIL: dict[str, Any] = {"type": "string", "pattern": validation.EMAIL_PATTERN,
                          "maxLength": validation.EMAIL_MAX}
_PHONE: dict[str, Any] = {"type": "string", "pattern": validation.PHONE_PATTERN}
# What the model cannot say field by field: the recipient is an address of the
# channel, and a message needs someone to go to.
_ADDRESSED: dict[str, Any] = {"allOf": [
    {"anyOf": [
        {"properties": {"channel": {"const": "email"},
                        "recipient": {"anyOf": [_EMAIL, {"type": "null"}]}}},
        {"properties": {"channel": {"const": "sms"},
                        "recipient": {"anyOf": [_PHONE, {"type": "null"}]}}},
    ]},
    {"anyOf": [
        {"required": [name], "properties": {name: {"type": kind}}}
        for name, kind in (("customer_id", "integer"), ("order_id", "integer"),
                           ("recipient", "string"))
    ]},
]}


class MessageIn(NoNul):
    """Checked as a whole by messaging.service.queue_message (a 422 names the field);
    a customer, order or shipment not in this store is a 404."""

    model_config = ConfigDict(json_schema_extra=_ADDRESSED)

    channel: Literal["email", "sms"]
    purpose: Literal["transactional", "marketing"] = "transactional"
    category: str = Field(min_length=1, max_length=64)
    template_key: str = Field(min_length=1, max_length=64)
    idempotency_key: str = Field(min_length=1, max_length=200)
    customer_id: Id | None = None
    recipient: str | None = Field(default=None, max_length=320,
                                  description="An email address or a phone number, as "
                                  "`channel` needs")
    order_id: Id | None = None
    shipment_id: Id | None = None
    locale: LocaleTag | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    send_after: Moment | None = None


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


# The template languages, named as JSON Schema formats (annotations: what they accept
# is beyond JSON Schema): Jinja that renders with the sample context, for email into
# an MJML document, for SMS into 1-10 segments of text.
MJML_TEMPLATE, TEXT_TEMPLATE, SMS_TEMPLATE = "mjml-template", "text-template", "sms-template"
_SAMPLE_DATA: Any = Field(default_factory=dict, description="What `data` holds when a journey "
                     "sends it: the template is checked against the sample context with "
                     "this as `data`.")


class EmailTemplateIn(NoNul):
    subject: str = Field(max_length=998, json_schema_extra={
        "format": TEXT_TEMPLATE, "pattern": NOT_BLANK_FOR_STRIP})
    body: str = Field(min_length=1, max_length=200_000, json_schema_extra={
        "format": MJML_TEMPLATE}, description="Jinja in an MJML document")
    text_body: Annotated[str, Field(max_length=100_000, json_schema_extra={
        "format": TEXT_TEMPLATE})] | None = Field(
        default=None, description="The text part (default: from the HTML)")
    sample_data: dict[str, Any] = _SAMPLE_DATA


class SmsTemplateIn(NoNul):
    body: str = Field(min_length=1, max_length=200_000, json_schema_extra={
        "format": SMS_TEMPLATE, "pattern": NOT_BLANK_FOR_STRIP})
    sample_data: dict[str, Any] = _SAMPLE_DATA


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


class EmailPreviewIn(EmailTemplateIn):
    channel: Literal["email"] = "email"
    locale: LocaleTag = "en"


class SmsPreviewIn(SmsTemplateIn):
    channel: Literal["sms"]
    locale: LocaleTag = "en"


def _channel_of(value: Any) -> str | None:
    """Which preview a body is (None: not a JSON object, a 422)."""
    if isinstance(value, dict):
        return str(value.get("channel", "email"))
    return getattr(value, "channel", None)


PreviewIn = Annotated[
    Annotated[EmailPreviewIn, Tag("email")] | Annotated[SmsPreviewIn, Tag("sms")],
    Discriminator(_channel_of)]


class PreviewOut(BaseModel):
    subject: str | None
    text: str
    html: str | None
    segments: int | None


_EMAIL_OR_NONE: dict[str, Any] = {"anyOf": [_EMAIL, {"const": ""}, {"type": "null"}],
                  "description": "Empty or null: none"}
_CLOCK: dict[str, Any] = {"type": "string", "pattern": validation.CLOCK_PATTERN}


class SettingsIO(NoNul):
    """Checked by messaging.service.update_sending_settings."""

    model_config = ConfigDict(from_attributes=True)

    from_email: str | None = Field(default=None, json_schema_extra=_EMAIL_OR_NONE)
    from_name: str | None = Field(default=None, max_length=200)
    reply_to: str | None = Field(default=None, json_schema_extra=_EMAIL_OR_NONE)
    quiet_start: str = Field(default="21:00", json_schema_extra=_CLOCK)
    quiet_end: str = Field(default="08:00", json_schema_extra=_CLOCK)
    marketing_budget: Annotated[int, Field(ge=0, le=1000), JSON_INTEGER] = 3
    budget_days: Annotated[int, Field(ge=1, le=365), JSON_INTEGER] = 7
    track_opens: Flag = True
    track_clicks: Flag = True


class SuppressionIn(NoNul):
    channel: Literal["email", "sms"]
    address: str = Field(min_length=3, max_length=320)
    reason: Literal["hard_bounce", "complaint", "unsubscribe", "manual"] = "manual"


class WebhookEndpointIn(NoNul):
    # A public URL, unless AFTERWARD_ALLOW_PRIVATE_URLS (api/openapi.py says which).
    url: str = Field(min_length=8, max_length=500,
                     json_schema_extra={"pattern": endpoints.PUBLIC_URL_PATTERN})
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
    grace_hours: Annotated[int, Field(ge=0, le=720), JSON_INTEGER] = Field(
        default=24, description="Hours the replaced secret keeps signing beside the new one "
        "(0: it stops at once).")
