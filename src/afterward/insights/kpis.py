"""Cohorts and KPIs over plain rows: repeat purchase rate, time to second order, the
monthly cohort retention matrix, average order value, return rate, on-time delivery,
a histogram for the CLV distribution, and each KPI against the period before.

Pure functions: the reader (insights/dashboard.py) turns a store's orders, returns
and shipments into the rows below; nothing here touches the database. Every figure
that has nothing to be computed from is None (never NaN or infinity), and the pages
say why.

Definitions (docs/insights.md, "Cohorts, KPIs and programs"); a period is
[since, until):
- orders: orders placed in the period, cancelled and exchange orders left out (an
  exchange is a return's replacement, not a purchase);
- repeat purchase rate: of the customers who ordered in the period, the share with
  two or more orders by its end (the earlier one may be before the period);
- time to second order: the median days from first to second order of the customers
  whose second order falls in the period;
- average order value: the mean order total (as placed, before refunds) of the
  period's orders in the store's currency;
- return rate: units returned (returns asked for in the period, rejected ones left
  out) over units sold (in orders placed in the period), as the returns page counts;
- on-time delivery: outbound parcels delivered in the period by their promised date
  (or the carrier's estimate where the store promised none), of those with either;
- cohort: the customers whose first order fell in a calendar month (store's time
  zone); month +k: the share of them who ordered in the k-th month after it."""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

HORIZON = 12  # months after the first order the cohort matrix follows
COHORTS = 13  # cohorts shown: the oldest has had its full year
MONTHS = 12  # months of the KPIs-over-time chart
BINS = 10  # bars of the CLV histogram


@dataclass(frozen=True)
class OrderRow:
    customer: str | None  # "c:<id>", or "e:<email>" for a guest; None: nobody to follow
    placed_at: datetime  # aware
    total_minor: int
    currency: str


@dataclass(frozen=True)
class UnitsRow:
    """Units sold at `at` (an order line) or returned at `at` (a return line)."""

    at: datetime
    units: int


@dataclass(frozen=True)
class DeliveryRow:
    delivered_at: datetime
    deadline: datetime | None  # promised, else the carrier's estimate; None: neither


@dataclass(frozen=True)
class Data:
    """One store's rows, everything the KPIs are computed from."""

    orders: Sequence[OrderRow]
    sold: Sequence[UnitsRow] = ()
    returned: Sequence[UnitsRow] = ()
    deliveries: Sequence[DeliveryRow] = ()
    currency: str = "USD"
    zone: tzinfo | None = None  # the store's; None: UTC


@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class Median:
    days: float | None
    count: int  # customers it is the median of


@dataclass(frozen=True)
class Average:
    minor: float | None  # mean in minor units
    count: int  # orders in the store's currency
    other_currency: int = 0  # orders in other currencies, left out


@dataclass(frozen=True)
class Kpis:
    since: datetime
    until: datetime
    orders: int
    customers: int  # who ordered in the period
    revenue_minor: int  # in the store's currency, as placed
    repeat: Ratio
    second_order: Median
    aov: Average
    returns: Ratio  # units returned / units sold
    on_time: Ratio  # on time / delivered with a promise


KPI_KEYS = ("orders", "customers", "revenue", "repeat_rate", "days_to_second_order",
            "average_order_value", "return_rate", "on_time_rate")
RATES = frozenset({"repeat_rate", "return_rate", "on_time_rate"})


def kpi_value(kpis: Kpis, key: str) -> float | None:
    """One KPI as a number: rates 0-1, money in minor units, days; None if undefined."""
    value: float | None = {
        "orders": kpis.orders, "customers": kpis.customers, "revenue": kpis.revenue_minor,
        "repeat_rate": kpis.repeat.value, "days_to_second_order": kpis.second_order.days,
        "average_order_value": kpis.aov.minor, "return_rate": kpis.returns.value,
        "on_time_rate": kpis.on_time.value}[key]
    return value if value is None or math.isfinite(value) else None


