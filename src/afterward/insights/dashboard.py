"""Cohorts and KPIs of one store, read from its orders (commerce), returns (returns)
and shipments (tracking) into kpis.py's plain rows: the admin's insights page, its
CSV files and `afterward insights report` all show this one Overview.

The CLV distribution goes through `clv_values`, one small function: until the
customers' predicted lifetime values are stored (customer_insights), it is each
customer's historic spend, and the pages say so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterward.commerce.models import Order, OrderLine
from afterward.insights import kpis
from afterward.returns.models import Return, ReturnLine
from afterward.tracking.models import Shipment

PERIODS = (30, 90, 365)  # days a page can compare
DEFAULT_PERIOD = 90
HISTORIC_SPEND = "historic_spend"  # ClvValues.source: money spent so far, not predicted
PREDICTED = "predicted_52_weeks"  # ClvValues.source: recompute.py's discounted CLV


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read(session: Session, *, store_id: int, currency: str, timezone: str | None,
         until: datetime) -> kpis.Data:
    """The store's rows before `until`."""
    kept = ((Order.store_id == store_id) & (Order.status != "cancelled")
            & (Order.source != "exchange") & (Order.placed_at < until))
    units = (select(OrderLine.order_id, func.sum(OrderLine.quantity).label("units"))
             .where(OrderLine.store_id == store_id).group_by(OrderLine.order_id).subquery())
    orders, sold = [], []
    for customer_id, email, placed_at, total, currency_code, count in session.execute(
            select(Order.customer_id, Order.email, Order.placed_at, Order.total_minor,
                   Order.currency, units.c.units)
            .outerjoin(units, units.c.order_id == Order.id).where(kept)):
        moment = _aware(placed_at)
        who = (f"c:{customer_id}" if customer_id is not None
               else f"e:{email.strip().lower()}" if email and email.strip() else None)
        orders.append(kpis.OrderRow(who, moment, int(total), currency_code))
        if count:
            sold.append(kpis.UnitsRow(moment, int(count)))
    returned = [kpis.UnitsRow(_aware(created_at), int(units or 0))
                for created_at, units in session.execute(
                    select(Return.created_at, func.sum(ReturnLine.quantity))
                    .join(ReturnLine, ReturnLine.return_id == Return.id)
                    .where(Return.store_id == store_id, Return.status != "rejected",
                           Return.created_at < until)
                    .group_by(Return.id, Return.created_at))]
    deadline = func.coalesce(Shipment.promised_at, Shipment.carrier_estimated_at)
    deliveries = [kpis.DeliveryRow(_aware(delivered_at), _aware(due) if due else None)
                  for delivered_at, due in session.execute(
                      select(Shipment.delivered_at, deadline)
                      .where(Shipment.store_id == store_id, Shipment.direction == "outbound",
                             Shipment.status == "delivered",
                             Shipment.delivered_at.is_not(None),
                             Shipment.delivered_at < until))
                  if delivered_at is not None]
    return kpis.Data(orders, sold, returned, deliveries, currency, zone(timezone))


@dataclass(frozen=True)
class ClvValues:
    source: str  # HISTORIC_SPEND, or a model's name once predictions are stored
    values: list[float]  # one per customer, minor units of the store's currency


def clv_values(session: Session, *, store_id: int, currency: str,
               until: datetime) -> ClvValues:
    """The values the CLV histogram is drawn from: each customer's predicted value of
    the next 52 weeks from the store's latest insights run (recompute.py), in the
    store's currency; before any run, each customer's historic spend (order totals
    less refunds, cancelled and exchange orders left out, in the store's currency)."""
    from afterward.insights import stored
    from afterward.insights.customer_models import CustomerInsight

    run_id = stored.latest_run_id(session, store_id)
    if run_id is not None:
        predicted = session.scalars(select(CustomerInsight.clv_minor).where(
            CustomerInsight.store_id == store_id, CustomerInsight.run_id == run_id,
            CustomerInsight.currency == currency)).all()
        if predicted:
            return ClvValues(PREDICTED, [float(max(0, int(v or 0))) for v in predicted])
    rows = session.execute(
        select(func.sum(Order.total_minor - Order.refunded_minor))
        .where(Order.store_id == store_id, Order.status != "cancelled",
               Order.source != "exchange", Order.currency == currency,
               Order.customer_id.is_not(None), Order.placed_at < until)
        .group_by(Order.customer_id)).scalars()
    return ClvValues(HISTORIC_SPEND, [float(max(0, int(v or 0))) for v in rows])


@dataclass(frozen=True)
class Overview:
    store_id: int
    currency: str
    days: int
    until: datetime
    comparison: kpis.Comparison
    months: list[kpis.MonthKpis]
    cohorts: list[kpis.Cohort]
    clv: ClvValues
    clv_bins: list[kpis.Bin]
    orders_ever: int  # before `until`, all the store's (cancelled and exchanges left out)
    order_days: int  # distinct days (store's time zone) those orders were placed on

    @property
    def empty(self) -> bool:
        return self.orders_ever == 0

    @property
    def too_little(self) -> bool:
        """Orders on one day only: no repeat, no cohort, no trend can show yet."""
        return self.order_days <= 1

    @property
    def has_retention(self) -> bool:
        return any(cell.customers is not None for row in self.cohorts for cell in row.cells)

    @property
    def clv_median(self) -> float | None:
        return kpis.quantile(self.clv.values, 0.5)

    @property
    def clv_p90(self) -> float | None:
        return kpis.quantile(self.clv.values, 0.9)


def overview(session: Session, *, store_id: int, currency: str, timezone: str | None,
             days: int, now: datetime) -> Overview:
    data = read(session, store_id=store_id, currency=currency, timezone=timezone, until=now)
    index = kpis.Index(data)
    clv = clv_values(session, store_id=store_id, currency=currency, until=now)
    return Overview(
        store_id=store_id, currency=currency, days=days, until=now,
        comparison=kpis.compare(index, until=now, days=days),
        months=kpis.by_month(index, until=now),
        cohorts=kpis.cohorts(data.orders, until=now, zone=data.zone),
        clv=clv, clv_bins=kpis.histogram(clv.values),
        orders_ever=len(data.orders),
        order_days=len({o.placed_at.astimezone(data.zone).date() for o in data.orders}))
