"""API shapes for customers, products and orders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from afterward.commerce import validation as v
from afterward.commerce.fields import (
    JSON_INTEGER,
    NOT_BLANK,
    Currency,
    Day,
    Email,
    Flag,
    LocaleTag,
    MinorAmount,
    Moment,
    Phone,
    Str100,
    TimeZone,
    WebUrl,
    non_blank,
)


class NoNul(BaseModel):
    """Input that refuses NUL characters anywhere inside it."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: object) -> object:
        if contains_nul(data):
            raise ValueError("text may not contain NUL characters")
        return data


class Strict(NoNul):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def contains_nul(value: object) -> bool:
    """NUL cannot be stored in PostgreSQL text and has no business in our data."""
    if isinstance(value, dict | list) and "\\x00" not in repr(value):
        # repr (C speed) shows a NUL as \x00: if that text is absent, so is NUL. Nested
        # models each check their part again, so this runs several times per request.
        return False
    return _walk_for_nul(value)


def _walk_for_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_walk_for_nul(k) or _walk_for_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_walk_for_nul(v) for v in value)
    return False


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a time zone offset, e.g. 2026-01-31T12:00:00Z")
    return value


class MarketingConsentIn(Strict):
    email: Flag | None = None
    sms: Flag | None = None


class CustomerIn(Strict):
    external_id: str | None = Field(None, max_length=100)
    email: Email | None = None
    phone: Phone | None = None
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    locale: LocaleTag | None = None
    timezone: TimeZone | None = None
    birthday: Day | None = None
    accepts_marketing: MarketingConsentIn | None = None


class CustomerUpsertIn(CustomerIn):
    """A customer on its own: it needs something to be found by again."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": ["email"], "properties": {"email": {"type": "string"}}},
        {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
        {"required": ["external_id"],
         "properties": {"external_id": {"type": "string", "pattern": NOT_BLANK}}},
    ]})


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    channel: str
    purpose: str
    granted: bool
    source: str
    updated_at: datetime


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str | None
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    locale: str | None
    timezone: str | None
    birthday: date | None
    orders_count: int
    total_spent_minor: int
    first_order_at: datetime | None
    last_order_at: datetime | None
    created_at: datetime
    consents: list[ConsentOut] = []


class VariantIn(Strict):
    sku: Str100
    external_id: str | None = Field(None, max_length=100)
    title: str | None = Field(None, max_length=300)
    price_minor: MinorAmount
    currency: Currency
    image_url: WebUrl | None = Field(None, max_length=500)
    inventory_quantity: Annotated[int, Field(ge=0, le=10**9), JSON_INTEGER] | None = Field(
        None, description="Units in stock (exchanges take from it); left out: unchanged, "
                          "and a variant never given one is not tracked")


class ProductIn(Strict):
    external_id: str | None = Field(None, max_length=100)
    title: Annotated[str, non_blank(300)]
    category: str | None = Field(None, max_length=100)
    image_url: WebUrl | None = Field(None, max_length=500)
    care_content: str | None = Field(None, max_length=20000)
    howto_content: str | None = Field(None, max_length=20000)
    replenishment_days: Annotated[int, Field(ge=1, le=3650), JSON_INTEGER] | None = None
    variants: list[VariantIn] = Field(min_length=1, max_length=250)


class VariantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    external_id: str | None
    title: str | None
    price_minor: int
    currency: str
    image_url: str | None
    inventory_quantity: int | None = None


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str | None
    title: str
    category: str | None
    image_url: str | None
    care_content: str | None
    howto_content: str | None
    replenishment_days: int | None
    variants: list[VariantOut]
    created_at: datetime


class AddressIn(Strict):
    name: str | None = Field(None, max_length=200)
    address1: str | None = Field(None, max_length=300)
    city: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=100)
    postal_code: str | None = Field(None, max_length=20)
    country: str | None = Field(None, pattern="^[A-Za-z]{2}$")


class OrderLineIn(Strict):
    sku: str | None = Field(None, max_length=100)
    external_id: str | None = Field(None, max_length=100)
    title: Annotated[str, non_blank(300)]
    quantity: Annotated[int, Field(ge=1, le=100_000), JSON_INTEGER]
    unit_price_minor: MinorAmount
    subscription: Flag = Field(False, description="Bought on a subscription (its first "
                                                 "order or a renewal): insights watch "
                                                 "the renewals of such products.")


class OrderIn(Strict):
    """An order. Its amounts, the computed ones too (the lines' subtotal, the total),
    fit in 64 bits: at most 2**63 - 1 minor units."""

    number: str = Field(min_length=1, max_length=64,
                        pattern=rf"^[^{v.SPACE_OR_CONTROL}]+$")
    external_id: str | None = Field(None, max_length=100)
    placed_at: Moment
    currency: Currency
    email: Email | None = None
    phone: Phone | None = None
    customer: CustomerIn | None = None
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    shipping_minor: MinorAmount = 0
    tax_minor: MinorAmount = 0
    discount_minor: MinorAmount = 0
    total_minor: MinorAmount | None = None
    financial_status: str | None = Field(None, max_length=32)
    shipping_address: AddressIn | None = None
    payment_fingerprint: str | None = Field(
        None, min_length=1, max_length=200, pattern=rf"^[^{v.SPACE_OR_CONTROL}]+$",
        description="The payment provider's fingerprint of the card or wallet (Stripe's "
                    "`card.fingerprint`, Adyen's `shopperReference`...). Stored hashed and "
                    "only compared: the same one behind a referrer's and a referred "
                    "friend's orders sends the referral to review.")

    _placed = field_validator("placed_at")(_aware)


class PlatformOrderIn(OrderIn):
    """An order a store platform has already taken, stored as the platform reports
    it: it may have no lines (Shopify sends such orders), which the API refuses."""

    lines: list[OrderLineIn] = Field(default_factory=list, max_length=500)


class OrderLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str | None
    title: str
    quantity: int
    unit_price_minor: int
    total_minor: int
    refunded_quantity: int
    product_id: int | None
    variant_id: int | None
    subscription: bool = False


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    source: str
    external_id: str | None
    customer_id: int | None
    email: str | None
    phone: str | None
    currency: str
    subtotal_minor: int
    shipping_minor: int
    tax_minor: int
    discount_minor: int
    total_minor: int
    refunded_minor: int
    status: Literal["open", "cancelled", "closed"] | str
    financial_status: str | None
    fulfillment_status: str | None
    placed_at: datetime
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    lines: list[OrderLineOut]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None
