"""The assistant for integrators (DESIGN.md, "Contracts ... Assistant"): a shopper's
message answered with the store key, and the conversations handed to a person, with
their transcripts, for a help desk to take."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.api.deps import Principal, Write, principal, read_session, writer
from afterward.api.errors import ApiError, ErrorResponse
from afterward.api.params import each_once
from afterward.api.responses import INVALID, KEYED, NOT_FOUND, WITH_BODY, Responses, refusals
from afterward.api.surveys import From, To, period
from afterward.assistant import access, rephrase, service, stats
from afterward.assistant.models import Conversation
from afterward.assistant.schemas import (
    ConversationList,
    ConversationOut,
    ConversationStatsOut,
    MessageIn,
    MessageOut,
    TranscriptLine,
    WeekStatsOut,
    action_out,
)
from afterward.commerce import service as commerce
from afterward.config import Settings
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.throttle import Throttle

router = APIRouter(prefix="/api/v1", responses=KEYED, tags=["assistant"],
                   dependencies=[Depends(each_once)])

# Messages counted per sender's address (every server process shares the count): a
# shopper's widget; and an integration's, which relays many shoppers' messages from one
# address with the store's key.
MESSAGES_PER_MINUTE = 60
API_MESSAGES_PER_MINUTE = 6000
THROTTLED: Responses = {429: {"model": ErrorResponse, "description": (
    "Too many messages from this address: wait `Retry-After` seconds.")}}


def message_throttle(settings: Settings, limit: int = MESSAGES_PER_MINUTE) -> Throttle:
    return Throttle(scope="assistant" if limit == MESSAGES_PER_MINUTE else "assistant_api",
                    limit=limit, window_seconds=60, secret=settings.secret_key)


def count_message(request: Request, *parts: str, limit: int = MESSAGES_PER_MINUTE) -> None:
    """Count one message against the sender's address; 429 over the limit."""
    db: Database = request.app.state.db
    address = request.client.host if request.client else ""
    if not message_throttle(request.app.state.settings, limit).attempt(db, address, *parts):
        raise ApiError(429, "rate_limited", "too many messages: wait a minute",
                       headers={"Retry-After": "60"})


def answered(found: service.Reply) -> MessageOut:
    return MessageOut(conversation_id=found.conversation_id, intent=found.intent,
                      reply=found.reply, actions=[action_out(a) for a in found.actions],
                      handoff=found.handoff)


def rephrased(request: Request, found: service.Reply) -> service.Reply:
    """The answer reworded by the merchant's chat model when one is configured and the
    rewording keeps every fact (assistant/rephrase.py), stored in a second short
    transaction: the model is never called inside one."""
    point = rephrase.endpoint(request.app.state.settings)
    if point is None or found.replayed or found.message_id is None:
        return found
    text = rephrase.rephrase(point, found.reply, found.lang)
    if text == found.reply:
        return found
    message_id = found.message_id
    db: Database = request.app.state.db
    db.run(lambda session: service.reword(session, store_id=found.store_id,
                                          message_id=message_id, text=text))
    return dataclasses.replace(found, reply=text)


def refused(error: service.AssistantError) -> ApiError:
    return ApiError(error.status, error.code, error.message, error.field)


@router.post("/assistant/messages", response_model=MessageOut,
             responses={**WITH_BODY, **NOT_FOUND, **refusals(409), **THROTTLED})
def post_message(body: MessageIn, request: Request,
                 idempotency_key: Annotated[str | None, Header(max_length=64)] = None,
                 who: Principal = Depends(principal),
                 write: Write = Depends(writer)) -> MessageOut:
    """A shopper's message, answered from the store's data: the intent, the reply in
    the shopper's language, links and at most one action to confirm (send its id as
    `confirm`), and whether a person takes over. The conversation sees one order, found
    by `order_number` with `email` or `postal_code` (or both written in the text).
    `client_message_id` (or `Idempotency-Key`) sent again gets the first answer."""
    count_message(request, str(who.store_id), limit=API_MESSAGES_PER_MINUTE)
    settings: Settings = request.app.state.settings
    facts = access.facts_of(body.text, order_number=body.order_number, email=body.email,
                            postal_code=body.postal_code)
    scope = service.Scope(channel="api", facts=facts)

    def work(session: Session) -> service.Reply:
        try:
            return service.reply(
                session, store_id=who.store_id, scope=scope, text=body.text,
                conversation_id=body.conversation_id, locale=body.locale, now=utcnow(),
                client_id=body.client_message_id or idempotency_key, confirm=body.confirm,
                secret_key=settings.secret_key)
        except service.AssistantError as error:
            raise refused(error) from None

    return answered(rephrased(request, write(work)))


def conversation_out(session: Session, conversation: Conversation) -> ConversationOut:
    order = commerce.get_order(session, store_id=conversation.store_id,
                               order_id=conversation.order_id) \
        if conversation.order_id else None
    return ConversationOut(
        id=conversation.public_id, status=conversation.status, channel=conversation.channel,
        locale=conversation.locale, reason=conversation.handoff_reason,
        assignee=conversation.assignee, order_number=order.number if order else None,
        customer_id=conversation.customer_id, csat_score=conversation.csat_score,
        created_at=conversation.created_at, updated_at=conversation.updated_at,
        messages=[TranscriptLine(author=m.author, text=m.text, intent=m.intent,
                                 created_at=m.created_at)
                  for m in service.transcript(session, conversation)])


@router.get("/conversations", response_model=ConversationList, responses=INVALID)
def list_conversations(
        status: Annotated[Literal["bot", "open", "assigned", "closed"] | None,
                          Query(description="Only conversations in this state")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
        who: Principal = Depends(principal),
        session: Session = Depends(read_session)) -> ConversationList:
    """Conversations, the most recently active first, each with its transcript:
    `status=open` lists those handed to a person and not yet taken."""
    query = select(Conversation).where(Conversation.store_id == who.store_id)
    if status is not None:
        query = query.where(Conversation.status == status)
    rows = session.scalars(query.order_by(Conversation.updated_at.desc(),
                                          Conversation.id.desc()).limit(limit))
    return ConversationList(items=[conversation_out(session, c) for c in rows])


@router.get("/conversations/stats", response_model=ConversationStatsOut, responses=INVALID)
def conversation_stats(start: From = None, end: To = None,
                       who: Principal = Depends(principal),
                       session: Session = Depends(read_session)) -> ConversationStatsOut:
    """What the assistant saves over the period (UTC days, both included; default the
    last 90): contacts (conversations opened) per 100 orders placed, the conversations
    answered without a person, and the shoppers' messages by intent, per week."""
    first, after = period(start, end)
    found = stats.savings(session, store_id=who.store_id, start=first, end=after)
    return ConversationStatsOut(
        first_day=first.date(), last_day=(after - timedelta(days=1)).date(),
        orders=found.orders, conversations=found.conversations,
        answered_without_person=found.without_person, handed_to_person=found.handed_off,
        contacts_per_100_orders=found.per_100_orders,
        answered_without_person_share=None if found.without_person_share is None
        else round(found.without_person_share, 4),
        intents=found.intents,
        weeks=[WeekStatsOut(week=w.start, orders=w.orders, conversations=w.conversations,
                            answered_without_person=w.without_person,
                            contacts_per_100_orders=w.per_100_orders, intents=w.intents)
               for w in found.weeks])
