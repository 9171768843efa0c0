"""Messaging's part of a customer's export and erasure (afterward/privacy.py): the
messages sent (or held back) to them. Erasure removes the address, the subject, the
bodies and the template data of each message and deletes its outbox copy; the
message rows stay, with channel, category, status and times, so a journey's figures
do not change. Suppressions of the customer's addresses are kept on purpose: an
unsubscribe or a complaint must still be honoured if the address comes back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from afterward.commerce.models import Customer
from afterward.commerce.privacy import plain
from afterward.messaging.facts import address_key
from afterward.messaging.models import Message, MessageBody, OutboxEntry, Suppression
from afterward.privacy import changed, section

_MESSAGE_FIELDS = ("channel", "purpose", "category", "recipient", "subject", "status",
                   "status_reason", "sent_at", "delivered_at", "opened_at", "clicked_at",
                   "bounced_at", "created_at")


@section("messaging")
class MessagingSection:
    @staticmethod
    def export(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
        messages = session.scalars(select(Message).where(
            Message.store_id == store_id, Message.customer_id == customer_id)
            .order_by(Message.id)).all()
        customer = session.get(Customer, customer_id)
        addresses = [address_key(channel, a) for channel, a in
                     (("email", customer.email), ("sms", customer.phone)) if a] \
            if customer else []
        suppressions = session.scalars(select(Suppression).where(
            Suppression.store_id == store_id, Suppression.address.in_(addresses))
            .order_by(Suppression.id)).all() if addresses else []
        return {
            "messages": [{name: plain(getattr(m, name)) for name in _MESSAGE_FIELDS}
                         for m in messages],
            "suppressions": [{"channel": s.channel, "address": s.address, "reason": s.reason,
                              "created_at": plain(s.created_at)} for s in suppressions],
        }

    @staticmethod
    def erase(session: Session, store_id: int, customer_id: int) -> dict[str, int]:
        theirs = select(Message.id).where(Message.store_id == store_id,
                                          Message.customer_id == customer_id)
        outbox = changed(session.execute(delete(OutboxEntry).where(
            OutboxEntry.store_id == store_id, OutboxEntry.message_id.in_(theirs))))
        session.execute(delete(MessageBody).where(
            MessageBody.store_id == store_id, MessageBody.message_id.in_(theirs)))
        messages = changed(session.execute(update(Message).where(
            Message.store_id == store_id, Message.customer_id == customer_id)
            .values(recipient=None, subject=None, payload={})))
        return {"messages": messages, "message_outbox": outbox}
