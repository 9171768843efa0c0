"""API shapes for returns and store credit (DESIGN.md, "Contracts ... Returns")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from afterward.commerce.fields import JSON_INTEGER, NOT_BLANK, Email, Flag
from afterward.commerce.schemas import Strict
from afterward.returns.policy import Resolution

Quantity = Annotated[int, Field(ge=1, le=100_000), JSON_INTEGER]
Sku = Annotated[str, Field(min_length=1, max_length=100, json_schema_extra={
    "pattern": NOT_BLANK})]
Reason = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$")]
Condition = Literal["new", "opened", "used", "damaged", "wrong_item", "missing"]


class ReturnLineIn(Strict):
    sku: Sku
    quantity: Quantity
    reason: Reason
    comment: str | None = Field(None, max_length=2000)


class GiftRecipientIn(Strict):
    """Who received the order as a gift: the store credit (or exchange) is theirs."""

    email: Email
    name: str | None = Field(None, max_length=200)


class ReturnIn(Strict):
    order_number: str = Field(min_length=1, max_length=64, json_schema_extra={
        "pattern": NOT_BLANK})
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=100)
    resolution: Resolution
    exchange_for_sku: Sku | None = None
    gift_recipient: GiftRecipientIn | None = Field(None, description=(
        "A gift returned by its recipient: store credit or an exchange only, for them"))
    instant_exchange: Flag = Field(False, description="An exchange whose order is made at the "
                                   "return parcel's first carrier scan, not at receipt (when "
                                   "the policy offers `instant_exchange`)")


class ReceivedLineIn(Strict):
    sku: Sku
    quantity: Annotated[int, Field(ge=0, le=100_000), JSON_INTEGER]
    condition: Condition
    restock: Flag = False
    accept: Flag = Field(True, description="False: received but refused at inspection "
                                           "(nothing settled for it)")


class ReceiveIn(Strict):
    lines: list[ReceivedLineIn] = Field(min_length=1, max_length=100)


class RejectIn(Strict):
    reason: str = Field(min_length=1, max_length=500, json_schema_extra={
        "pattern": NOT_BLANK})


class ParcelIn(Strict):
    tracking_number: str = Field(min_length=4, max_length=40,
                                 pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]*$")
    carrier: str | None = Field(None, min_length=2, max_length=32, pattern=r"^[a-z0-9_-]+$",
                                description="A carrier code (ups, dhl, ...); left out: "
                                            "detected from the number")


class ReturnLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    title: str
    quantity: int
    unit_paid_minor: int
    reason: str
    comment: str | None
    received_quantity: int
    condition: str | None
    restock: bool | None
    accepted: bool | None
    photo_required: bool


class ReturnPhotoOut(BaseModel):
    id: int
    sku: str
    content_type: str
    width: int
    height: int
    byte_size: int
    sha256: str
    url: str = Field(description="The photo's bytes, with the API key")
    created_at: datetime


class ReturnOut(BaseModel):
    id: int
    number: str
    order_id: int
    order_number: str
    status: str
    resolution: str
    currency: str
    value_minor: int
    refund_minor: int
    credit_minor: int
    fee_minor: int
    bonus_minor: int
    exchange_for_sku: str | None
    exchange_minor: int | None
    difference_minor: int | None = Field(description="An exchange: what the shopper pays "
                                         "(> 0) or gets back (< 0)")
    exchange_order_id: int | None
    review_reasons: list[str]
    reject_reason: str | None
    deadline_at: datetime | None
    label_url: str | None = Field(description="The label, once approved: the carrier's "
                                  "once bought, else our own 4x6 inch PDF")
    label_carrier: str | None = None
    label_status: str | None = Field(None, description="A carrier's label: pending, issued "
                                     "or failed (null: our own PDF label)")
    label_error: str | None = None
    tracking_number: str | None = None
    inbound_shipment_id: int | None = None
    instant_exchange: bool = False
    label_issued_at: datetime | None = None
    in_transit_at: datetime | None = None
    arrived_at: datetime | None = None
    created_at: datetime
    approved_at: datetime | None
    rejected_at: datetime | None
    received_at: datetime | None
    resolved_at: datetime | None
    lines: list[ReturnLineOut]
    photos: list[ReturnPhotoOut] = []
    gift_recipient_email: str | None = None
    gift_recipient_name: str | None = None
    gift_customer_id: int | None = Field(None, description="The recipient's customer "
                                         "record, whose store credit this return adds to")


class ReturnList(BaseModel):
    items: list[ReturnOut]


class CreditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    amount_minor: int
    kind: str
    return_id: int | None
    note: str | None
    created_at: datetime


class StoreCreditOut(BaseModel):
    balance_minor: int
    currency: str
    entries: list[CreditEntryOut]