@dataclass(frozen=True)
class Change:
    key: str
    current: float | None
    previous: float | None

    @property
    def difference(self) -> float | None:
        """current - previous (rates: in points 0-1); None unless both are known."""
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def relative(self) -> float | None:
        """(current - previous) / previous; None when the period before had nothing."""
        if self.current is None or self.previous is None or self.previous == 0:
            return None
        return (self.current - self.previous) / abs(self.previous)


@dataclass(frozen=True)
class Comparison:
    current: Kpis
    previous: Kpis
    changes: list[Change] = field(default_factory=list)


class Index:
    """A store's rows sorted by time once, so each period takes its slice by
    bisection rather than reading every row (a page computes ~14 periods)."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self.orders = sorted(data.orders, key=lambda o: o.placed_at)
        self.order_times = [o.placed_at for o in self.orders]
        self.sold = sorted(data.sold, key=lambda r: r.at)
        self.sold_times = [r.at for r in self.sold]
        self.returned = sorted(data.returned, key=lambda r: r.at)
        self.returned_times = [r.at for r in self.returned]
        self.deliveries = sorted(data.deliveries, key=lambda d: d.delivered_at)
        self.delivery_times = [d.delivered_at for d in self.deliveries]
        self.history = by_customer(self.orders)
        self.second_orders = sorted(
            (moments[1], (moments[1] - moments[0]).total_seconds() / 86400)
            for moments in self.history.values() if len(moments) >= 2)
        self.second_times = [at for at, _ in self.second_orders]

    @staticmethod
    def _slice(rows: list, times: list[datetime], since: datetime, until: datetime) -> list:
        return rows[bisect.bisect_left(times, since):bisect.bisect_left(times, until)]

    def period(self, since: datetime, until: datetime) -> Kpis:
        placed: list[OrderRow] = self._slice(self.orders, self.order_times, since, until)
        buyers = {o.customer for o in placed if o.customer is not None}
        mine = [o.total_minor for o in placed if o.currency == self.data.currency]
        days = [d for _, d in self._slice(self.second_orders, self.second_times, since, until)]
        sold: list[UnitsRow] = self._slice(self.sold, self.sold_times, since, until)
        returned: list[UnitsRow] = self._slice(self.returned, self.returned_times, since,
                                               until)
        delivered: list[DeliveryRow] = self._slice(self.deliveries, self.delivery_times,
                                                   since, until)
        promised = [d for d in delivered if d.deadline is not None]
        return Kpis(
            since=since, until=until, orders=len(placed), customers=len(buyers),
            revenue_minor=sum(mine),
            repeat=Ratio(sum(1 for c in buyers
                             if bisect.bisect_left(self.history[c], until) >= 2), len(buyers)),
            second_order=Median(statistics.median(days) if days else None, len(days)),
            aov=Average(sum(mine) / len(mine) if mine else None, len(mine),
                        len(placed) - len(mine)),
            returns=Ratio(sum(r.units for r in returned), sum(r.units for r in sold)),
            on_time=Ratio(sum(1 for d in promised if d.deadline is not None
                              and d.delivered_at <= d.deadline), len(promised)))


def by_customer(orders: Iterable[OrderRow]) -> dict[str, list[datetime]]:
    """Each customer's order moments, oldest first."""
    found: dict[str, list[datetime]] = {}
    for order in orders:
        if order.customer is not None:
            found.setdefault(order.customer, []).append(order.placed_at)
    for moments in found.values():
        moments.sort()
    return found


def period(data: Data | Index, since: datetime, until: datetime) -> Kpis:
    """The KPIs of [since, until)."""
    return (data if isinstance(data, Index) else Index(data)).period(since, until)


def compare(data: Data | Index, *, until: datetime, days: int) -> Comparison:
    """The `days` before `until` against the `days` before those."""
    index = data if isinstance(data, Index) else Index(data)
    since = until - timedelta(days=days)
    current = index.period(since, until)
    previous = index.period(since - timedelta(days=days), since)
    return Comparison(current, previous, [
        Change(key, kpi_value(current, key), kpi_value(previous, key)) for key in KPI_KEYS])


