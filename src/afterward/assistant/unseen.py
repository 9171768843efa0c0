"""What the shopper's chat has not been shown yet: the team's answers (inbox.answer)
and the assistant's words that answered no message of theirs (inbox.close's CSAT
question). The widget polls for them once a conversation is handed to a person
(web/pages/assistant.py, GET /assistant/conversations/{id}/messages). Read-only.

A conversation is found by its public id (192 random bits, the widget's bearer
secret), a widget conversation only (an integration's are read through the API), and,
on a store's embed, that store's only. The shopper's own messages and the assistant's
direct answers are never repeated: the POST that asked got them. Message ids grow, so
"after the last one shown" is a cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from afterward.assistant.models import Conversation, ConversationMessage

MAX_ID = 2**63 - 1
AT_MOST = 50  # messages per read; the next read (after the last of them) gets the rest
MAX_PUBLIC_ID = 64


@dataclass(frozen=True)
class Said:
    id: int
    author: str  # agent (the team) | bot (the assistant, unprompted)
    text: str
    at: datetime


@dataclass(frozen=True)
class Unseen:
    conversation_id: str
    status: str
    messages: list[Said]
    after: int  # the cursor for the next read


def conversation(session: Session, public_id: str, *,
                 store_id: int | None = None) -> Conversation | None:
    """A widget conversation by its public id (on `store_id` when given)."""
    if not public_id or len(public_id) > MAX_PUBLIC_ID:
        return None
    query = select(Conversation).where(Conversation.public_id == public_id,
                                       Conversation.channel == "widget")
    if store_id is not None:
        query = query.where(Conversation.store_id == store_id)
    return session.scalar(query)


def since(session: Session, found: Conversation, after: int) -> Unseen:
    """The conversation's team answers and unprompted assistant words after `after`."""
    rows = list(session.scalars(select(ConversationMessage).where(
        ConversationMessage.store_id == found.store_id,
        ConversationMessage.conversation_id == found.id,
        ConversationMessage.id > after,
        or_(ConversationMessage.author == "agent",
            and_(ConversationMessage.author == "bot",
                 ConversationMessage.reply_to_id.is_(None))))
        .order_by(ConversationMessage.id).limit(AT_MOST)))
    return Unseen(found.public_id, found.status,
                  [Said(m.id, m.author, m.text, m.created_at) for m in rows],
                  rows[-1].id if rows else after)
