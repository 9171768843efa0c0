"""A conversation with the assistant: one shopper message in, one answer out, both
stored. `reply` takes the message, finds or opens the conversation within what the
caller may see (its scope), recognises the intent, answers from the data
(answers.py), proposes or carries out an action (actions.py) and hands over to a
person when asked, on a complaint, on a clearly angry message (sentiment.py) or after
two answers it could not give. It never
commits: the caller owns the transaction. A message sent again with the same
`client_id` gets the answer it got the first time and is not stored twice."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward import outbound
from afterward.assistant import access, actions, answers, inbox, intents, sentiment
from afterward.assistant.answers import Answer, Seen
from afterward.assistant.models import Conversation, ConversationMessage
from afterward.assistant.texts import Say, language_of
from afterward.commerce import service as commerce
from afterward.commerce.models import Order, Store
from afterward.events import record

MAX_TEXT = 4000
OPENED_EVENT = "conversation.opened"
HANDOFF_INTENTS = {"talk_to_person": "talk_to_person", "complaint": "complaint"}
NEGATIVE_SENTIMENT = "negative_sentiment"  # a clearly angry message (sentiment.py)
OTHERS_BEFORE_HANDOFF = 2
# Intents answered without an order; the others ask for one first.
WITHOUT_ORDER = frozenset({"return_policy", "talk_to_person", "complaint", "other"})


class AssistantError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


@dataclass(frozen=True)
class Scope:
    """What the caller may see: a channel, and at most one order (a tracking page's
    parcel, or an order found by two facts)."""

    channel: str  # widget | api
    order_id: int | None = None
    shipment_id: int | None = None
    facts: access.Facts | None = None  # two facts to look an order up with


@dataclass(frozen=True)
class Reply:
    conversation_id: str
    intent: str
    reply: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    handoff: bool = False
    replayed: bool = False  # the answer given before to the same client message id
    store_id: int = 0
    message_id: int | None = None  # the stored answer (rephrase.py may reword it)
    lang: str = "en"  # the answer's language


def reply(session: Session, *, store_id: int, scope: Scope, text: str,
          conversation_id: str | None = None, locale: str | None = None, now: datetime,
          client_id: str | None = None, confirm: str | None = None,
          secret_key: str = "") -> Reply:
    text = text.strip()
    if not text and not confirm:
        raise AssistantError(422, "invalid", "the message is empty", "text")
    if len(text) > MAX_TEXT:
        raise AssistantError(422, "too_long", f"a message has at most {MAX_TEXT} characters",
                             "text")
    if client_id is not None:
        earlier = _replayed(session, store_id, client_id, conversation_id)
        if earlier is not None:
            return earlier
    store = session.get(Store, store_id)
    if store is None:
        raise AssistantError(404, "not_found", "no such store")
    conversation = _conversation(session, store, scope, conversation_id, locale, now)
    had_order = conversation.order_id is not None
    order = _order(session, store, conversation, scope)
    recognised = intents.recognise(text, locale) if text else None
    if recognised is not None and not had_order and scope.facts is not None:
        recognised = _carried_on(session, conversation, recognised)
    say = Say(language_of(locale, recognised.language if recognised else None,
                          conversation.locale, store.locale), store.timezone)
    conversation.locale = say.lang
    asked = ConversationMessage(
        store_id=store_id, conversation_id=conversation.id, author="shopper",
        text=text or say(actions.LABELS.get(_pending_kind(conversation), "do_return")),
        intent=recognised.intent if recognised else None,
        confidence=recognised.confidence if recognised else None, client_id=client_id,
        handoff=False, created_at=now)
    session.add(asked)
    session.flush()
    seen = Seen(store, order, conversation.shipment_id, secret_key, now)
    if confirm:
        intent, answer, reason = _confirmed(session, conversation, confirm, seen, say)
    else:
        assert recognised is not None
        intent, answer, reason = _answered(session, conversation, recognised.intent, text,
                                           seen, say, looked_up=scope.facts is not None,
                                           lang=recognised.language)
    handoff = reason is not None
    shown = list(answer.links)
    conversation.pending_action = None
    if answer.propose and not handoff:
        conversation.pending_action = actions.propose(answer.propose, answer.params)
        shown.insert(0, actions.offered(conversation.pending_action, say))
    conversation.updated_at = now
    told = ConversationMessage(
        store_id=store_id, conversation_id=conversation.id, author="bot", text=answer.text,
        intent=intent, reply_to_id=asked.id, actions=shown, handoff=handoff, created_at=now)
    session.add(told)
    session.flush()
    if handoff and conversation.status == "bot":
        _hand_off(session, conversation, reason or "", now)
    return Reply(conversation.public_id, intent, answer.text, shown, handoff,
                 store_id=store_id, message_id=told.id, lang=say.lang)


def reword(session: Session, *, store_id: int, message_id: int, text: str) -> bool:
    """Store the rewording of an answer (assistant/rephrase.py checked it keeps the
    facts); False when there is no such answer of the assistant's."""
    told = session.scalar(select(ConversationMessage).where(
        ConversationMessage.store_id == store_id, ConversationMessage.id == message_id,
        ConversationMessage.author == "bot"))
    if told is None:
        return False
    told.text = text
    return True


