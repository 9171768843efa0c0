"""The shopper's preference centre, as data: which marketing messages a person gets
on each channel, read from consent and the suppression list, and their choices
written back through both (consent events via commerce, suppressions here).

The page is reached from a signed link in an email (tokens.PREFERENCES over the
message id): the message says which store, which customer and which address."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce import service as commerce
from afterward.commerce.models import Customer, Store
from afterward.messaging import service
from afterward.messaging.facts import address_key
from afterward.messaging.models import Message, Suppression
from afterward.messaging.policy import Purpose
from afterward.messaging.tokens import PREFERENCES, InvalidToken, LinkSigner

SOURCE = "preference_centre"
CHANNELS = ("email", "sms")
# What a marketing opt-out leaves on the list, and what an explicit opt-in clears.
# Hard bounces and manual entries are the merchant's to lift, not the shopper's.
OPT_OUT = "unsubscribe"
CLEARED_BY_OPT_IN = ("unsubscribe", "complaint")


@dataclass(frozen=True)
class Choice:
    channel: str
    address: str
    subscribed: bool

    @property
    def masked(self) -> str:
        return mask(self.channel, self.address)


@dataclass(frozen=True)
class Subject:
    """Whose preferences a link opens."""

    message: Message
    store: Store
    customer: Customer | None


def mask(channel: str, address: str) -> str:
    """Enough to recognise one's own address, not enough to learn someone else's
    from a forwarded email: a•••@example.com, •••• 0123."""
    if channel == "email":
        local, _, domain = address.partition("@")
        return f"{local[:1]}•••@{domain}" if domain else "•••"
    return f"•••• {address[-4:]}" if len(address) > 4 else "••••"


def subject_for(session: Session, *, token: str, links: LinkSigner) -> Subject | None:
    """None for a token that is not ours, or whose message (or store) is gone."""
    try:
        message_id, _ = links.read(PREFERENCES, token)
    except InvalidToken:
        return None
    message = session.get(Message, message_id)
    if message is None:
        return None
    store = session.get(Store, message.store_id)
    if store is None:
        return None
    customer = None
    if message.customer_id is not None:
        customer = commerce.get_customer(session, store_id=store.id,
                                         customer_id=message.customer_id)
    return Subject(message, store, customer)


def _addresses(subject: Subject) -> dict[str, str]:
    out: dict[str, str] = {}
    customer, message = subject.customer, subject.message
    if customer is not None and customer.email:
        out["email"] = customer.email
    if customer is not None and customer.phone:
        out["sms"] = customer.phone
    if message.recipient and message.channel in CHANNELS and message.channel not in out:
        out[message.channel] = message.recipient
    return {channel: out[channel] for channel in CHANNELS if channel in out}


def choices(session: Session, subject: Subject) -> list[Choice]:
    """Per channel with an address: subscribed means marketing consent given and the
    address not opted out (an unsubscribe or a complaint)."""
    out = []
    for channel, address in _addresses(subject).items():
        listed = set(session.scalars(select(Suppression.reason).where(
            Suppression.store_id == subject.store.id, Suppression.channel == channel,
            Suppression.address == address_key(channel, address))))
        consent = None
        if subject.customer is not None:
            consent = next((c.granted for c in subject.customer.consents
                            if c.channel == channel and c.purpose == Purpose.marketing.value),
                           None)
        else:
            consent = True  # no customer to ask: only the list decides
        out.append(Choice(channel, address, bool(consent) and not (listed & {
            *CLEARED_BY_OPT_IN})))
    return out


def save(session: Session, subject: Subject, wanted: dict[str, bool]) -> list[str]:
    """Apply the shopper's choices; returns the channels whose state changed."""
    changed = []
    for choice in choices(session, subject):
        want = wanted.get(choice.channel, False)
        store_id = subject.store.id
        if subject.customer is not None:
            commerce.set_consent(session, store_id=store_id, customer_id=subject.customer.id,
                                 channel=choice.channel, purpose=Purpose.marketing.value,
                                 granted=want, source=SOURCE)
        if want:
            for reason in CLEARED_BY_OPT_IN:
                service.unsuppress(session, store_id=store_id, channel=choice.channel,
                                   address=choice.address, reason=reason)
        else:
            service.suppress(session, store_id=store_id, channel=choice.channel,
                             address=choice.address, reason=OPT_OUT,
                             message_id=subject.message.id, detail=SOURCE)
        if want != choice.subscribed:
            changed.append(choice.channel)
    session.flush()
    if subject.customer is not None:
        session.refresh(subject.customer)
    return changed