# Months ---------------------------------------------------------------------------

def month_of(moment: datetime, zone: tzinfo | None) -> date:
    local = moment.astimezone(zone) if zone is not None else moment
    return date(local.year, local.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, second: date) -> int:
    return (second.year - first.year) * 12 + second.month - first.month


def month_start(month: date, zone: tzinfo | None) -> datetime:
    from datetime import UTC

    local = datetime(month.year, month.month, 1, tzinfo=zone or UTC)
    return local.astimezone(UTC)


@dataclass(frozen=True)
class Cell:
    offset: int  # months after the cohort's month, 1..HORIZON
    customers: int | None  # who ordered that month; None: the month has not come yet
    share: float | None  # of the cohort


@dataclass(frozen=True)
class Cohort:
    month: date
    size: int  # customers whose first order fell in the month
    cells: list[Cell]


def cohorts(orders: Sequence[OrderRow], *, until: datetime, zone: tzinfo | None = None,
            count: int = COHORTS, horizon: int = HORIZON) -> list[Cohort]:
    """The `count` months up to the one `until` falls in (orders before `until`),
    oldest first; a month whose +k month is after `until`'s has None there. Months
    in which nobody ordered first are listed with size 0 (their cells None)."""
    last = month_of(until - timedelta(microseconds=1), zone)
    first_month: dict[str, date] = {}
    active: dict[str, set[int]] = {}  # customer -> months (as offsets from their first)
    for customer, moments in by_customer(o for o in orders if o.placed_at < until).items():
        start = month_of(moments[0], zone)
        first_month[customer] = start
        active[customer] = {months_between(start, month_of(m, zone)) for m in moments}
    members_of: dict[date, list[str]] = {}
    for customer, start in first_month.items():
        members_of.setdefault(start, []).append(customer)
    rows = []
    for back in range(count - 1, -1, -1):
        month = add_months(last, -back)
        members = members_of.get(month, [])
        cells = []
        for offset in range(1, horizon + 1):
            if add_months(month, offset) > last or not members:
                cells.append(Cell(offset, None, None))
                continue
            came_back = sum(1 for c in members if offset in active[c])
            cells.append(Cell(offset, came_back, came_back / len(members)))
        rows.append(Cohort(month, len(members), cells))
    return rows


@dataclass(frozen=True)
class MonthKpis:
    month: date
    kpis: Kpis


def by_month(data: Data | Index, *, until: datetime, count: int = MONTHS) -> list[MonthKpis]:
    """The KPIs of each of the `count` calendar months up to `until`'s (that one only
    up to `until`), oldest first."""
    index = data if isinstance(data, Index) else Index(data)
    zone = index.data.zone
    last = month_of(until - timedelta(microseconds=1), zone)
    rows = []
    for back in range(count - 1, -1, -1):
        month = add_months(last, -back)
        start = month_start(month, zone)
        end = min(until, month_start(add_months(month, 1), zone))
        rows.append(MonthKpis(month, index.period(start, end)))
    return rows


# Distribution ---------------------------------------------------------------------

@dataclass(frozen=True)
class Bin:
    low: float
    high: float  # the last bin includes it
    count: int


def histogram(values: Sequence[float], bins: int = BINS) -> list[Bin]:
    """Equal-width bins from the smallest value to the largest; one bin when all are
    equal; nothing for no values. Values that are not finite are left out."""
    finite = sorted(v for v in values if math.isfinite(v))
    if not finite:
        return []
    low, high = finite[0], finite[-1]
    if high == low:
        return [Bin(low, high, len(finite))]
    width = (high - low) / bins
    counts = [0] * bins
    for value in finite:
        counts[min(bins - 1, int((value - low) / width))] += 1
    return [Bin(low + n * width, high if n == bins - 1 else low + (n + 1) * width, counts[n])
            for n in range(bins)]


def quantile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between the nearest ranks (numpy's default)."""
    ordered = sorted(v for v in values if math.isfinite(v))
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)