def _pending_kind(conversation: Conversation) -> str:
    return str((conversation.pending_action or {}).get("kind", ""))


def _replayed(session: Session, store_id: int, client_id: str,
              conversation_id: str | None) -> Reply | None:
    asked = session.scalar(select(ConversationMessage).where(
        ConversationMessage.store_id == store_id, ConversationMessage.client_id == client_id))
    if asked is None:
        return None
    conversation = session.get(Conversation, asked.conversation_id)
    assert conversation is not None
    if conversation_id is not None and conversation_id != conversation.public_id:
        raise AssistantError(409, "client_id_reused",
                             "this client message id belongs to another conversation",
                             "client_message_id")
    told = session.scalar(select(ConversationMessage).where(
        ConversationMessage.conversation_id == conversation.id,
        ConversationMessage.reply_to_id == asked.id))
    if told is None:
        return None
    return Reply(conversation.public_id, told.intent or "other", told.text,
                 list(told.actions or []), told.handoff, replayed=True)


def _conversation(session: Session, store: Store, scope: Scope, conversation_id: str | None,
                  locale: str | None, now: datetime) -> Conversation:
    if conversation_id:
        found = session.scalar(select(Conversation).where(
            Conversation.store_id == store.id, Conversation.public_id == conversation_id[:64])
            .with_for_update())
        if found is None or found.channel != scope.channel or (
                scope.order_id is not None and found.order_id not in (None, scope.order_id)):
            raise AssistantError(404, "conversation_not_found", "no such conversation",
                                 "conversation_id")
        return found
    conversation = Conversation(
        store_id=store.id, public_id=secrets.token_urlsafe(24), channel=scope.channel,
        status="bot", locale=language_of(locale, store.locale), others_in_row=0,
        created_at=now, updated_at=now)
    session.add(conversation)
    session.flush()
    return conversation


def _order(session: Session, store: Store, conversation: Conversation,
           scope: Scope) -> Order | None:
    """The one order the conversation sees: its own, the scope's, or one found now by
    two facts (a miss looks the same whichever fact was wrong)."""
    order_id, shipment_id = conversation.order_id, conversation.shipment_id
    if order_id is None and scope.order_id is not None:
        order_id, shipment_id = scope.order_id, scope.shipment_id
    if order_id is None and scope.facts is not None:
        found = access.find_order(session, store, scope.facts)
        order_id = found.id if found is not None else None
    if order_id is None:
        return None
    order = commerce.get_order(session, store_id=store.id, order_id=order_id)
    if order is not None and conversation.order_id is None:
        conversation.order_id, conversation.shipment_id = order.id, shipment_id
        conversation.customer_id = order.customer_id
    return order


def _confirmed(session: Session, conversation: Conversation, confirm: str, seen: Seen,
               say: Say) -> tuple[str, Answer, str | None]:
    pending = conversation.pending_action
    if not pending or pending.get("id") != confirm or seen.order is None:
        return "other", Answer(say("nothing_to_confirm")), None
    done = actions.carry_out(session, conversation=conversation, pending=pending, seen=seen,
                             say=say)
    intent = {"start_return": "start_return", "request_cancel": "cancel_order",
              "request_address_change": "change_address",
              "resend_tracking_link": "where_is_my_order",
              "unsubscribe": "email_preferences"}[pending["kind"]]
    return intent, Answer(done.text, done.links), done.handoff_reason


