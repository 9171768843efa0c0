"""Orders and revenue per day in the store's time zone, for a period and the period
before it (the dashboard's charts).

The database sums orders per quarter of an hour (UTC), so a busy store's 180 days
come back as at most 17,280 rows whatever its volume; each quarter is then put on
the store's local day. Every time zone in use is offset from UTC by whole quarters
of an hour, so no quarter straddles a local midnight.

Orders count whatever their status; revenue is what was paid (total less refunds)
for orders not cancelled, in the store's currency. Other currencies are summed
apart for the period, never converted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, Integer, case, cast, extract, func, select
from sqlalchemy.orm import Session

from afterward.commerce.models import Order

SLOT = timedelta(minutes=15)
_SLOT_SECONDS = int(SLOT.total_seconds())


@dataclass(frozen=True)
class DaySales:
    day: date  # the store's local day
    orders: int
    revenue_minor: int  # in the store's currency, net of refunds, cancelled orders left out


@dataclass(frozen=True)
class SalesOverTime:
    currency: str
    current: tuple[DaySales, ...]  # oldest first, ending today
    previous: tuple[DaySales, ...]  # the same number of days just before
    other_currencies: tuple[tuple[str, int], ...]  # (currency, revenue) in the current period

    @property
    def days(self) -> int:
        return len(self.current)

    @property
    def orders(self) -> int:
        return sum(day.orders for day in self.current)

    @property
    def previous_orders(self) -> int:
        return sum(day.orders for day in self.previous)

    @property
    def revenue_minor(self) -> int:
        return sum(day.revenue_minor for day in self.current)

    @property
    def previous_revenue_minor(self) -> int:
        return sum(day.revenue_minor for day in self.previous)


@dataclass(frozen=True)
class SlotSales:
    """One quarter of an hour's orders in one currency, as the database sums them."""

    slot: int  # seconds since the epoch // SLOT
    currency: str
    orders: int
    revenue_minor: int


def period_days(today: date, days: int) -> tuple[list[date], list[date]]:
    """The `days` local days ending today, and the `days` before them, oldest first."""
    current = [today - timedelta(days=days - 1 - n) for n in range(days)]
    previous = [day - timedelta(days=days) for day in current]
    return current, previous


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def slot_day(slot: int, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(slot * _SLOT_SECONDS, UTC).astimezone(zone).date()


def by_local_day(slots: Iterable[SlotSales], *, currency: str, current: list[date],
                 previous: list[date], zone: ZoneInfo) -> SalesOverTime:
    """Quarter-hour sums put on the store's local days; days without orders are zero."""
    orders: dict[date, int] = defaultdict(int)
    revenue: dict[date, int] = defaultdict(int)
    elsewhere: dict[str, int] = defaultdict(int)
    in_current = set(current)
    for row in slots:
        day = slot_day(row.slot, zone)
        orders[day] += row.orders
        if row.currency == currency:
            revenue[day] += row.revenue_minor
        elif day in in_current:
            elsewhere[row.currency] += row.revenue_minor
    return SalesOverTime(
        currency=currency,
        current=tuple(DaySales(day, orders[day], revenue[day]) for day in current),
        previous=tuple(DaySales(day, orders[day], revenue[day]) for day in previous),
        other_currencies=tuple(sorted(elsewhere.items())))


def _slot_of_placed_at(dialect: str) -> ColumnElement[int]:
    if dialect == "postgresql":
        seconds = extract("epoch", Order.placed_at)
        return cast(func.floor(seconds / _SLOT_SECONDS), BigInteger)
    # SQLite keeps the UTC moment as text; strftime('%s') reads it as seconds.
    return cast(func.strftime("%s", Order.placed_at), Integer) // _SLOT_SECONDS


def slot_sales(session: Session, *, store_id: int, start: datetime,
               end: datetime) -> list[SlotSales]:
    """The store's orders placed in [start, end), summed per quarter hour and currency."""
    dialect = session.get_bind().dialect.name
    placed = (select(_slot_of_placed_at(dialect).label("slot"), Order.currency,
                     case((Order.status == "cancelled", 0),
                          else_=Order.total_minor - Order.refunded_minor).label("paid"))
              .where(Order.store_id == store_id, Order.placed_at >= start,
                     Order.placed_at < end)
              .subquery())
    rows = session.execute(
        select(placed.c.slot, placed.c.currency, func.count(), func.sum(placed.c.paid))
        .group_by(placed.c.slot, placed.c.currency))
    return [SlotSales(int(slot), currency, int(count), int(paid or 0))
            for slot, currency, count, paid in rows]


def sales_over_time(session: Session, *, store_id: int, currency: str, timezone: str,
                    days: int, now: datetime) -> SalesOverTime:
    """Orders and revenue per local day: the `days` days ending today (in the store's
    time zone) and the `days` days before them."""
    zone = ZoneInfo(timezone)
    current, previous = period_days(now.astimezone(zone).date(), days)
    start = local_midnight(previous[0], zone)
    end = local_midnight(current[-1] + timedelta(days=1), zone)
    slots = slot_sales(session, store_id=store_id, start=start, end=end)
    return by_local_day(slots, currency=currency, current=current, previous=previous,
                        zone=zone)
