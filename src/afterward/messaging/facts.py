"""The thin database side of the policy: read the facts `policy.decide` needs.
Cross-module holds are probes that the installed modules declare (Module.hold_probes):
each answers "is something wrong for this customer right now?"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterward import modules
from afterward.commerce.models import Customer, Store
from afterward.messaging.context import CustomerRow
from afterward.messaging.models import (
    Draft,
    Message,
    MessageStatus,
    MessagingSettings,
    Suppression,
)
from afterward.messaging.policy import (
    HELD_WHILE_PROBLEM_OPEN,
    HOLDS_MARKETING,
    PolicyFacts,
    Purpose,
    QuietHours,
    probes_apply,
)

# Statuses that used up a slot of the contact budget (approved, whatever happened next).
COUNTED = (MessageStatus.ready, MessageStatus.sending, MessageStatus.sent,
           MessageStatus.delivered, MessageStatus.opened, MessageStatus.clicked,
           MessageStatus.bounced)

Probe = Callable[[Session, int, int], str | None]


def address_key(channel: str, address: str) -> str:
    """How an address is compared with the suppression list."""
    address = address.strip()
    return address.lower() if channel == "email" else address


def customer_timezone(customer: Customer | CustomerRow | None, store: Store) -> str:
    return first_zone(customer.timezone if customer else None, store.timezone)


def first_zone(*names: str | None) -> str:
    """The first of these that names a time zone, else UTC."""
    for name in names:
        if name:
            try:
                ZoneInfo(name)
                return name
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return "UTC"


def gather(session: Session, *, message: Message, customer: Customer | None, store: Store,
           settings: MessagingSettings, now: datetime) -> PolicyFacts:
    purpose = Purpose(message.purpose)
    consent = None
    if customer is not None:
        consent = next((c.granted for c in customer.consents
                        if c.channel == message.channel and c.purpose == message.purpose), None)
    suppressions: frozenset[str] = frozenset()
    if message.recipient:
        suppressions = frozenset(session.scalars(select(Suppression.reason).where(
            Suppression.store_id == message.store_id, Suppression.channel == message.channel,
            Suppression.address == address_key(message.channel, message.recipient))))
    return PolicyFacts(
        channel=message.channel, purpose=purpose, category=message.category,
        has_address=bool(message.recipient), consent=consent, suppressions=suppressions,
        timezone=customer_timezone(customer, store),
        quiet_hours=QuietHours.parse(settings.quiet_start, settings.quiet_end),
        marketing_in_period=_marketing_in_period(session, message, settings, now)
        if purpose == Purpose.marketing else 0,
        budget=settings.marketing_budget,
        open_problem=open_problem(session, message)
        if probes_apply(message.category, message.purpose) else None,
    )


def _marketing_in_period(session: Session, message: Message, settings: MessagingSettings,
                         now: datetime) -> int:
    if message.customer_id is None:
        return 0
    since = now - timedelta(days=settings.budget_days)
    return int(session.scalar(select(func.count(Message.id)).where(
        Message.customer_id == message.customer_id,
        Message.purpose == Purpose.marketing.value,
        Message.approved_at >= since, Message.id != message.id,
        Message.status.in_([s.value for s in COUNTED]))) or 0)


def open_problem(session: Session, message: Message | Draft) -> str | None:
    """The first cross-module hold on the message's customer that holds it, if any:
    any hold for a review or survey request, one of HOLDS_MARKETING for the rest."""
    if message.customer_id is None:
        return None
    every = message.category in HELD_WHILE_PROBLEM_OPEN
    marketing = message.purpose == Purpose.marketing.value
    for probe in modules.resolved("hold_probes"):
        found = probe(session, message.store_id, message.customer_id)
        if found and (every or (marketing and found in HOLDS_MARKETING)):
            return found
    return None