_ANSWERS: dict[str, Callable[[Session, Seen, Say], Answer]] = {
    "where_is_my_order": answers.where_is_my_order,
    "delivery_date": answers.delivery_date,
    "start_return": answers.start_return,
    "refund_status": answers.refund_status,
    "return_policy": answers.return_policy,
    "cancel_order": answers.cancel_order,
    "leave_review": answers.leave_review,
    "loyalty_points": answers.loyalty_points,
    "email_preferences": answers.email_preferences,
}


def _answered(session: Session, conversation: Conversation, intent: str, text: str,
              seen: Seen, say: Say, *, looked_up: bool,
              lang: str = "unknown") -> tuple[str, Answer, str | None]:
    if conversation.status in ("open", "assigned"):
        return intent, Answer(say("waiting")), None
    if conversation.status == "closed":
        if inbox.score(conversation, text):
            return "other", Answer(say("thanks")), None
        conversation.status = "bot"
    conversation.others_in_row = conversation.others_in_row + 1 if intent == "other" else 0
    if intent in HANDOFF_INTENTS:
        return intent, Answer(say("handoff")), HANDOFF_INTENTS[intent]
    angry = sentiment.is_angry(text, lang)
    if intent == "other":
        if angry:
            return intent, Answer(say("handoff_upset")), NEGATIVE_SENTIMENT
        if conversation.others_in_row >= OTHERS_BEFORE_HANDOFF:
            return intent, Answer(say("handoff")), "repeated_other"
        return intent, Answer(say("other")), None
    if seen.order is None and intent not in WITHOUT_ORDER:
        answer = Answer(say("not_found" if looked_up else "ask_order"))
    elif intent == "change_address":
        answer = answers.change_address(session, seen, say, text)
    else:
        answer = _ANSWERS[intent](session, seen, say)
    if angry:
        # The facts asked for, and a person: no action is offered (the team decides).
        return intent, Answer(f"{answer.text} {say('handoff_upset')}", answer.links), \
            NEGATIVE_SENTIMENT
    return intent, answer, None


def _hand_off(session: Session, conversation: Conversation, reason: str, now: datetime) -> None:
    """The conversation goes to the team's inbox: `conversation.opened` recorded and sent
    to the store's webhooks (a help desk may take it from there)."""
    conversation.status, conversation.handoff_reason = "open", reason
    session.flush()
    record(session, store_id=conversation.store_id, name=OPENED_EVENT,
           subject_type="conversation", subject_id=conversation.id, occurred_at=now,
           payload={"conversation_id": conversation.id, "order_id": conversation.order_id,
                    "customer_id": conversation.customer_id, "reason": reason})
    outbound.publish(
        session, store_id=conversation.store_id, event_type=OPENED_EVENT,
        event_id=f"conversation_opened_{conversation.id}_{now.timestamp():.6f}",
        data=webhook_data(session, conversation))


def transcript(session: Session, conversation: Conversation) -> list[ConversationMessage]:
    return list(session.scalars(select(ConversationMessage).where(
        ConversationMessage.store_id == conversation.store_id,
        ConversationMessage.conversation_id == conversation.id)
        .order_by(ConversationMessage.id)))


def webhook_data(session: Session, conversation: Conversation) -> dict[str, Any]:
    order = commerce.get_order(session, store_id=conversation.store_id,
                               order_id=conversation.order_id) \
        if conversation.order_id else None
    return {"conversation_id": conversation.public_id, "status": conversation.status,
            "reason": conversation.handoff_reason, "locale": conversation.locale,
            "order_number": order.number if order else None,
            "customer_id": conversation.customer_id,
            "messages": [{"author": m.author, "text": m.text, "intent": m.intent,
                          "at": m.created_at.isoformat().replace("+00:00", "Z")}
                         for m in transcript(session, conversation)]}


def _carried_on(session: Session, conversation: Conversation,
                recognised: intents.Recognised) -> intents.Recognised:
    """A message that only gives the two facts an earlier answer asked for ("1001
    jane@example.com") answers the question that was waiting for them, in the
    conversation's language."""
    if recognised.intent != "other":
        return recognised
    waiting = session.scalar(select(ConversationMessage.intent).where(
        ConversationMessage.store_id == conversation.store_id,
        ConversationMessage.conversation_id == conversation.id,
        ConversationMessage.author == "bot").order_by(ConversationMessage.id.desc()).limit(1))
    if waiting is None or waiting in WITHOUT_ORDER:
        return recognised
    return intents.Recognised(waiting, recognised.confidence, "unknown")
