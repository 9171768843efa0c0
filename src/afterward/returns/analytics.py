"""Return analytics for one store over a period: return rates by product, category and
reason, how returns were resolved, the revenue kept, the time to resolution, and what
shoppers wrote about one product. Plain figures; the admin only draws them.

Definitions (docs/returns.md, "Admin"):
- a period is [since, until); returns are counted by when they were asked for, sales
  by when the order was placed; rejected returns are not counted as returned;
- return rate = units returned / units sold (orders not cancelled, exchange orders
  not counted as sales);
- revenue retained = the value of resolved store-credit and exchange returns, less what
  of them was refunded (an exchange's difference paid back); refunded = every refund of
  a resolved return (refund, keep, exchange difference); both per currency;
- time to resolution = resolved_at - created_at of the returns resolved in the period;
  the median (the mean of the middle two for an even count) and the 90th percentile
  (nearest rank)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from afterward.commerce.models import Order, OrderLine, Product
from afterward.returns.models import RESOLUTIONS, Return, ReturnLine


@dataclass(frozen=True)
class Rate:
    key: str  # a product id (as text), a category, or a reason
    label: str
    returned: int  # units
    sold: int  # units; 0 for reasons

    @property
    def rate(self) -> float | None:
        return self.returned / self.sold if self.sold else None


@dataclass(frozen=True)
class Share:
    key: str
    count: int
    share: float  # of all counted


@dataclass(frozen=True)
class Retained:
    currency: str
    retained_minor: int
    refunded_minor: int

    @property
    def share(self) -> float | None:
        total = self.retained_minor + self.refunded_minor
        return self.retained_minor / total if total else None


@dataclass(frozen=True)
class Durations:
    count: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class Comment:
    return_id: int
    number: str
    sku: str
    reason: str
    comment: str
    created_at: datetime


@dataclass(frozen=True)
class Report:
    by_product: list[Rate]
    by_category: list[Rate]
    by_reason: list[Rate]
    resolutions: list[Share]
    retained: list[Retained]  # per currency
    time_to_resolution: Durations


def _counted_returns(store_id: int, since: datetime, until: datetime) -> ColumnElement[bool]:
    return ((Return.store_id == store_id) & (Return.status != "rejected")
            & (Return.created_at >= since) & (Return.created_at < until))


def report(session: Session, *, store_id: int, since: datetime, until: datetime) -> Report:
    return Report(
        by_product=rates_by_product(session, store_id=store_id, since=since, until=until),
        by_category=rates_by_category(session, store_id=store_id, since=since, until=until),
        by_reason=units_by_reason(session, store_id=store_id, since=since, until=until),
        resolutions=resolution_shares(session, store_id=store_id, since=since, until=until),
        retained=revenue_retained(session, store_id=store_id, since=since, until=until),
        time_to_resolution=time_to_resolution(session, store_id=store_id, since=since,
                                              until=until))


def _sold(session: Session, store_id: int, since: datetime, until: datetime,
          key: Any) -> dict[object, int]:
    rows = session.execute(
        select(key, func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(Order.store_id == store_id, Order.status != "cancelled",
               Order.source != "exchange",
               Order.placed_at >= since, Order.placed_at < until)
        .group_by(key)).all()
    return {k: int(n or 0) for k, n in rows}


def _returned(session: Session, store_id: int, since: datetime, until: datetime,
              key: Any) -> dict[object, int]:
    rows = session.execute(
        select(key, func.sum(ReturnLine.quantity))
        .join(Return, Return.id == ReturnLine.return_id)
        .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(_counted_returns(store_id, since, until))
        .group_by(key)).all()
    return {k: int(n or 0) for k, n in rows}


def _rates(returned: dict[object, int], sold: dict[object, int],
           labels: dict[object, str]) -> list[Rate]:
    rates = [Rate(str(key), labels.get(key, str(key)), units, sold.get(key, 0))
             for key, units in returned.items()]
    return sorted(rates, key=lambda r: (-(r.rate or 0), -r.returned, r.label))


def rates_by_product(session: Session, *, store_id: int, since: datetime,
                     until: datetime) -> list[Rate]:
    """Products with at least one unit returned, the highest rate first."""
    returned = _returned(session, store_id, since, until, Product.id)
    sold = _sold(session, store_id, since, until, Product.id)
    titles = dict(session.execute(select(Product.id, Product.title).where(
        Product.store_id == store_id, Product.id.in_(list(returned)))).tuples().all())
    return _rates(returned, sold, {k: v for k, v in titles.items()})


def rates_by_category(session: Session, *, store_id: int, since: datetime,
                      until: datetime) -> list[Rate]:
    category = func.coalesce(Product.category, "")
    returned = _returned(session, store_id, since, until, category)
    sold = _sold(session, store_id, since, until, category)
    return _rates(returned, sold, {"": "(no category)"})


def units_by_reason(session: Session, *, store_id: int, since: datetime,
                    until: datetime) -> list[Rate]:
    """Units returned per reason (`sold` is 0: a reason is not sold); the most first."""
    rows = session.execute(
        select(ReturnLine.reason, func.sum(ReturnLine.quantity))
        .join(Return, Return.id == ReturnLine.return_id)
        .where(_counted_returns(store_id, since, until))
        .group_by(ReturnLine.reason)).all()
    return sorted((Rate(reason, reason.replace("_", " "), int(n or 0), 0) for reason, n in rows),
                  key=lambda r: (-r.returned, r.key))


def resolution_shares(session: Session, *, store_id: int, since: datetime,
                      until: datetime) -> list[Share]:
    """Returns per resolution asked for (refund, store credit, exchange, keep), each
    resolution listed even when none chose it."""
    counts = dict(session.execute(
        select(Return.resolution, func.count(Return.id))
        .where(_counted_returns(store_id, since, until))
        .group_by(Return.resolution)).tuples().all())
    total = sum(counts.values())
    return [Share(key, int(counts.get(key, 0)), counts.get(key, 0) / total if total else 0.0)
            for key in RESOLUTIONS]


def revenue_retained(session: Session, *, store_id: int, since: datetime,
                     until: datetime) -> list[Retained]:
    """Per currency the returns were in (orders can be in several), by currency code."""
    resolved = _counted_returns(store_id, since, until) & (Return.status == "resolved")
    kept = Return.resolution.in_(("store_credit", "exchange"))
    rows = session.execute(
        select(Return.currency,
               func.sum(case((kept, Return.value_minor - Return.refund_minor), else_=0)),
               func.sum(Return.refund_minor))
        .where(resolved).group_by(Return.currency).order_by(Return.currency)).all()
    return [Retained(currency, int(retained or 0), int(refunded or 0))
            for currency, retained, refunded in rows]


def time_to_resolution(session: Session, *, store_id: int, since: datetime,
                       until: datetime) -> Durations:
    rows = session.execute(select(Return.created_at, Return.resolved_at).where(
        Return.store_id == store_id, Return.status == "resolved",
        Return.resolved_at >= since, Return.resolved_at < until)).all()
    hours = sorted((done - asked).total_seconds() / 3600 for asked, done in rows
                   if done is not None)
    if not hours:
        return Durations(0, None, None)
    return Durations(len(hours), statistics.median(hours),
                     hours[math.ceil(0.9 * len(hours)) - 1])


def product_comments(session: Session, *, store_id: int, product_id: int, since: datetime,
                     until: datetime, limit: int = 100) -> list[Comment]:
    """What shoppers wrote when returning the product (its every variant), newest
    first; rejected returns included (their words still say something)."""
    rows = session.execute(
        select(Return.id, Return.number, ReturnLine.sku, ReturnLine.reason, ReturnLine.comment,
               Return.created_at)
        .join(Return, Return.id == ReturnLine.return_id)
        .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
        .where(Return.store_id == store_id, OrderLine.product_id == product_id,
               ReturnLine.comment.is_not(None), ReturnLine.comment != "",
               Return.created_at >= since, Return.created_at < until)
        .order_by(Return.created_at.desc(), ReturnLine.id).limit(limit)).all()
    return [Comment(int(return_id), number, sku, reason, comment or "", created_at)
            for return_id, number, sku, reason, comment, created_at in rows]


def returned_products(session: Session, *, store_id: int) -> list[tuple[int, str]]:
    """Every product that was ever returned, for the page's product picker."""
    rows = session.execute(
        select(Product.id, Product.title).where(Product.store_id == store_id, Product.id.in_(
            select(OrderLine.product_id).join(ReturnLine, ReturnLine.order_line_id == OrderLine.id)
            .where(ReturnLine.store_id == store_id))).order_by(Product.title, Product.id)).all()
    return [(int(i), t) for i, t in rows]
