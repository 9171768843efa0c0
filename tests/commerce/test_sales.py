"""Orders and revenue per local day (commerce/sales.py), counted from orders placed
at known moments either side of the store's midnight, in zones that are not UTC:
Kolkata (UTC+05:30, a half-hour offset), New York across the spring DST change,
and Kathmandu (UTC+05:45)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from afterward.commerce import service, stores
from afterward.commerce.models import Order
from afterward.commerce.sales import DaySales, SlotSales, by_local_day, period_days, slot_day


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def store_in(db, timezone: str, slug: str = "acme") -> int:
    with db.transaction() as session:
        return stores.create_store(session, slug=slug, name=slug.title(), currency="INR",
                                   timezone=timezone).id


def add_orders(db, store_id: int, *orders: tuple[str, int]) -> None:
    """(UTC moment, total) per order; options after the total: status, refunded, currency."""
    with db.transaction() as session:
        for n, (placed, total, *more) in enumerate(orders):
            status, refunded, currency = (*more, *("open", 0, "INR")[len(more):])
            session.add(Order(store_id=store_id, number=f"{store_id}-{n}", currency=currency,
                              placed_at=at(placed), total_minor=total, subtotal_minor=total,
                              refunded_minor=refunded, status=status))


def sales(db, store_id: int, timezone: str, days: int, now: str):
    with db.reading() as session:
        return service.sales_over_time(session, store_id=store_id, currency="INR",
                                       timezone=timezone, days=days, now=at(now))


def test_orders_fall_on_the_kolkata_day_they_were_placed_either_side_of_midnight(db):
    # given: now is 17:30 on 10 March in Kolkata; the week is 4-10 March, before it 25 Feb-3 Mar
    kolkata = store_in(db, "Asia/Kolkata")
    other = store_in(db, "Asia/Kolkata", slug="other")
    add_orders(db, kolkata,
               ("2026-02-24T18:29:59", 1),  # 23:59:59 on 24 Feb: before both periods
               ("2026-02-24T18:30:00", 10),  # 00:00 on 25 Feb: the previous period's first day
               ("2026-03-03T18:29:59", 100),  # 23:59:59 on 3 Mar: its last day
               ("2026-03-03T18:30:00", 1_000),  # 00:00 on 4 Mar: this week's first day
               ("2026-03-09T18:29:59", 10_000),  # 23:59:59 on 9 Mar
               ("2026-03-09T18:30:00", 100_000),  # 00:00 on 10 Mar, today
               ("2026-03-10T18:29:59", 1_000_000),  # 23:59:59 today, later than now
               ("2026-03-10T18:30:00", 7),  # 00:00 on 11 Mar: tomorrow, left out
               ("2026-03-09T06:00:00", 500, "cancelled", 0, "INR"),  # counted, earns nothing
               ("2026-03-09T07:00:00", 800, "open", 300, "INR"),  # earns 500 after refunds
               ("2026-03-05T07:00:00", 999, "open", 0, "USD"))  # counted, revenue apart
    add_orders(db, other, ("2026-03-09T07:00:00", 123_456))

    # when
    week = sales(db, kolkata, "Asia/Kolkata", 7, "2026-03-10T12:00:00")

    # then
    assert week.current == (
        DaySales(date(2026, 3, 4), 1, 1_000), DaySales(date(2026, 3, 5), 1, 0),
        DaySales(date(2026, 3, 6), 0, 0), DaySales(date(2026, 3, 7), 0, 0),
        DaySales(date(2026, 3, 8), 0, 0), DaySales(date(2026, 3, 9), 3, 10_500),
        DaySales(date(2026, 3, 10), 2, 1_100_000))
    assert week.previous == (
        DaySales(date(2026, 2, 25), 1, 10), DaySales(date(2026, 2, 26), 0, 0),
        DaySales(date(2026, 2, 27), 0, 0), DaySales(date(2026, 2, 28), 0, 0),
        DaySales(date(2026, 3, 1), 0, 0), DaySales(date(2026, 3, 2), 0, 0),
        DaySales(date(2026, 3, 3), 1, 100))
    assert week.other_currencies == (("USD", 999),)
    assert (week.orders, week.revenue_minor) == (7, 1_111_500)
    assert (week.previous_orders, week.previous_revenue_minor) == (2, 110)
    assert week.days == 7


def test_new_york_days_stay_whole_across_the_spring_clock_change(db):
    # given: clocks go from 02:00 EST to 03:00 EDT on 8 March 2026; now is noon on 9 March
    new_york = store_in(db, "America/New_York")
    add_orders(db, new_york,
               ("2026-03-08T04:59:59", 1),  # 23:59:59 EST on 7 Mar
               ("2026-03-08T05:00:00", 10),  # 00:00 EST on 8 Mar
               ("2026-03-09T03:59:59", 100),  # 23:59:59 EDT on 8 Mar (a 23-hour day)
               ("2026-03-09T04:00:00", 1_000))  # 00:00 EDT on 9 Mar

    days = sales(db, new_york, "America/New_York", 3, "2026-03-09T16:00:00")

    assert days.current == (DaySales(date(2026, 3, 7), 1, 1), DaySales(date(2026, 3, 8), 2, 110),
                            DaySales(date(2026, 3, 9), 1, 1_000))
    assert [day.day for day in days.previous] == [date(2026, 3, 4), date(2026, 3, 5),
                                                  date(2026, 3, 6)]


def test_a_store_without_orders_has_a_zero_for_each_day(db):
    empty = store_in(db, "Europe/Berlin")

    month = sales(db, empty, "Europe/Berlin", 30, "2026-03-10T12:00:00")

    assert [(day.orders, day.revenue_minor) for day in month.current] == [(0, 0)] * 30
    assert month.current[-1].day == date(2026, 3, 10)
    assert month.previous[-1].day == date(2026, 2, 8)
    assert month.other_currencies == ()


def test_the_periods_are_the_days_ending_today_and_as_many_before():
    current, previous = period_days(date(2026, 3, 2), 3)

    assert current == [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)]
    assert previous == [date(2026, 2, 25), date(2026, 2, 26), date(2026, 2, 27)]


def test_a_quarter_hour_is_put_on_the_kathmandu_day_it_starts_and_ends_in():
    kathmandu = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
    before_midnight = int(at("2026-03-09T18:00:00").timestamp()) // 900  # 23:45-24:00 local
    after_midnight = before_midnight + 1  # 00:00-00:15 local

    assert slot_day(before_midnight, kathmandu) == date(2026, 3, 9)
    assert slot_day(after_midnight, kathmandu) == date(2026, 3, 10)


def test_revenue_in_another_currency_outside_the_period_is_left_out():
    zone = ZoneInfo("UTC")
    current, previous = period_days(date(2026, 3, 10), 1)
    slot = int(at("2026-03-09T12:00:00").timestamp()) // 900  # the previous period

    sales_ = by_local_day([SlotSales(slot, "USD", 1, 500)], currency="INR", current=current,
                          previous=previous, zone=zone)

    assert sales_.previous == (DaySales(date(2026, 3, 9), 1, 0),)
    assert sales_.other_currencies == ()
