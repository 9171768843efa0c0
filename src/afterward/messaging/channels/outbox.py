"""The outbox: rendered messages kept in the database instead of leaving the
machine (the demo, previews, and email or SMS before a provider is configured)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from afterward.messaging.channels import Channel, Outgoing, Receipt, register
from afterward.messaging.models import OutboxEntry


@register("outbox")
class OutboxChannel(Channel):
    in_database = True

    def send(self, message: Outgoing, session: Session) -> Receipt:
        entry = OutboxEntry(**entry_values(message))
        session.add(entry)
        session.flush()
        return Receipt("outbox", provider_id(entry.id))


def entry_values(message: Outgoing) -> dict[str, Any]:
    """The outbox row of a message (its id and time of writing aside)."""
    return {"store_id": message.store_id, "message_id": message.message_id,
            "channel": message.channel, "recipient": message.recipient,
            "subject": message.subject, "body_text": message.text, "body_html": message.html,
            "headers": _headers(message)}


def provider_id(entry_id: int) -> str:
    return f"outbox:{entry_id}"


def _headers(message: Outgoing) -> dict[str, str]:
    known = {"From": message.sender, "Reply-To": message.reply_to,
             "Message-ID": message.message_id_header}
    return {**{k: v for k, v in known.items() if v}, **message.headers}
