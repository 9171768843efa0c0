"""The assistant's part of a customer's export and erasure (afterward/privacy.py): their
conversations and every message in them. Erasure deletes both: what a shopper wrote
to the assistant is theirs, and nothing of it is needed once they are gone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from afterward.assistant.models import Conversation, ConversationMessage
from afterward.commerce.privacy import plain
from afterward.privacy import changed, section

_CONVERSATION_FIELDS = ("public_id", "order_id", "channel", "status", "locale",
                        "handoff_reason", "csat_score", "created_at", "updated_at")
_MESSAGE_FIELDS = ("author", "text", "intent", "created_at")


def _ids(session: Session, store_id: int, customer_id: int) -> list[int]:
    return list(session.scalars(select(Conversation.id).where(
        Conversation.store_id == store_id, Conversation.customer_id == customer_id)
        .order_by(Conversation.id)))


@section("assistant")
class AssistantSection:
    @staticmethod
    def export(session: Session, store_id: int, customer_id: int) -> dict[str, Any] | None:
        ids = _ids(session, store_id, customer_id)
        if not ids:
            return None
        conversations = session.scalars(select(Conversation).where(
            Conversation.id.in_(ids)).order_by(Conversation.id))
        messages = list(session.scalars(select(ConversationMessage).where(
            ConversationMessage.store_id == store_id,
            ConversationMessage.conversation_id.in_(ids))
            .order_by(ConversationMessage.conversation_id, ConversationMessage.id)))
        return {"conversations": [
            {**{n: plain(getattr(c, n)) for n in _CONVERSATION_FIELDS},
             "messages": [{n: plain(getattr(m, n)) for n in _MESSAGE_FIELDS}
                          for m in messages if m.conversation_id == c.id]}
            for c in conversations]}

    @staticmethod
    def erase(session: Session, store_id: int, customer_id: int) -> dict[str, int]:
        ids = _ids(session, store_id, customer_id)
        if not ids:
            return {"conversations": 0, "conversation_messages": 0}
        messages = changed(session.execute(delete(ConversationMessage).where(
            ConversationMessage.store_id == store_id,
            ConversationMessage.conversation_id.in_(ids))))
        conversations = changed(session.execute(delete(Conversation).where(
            Conversation.store_id == store_id, Conversation.id.in_(ids))))
        return {"conversations": conversations, "conversation_messages": messages}
