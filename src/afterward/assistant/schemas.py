"""The assistant's JSON shapes (DESIGN.md, "Contracts ... Assistant")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from afterward.commerce.schemas import Strict

Text = Field("", max_length=4000, description="What the shopper wrote (at most 4,000 "
             "characters); may be empty only with `confirm`")
ConversationId = Field(None, min_length=1, max_length=64, description=(
    "The conversation to continue, as an earlier answer gave it"))
Locale = Field(None, min_length=2, max_length=16, pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$",
               description="The shopper's language (en, de, fr, pt-BR); left out: recognised")
ClientId = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
                 description="The client's id for this message: sent again (a retry), it "
                 "gets the first answer and is stored once")
Confirm = Field(None, min_length=1, max_length=64, description=(
    "The id of an action the assistant proposed: carries it out"))


class MessageIn(Strict):
    text: str = Text
    conversation_id: str | None = ConversationId
    locale: str | None = Locale
    client_message_id: str | None = ClientId
    confirm: str | None = Confirm
    order_number: str | None = Field(None, max_length=64, description=(
        "With `email` or `postal_code`: the order this conversation is about"))
    email: str | None = Field(None, max_length=320)
    postal_code: str | None = Field(None, max_length=20)


class ShopperMessageIn(MessageIn):
    """The widget's message: from a tracking page (its parcel's `token`) or with an
    order's two facts; `store` is the store's slug when the install has several."""

    token: str | None = Field(None, max_length=64)
    store: str | None = Field(None, max_length=64)
    # The returns portal's signed order link (its page's chat): that order only.
    order_token: str | None = Field(None, max_length=300)


class ActionOut(BaseModel):
    kind: str = Field(description="`link`, or an action to confirm: start_return, "
                      "request_cancel, request_address_change, resend_tracking_link, "
                      "unsubscribe")
    label: str
    id: str | None = Field(None, description="An action's id: send it as `confirm`")
    confirm: bool | None = None
    url: str | None = None


class MessageOut(BaseModel):
    conversation_id: str
    intent: str
    reply: str
    actions: list[ActionOut]
    handoff: bool


class TranscriptLine(BaseModel):
    author: str
    text: str
    intent: str | None
    created_at: datetime


class ConversationOut(BaseModel):
    id: str
    status: str
    channel: str
    locale: str
    reason: str | None
    assignee: str | None
    order_number: str | None
    customer_id: int | None
    csat_score: int | None
    created_at: datetime
    updated_at: datetime
    messages: list[TranscriptLine]


class ConversationList(BaseModel):
    items: list[ConversationOut]


def action_out(action: dict[str, Any]) -> ActionOut:
    return ActionOut(**{k: action.get(k) for k in ("kind", "label", "id", "confirm", "url")})


class WeekStatsOut(BaseModel):
    week: date = Field(description="The week's Monday (UTC); the first and last weeks may "
                       "be cut by the period")
    orders: int
    conversations: int
    answered_without_person: int
    contacts_per_100_orders: float | None = Field(description="null when there were no "
                                                  "orders")
    intents: dict[str, int] = Field(description="Shoppers' messages by intent, every "
                                    "intent named")


class ConversationStatsOut(BaseModel):
    first_day: date
    last_day: date
    orders: int = Field(description="Orders placed in the period, any status")
    conversations: int = Field(description="Conversations opened in the period")
    answered_without_person: int = Field(description=(
        "Conversations never handed to the team and with no answer of the team's"))
    handed_to_person: int
    contacts_per_100_orders: float | None = Field(description="null when there were no "
                                                  "orders")
    answered_without_person_share: float | None = Field(description=(
        "0..1; null when there were no conversations"))
    intents: dict[str, int]
    weeks: list[WeekStatsOut]
