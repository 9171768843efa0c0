"""The `conversation` part of a message's context (Module.message_parts): the team's
latest answer in a conversation with the assistant, for the email that carries it
(the built-in journey on `conversation.replied` hands on `conversation_id`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.assistant.models import Conversation, ConversationMessage

NAME = "conversation"
REF = "conversation_id"


def load(session: Session, *, store_id: int, id: int, public_url: str,
         secret_key: str) -> dict[str, Any] | None:
    conversation = session.get(Conversation, id)
    if conversation is None or conversation.store_id != store_id:
        return None
    answer = session.scalar(select(ConversationMessage.text).where(
        ConversationMessage.conversation_id == id, ConversationMessage.author == "agent")
        .order_by(ConversationMessage.id.desc()).limit(1))
    return {"answer": answer or "", "status": conversation.status}


def sample(*, currency: str, public_url: str) -> dict[str, Any]:
    return {"answer": "Your parcel is at the pickup point on Main Street until Friday.",
            "status": "assigned"}
