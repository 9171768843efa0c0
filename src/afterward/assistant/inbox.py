"""The team's side of a handed-off conversation: take it, answer, close it. An answer is
stored in the transcript (the widget shows it) and recorded as `conversation.replied`,
which the built-in journey turns into an email to the shopper; closing asks the
shopper for a CSAT score (1-5), their next message in the conversation."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterward.assistant.models import Conversation, ConversationMessage
from afterward.assistant.texts import Say
from afterward.events import record

MAX_REPLY = 4000
LISTED = 100
SAME_ANSWER = timedelta(minutes=5)


class InboxError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def get(session: Session, *, store_id: int, conversation_id: int,
        lock: bool = False) -> Conversation | None:
    query = select(Conversation).where(Conversation.store_id == store_id,
                                       Conversation.id == conversation_id)
    return session.scalar(query.with_for_update() if lock else query)


def listed(session: Session, *, store_id: int, status: str,
           limit: int = LISTED) -> list[Conversation]:
    return list(session.scalars(select(Conversation).where(
        Conversation.store_id == store_id, Conversation.status == status)
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(limit)))


def counts(session: Session, *, store_id: int) -> dict[str, int]:
    rows = session.execute(select(Conversation.status, func.count()).where(
        Conversation.store_id == store_id).group_by(Conversation.status))
    return {status: int(n) for status, n in rows}


def assign(session: Session, *, conversation: Conversation, to: str, now: datetime) -> None:
    if conversation.status == "closed":
        raise InboxError("closed")
    conversation.status, conversation.assignee = "assigned", to[:320]
    conversation.updated_at = now


def answer(session: Session, *, conversation: Conversation, text: str, by: str,
           now: datetime) -> ConversationMessage:
    """The team's answer: in the transcript, and by email (`conversation.replied`)."""
    text = text.strip()
    if not text:
        raise InboxError("empty")
    if len(text) > MAX_REPLY:
        raise InboxError("too_long")
    if conversation.status == "closed":
        raise InboxError("closed")
    last = session.scalar(select(ConversationMessage).where(
        ConversationMessage.conversation_id == conversation.id)
        .order_by(ConversationMessage.id.desc()).limit(1))
    if last is not None and last.author == "agent" and last.text == text and \
            last.author_name == by[:320] and now - last.created_at < SAME_ANSWER:
        return last  # the same answer sent again (a double click, another tab): once
    if conversation.status in ("bot", "open"):
        conversation.status = "assigned"
        conversation.assignee = conversation.assignee or by[:320]
    said = ConversationMessage(store_id=conversation.store_id,
                               conversation_id=conversation.id, author="agent",
                               author_name=by[:320], text=text, handoff=False, created_at=now)
    session.add(said)
    conversation.updated_at = now
    session.flush()
    record(session, store_id=conversation.store_id, name="conversation.replied",
           subject_type="conversation", subject_id=conversation.id, occurred_at=now,
           payload={"conversation_id": conversation.id, "message_id": said.id,
                    "order_id": conversation.order_id,
                    "customer_id": conversation.customer_id})
    return said


def close(session: Session, *, conversation: Conversation, by: str, now: datetime) -> bool:
    """Close it and ask for a score; False when it was closed already (nothing changes)."""
    if conversation.status == "closed":
        return False
    conversation.status, conversation.pending_action = "closed", None
    conversation.others_in_row, conversation.updated_at = 0, now
    say = Say(conversation.locale, None)
    session.add(ConversationMessage(store_id=conversation.store_id,
                                    conversation_id=conversation.id, author="bot",
                                    text=say("closed"), intent=None, handoff=False,
                                    created_at=now))
    session.flush()
    record(session, store_id=conversation.store_id, name="conversation.closed",
           subject_type="conversation", subject_id=conversation.id, occurred_at=now,
           payload={"conversation_id": conversation.id, "by": by[:320],
                    "customer_id": conversation.customer_id})
    return True


def score(conversation: Conversation, text: str) -> bool:
    """A closed conversation's next message, when it is a score from 1 to 5: its CSAT."""
    value = text.strip().rstrip(".!")
    if conversation.status != "closed" or conversation.csat_score is not None or \
            value not in ("1", "2", "3", "4", "5"):
        return False
    conversation.csat_score = int(value)
    return True
