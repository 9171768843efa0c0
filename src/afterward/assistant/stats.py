"""What the assistant saves, over a period [start, end): contacts per 100 orders, the
share of conversations answered without a person, and what shoppers asked, week by
week (weeks start on Monday in the given time zone).

- a contact is a conversation opened in the period; orders are those placed in it
  (commerce's count, any status);
- a conversation was answered without a person when it was never handed over (no
  `handoff_reason`) and no one of the team wrote in it;
- intents are those of the shoppers' messages in the period (a confirmation button
  has none and is not counted).

With no orders the rate per 100 orders is None (shown as "—"), with no conversations
the share is None: never a division by zero."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from afterward.assistant.intents import INTENTS
from afterward.assistant.models import Conversation, ConversationMessage
from afterward.commerce import sales


@dataclass(frozen=True)
class Week:
    start: date  # its Monday
    orders: int
    conversations: int
    without_person: int
    intents: dict[str, int]  # shoppers' messages by intent, every intent present

    @property
    def per_100_orders(self) -> float | None:
        return per_100(self.conversations, self.orders)


@dataclass(frozen=True)
class Savings:
    start: datetime
    end: datetime
    orders: int
    conversations: int
    without_person: int
    handed_off: int
    intents: dict[str, int]  # the period's shoppers' messages by intent
    weeks: tuple[Week, ...]

    @property
    def per_100_orders(self) -> float | None:
        return per_100(self.conversations, self.orders)

    @property
    def without_person_share(self) -> float | None:
        return self.without_person / self.conversations if self.conversations else None


def per_100(contacts: int, orders: int) -> float | None:
    return round(100 * contacts / orders, 2) if orders else None


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks_between(start: datetime, end: datetime, zone: ZoneInfo) -> list[date]:
    first = monday(start.astimezone(zone).date())
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def savings(session: Session, *, store_id: int, start: datetime, end: datetime,
            timezone: str = "UTC") -> Savings:
    zone = ZoneInfo(timezone)
    weeks = weeks_between(start, end, zone)

    def week_of(moment: datetime) -> date:
        return monday(moment.astimezone(zone).date())

    orders: Counter[date] = Counter()
    for slot in sales.slot_sales(session, store_id=store_id, start=start, end=end):
        orders[monday(sales.slot_day(slot.slot, zone))] += slot.orders
    opened: Counter[date] = Counter()
    alone: Counter[date] = Counter()
    for created_at, without in _conversations(session, store_id, start, end):
        opened[week_of(created_at)] += 1
        alone[week_of(created_at)] += int(without)
    asked: dict[date, Counter[str]] = {week: Counter() for week in weeks}
    for created_at, intent in _intents(session, store_id, start, end):
        asked.setdefault(week_of(created_at), Counter())[intent] += 1
    rows = tuple(Week(w, orders[w], opened[w], alone[w], _every_intent(asked.get(w, ())))
                 for w in weeks)
    total_opened, total_alone = sum(opened.values()), sum(alone.values())
    return Savings(start, end, sum(orders.values()), total_opened, total_alone,
                   total_opened - total_alone,
                   _every_intent(c for week in asked.values() for c in week.elements()),
                   rows)


def _every_intent(intents: Iterable[str]) -> dict[str, int]:
    counted = Counter(intents)
    return {intent: counted.get(intent, 0) for intent in INTENTS}


def _conversations(session: Session, store_id: int, start: datetime,
                   end: datetime) -> Iterable[tuple[datetime, bool]]:
    agent = exists().where(ConversationMessage.conversation_id == Conversation.id,
                           ConversationMessage.author == "agent")
    rows = session.execute(select(
        Conversation.created_at,
        (Conversation.handoff_reason.is_(None) & ~agent).label("without"))
        .where(Conversation.store_id == store_id, Conversation.created_at >= start,
               Conversation.created_at < end))
    return ((created_at, bool(without)) for created_at, without in rows)


def _intents(session: Session, store_id: int, start: datetime,
             end: datetime) -> Iterable[tuple[datetime, str]]:
    rows = session.execute(select(ConversationMessage.created_at, ConversationMessage.intent)
                           .where(ConversationMessage.store_id == store_id,
                                  ConversationMessage.author == "shopper",
                                  ConversationMessage.intent.is_not(None),
                                  ConversationMessage.created_at >= start,
                                  ConversationMessage.created_at < end))
    return ((created_at, str(intent)) for created_at, intent in rows)
