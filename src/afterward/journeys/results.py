"""What a journey earns: its treated customers against its holdout (control), by
conversion (an order within a window after enrolment) and revenue per customer,
each difference with a 95% interval.

Units are customers, each counted once, from their first enrolment that went
through the holdout step and whose window has closed (a window still open
would count as "did not convert" and bias both groups towards zero). Revenue is
order totals less refunds, cancelled orders left out, in minor units.

Conversion: Newcombe's hybrid score interval for a difference of proportions
(from two Wilson intervals; it behaves at 0% and 100%). Revenue: a percentile
bootstrap of the difference in means with a fixed seed, so the same data always
gives the same interval.

Personal offers (journeys/offers.py) are attributed per group: `codes_issued` to the
counted enrolments, `codes_redeemed` of them used by an order placed within the
window (not cancelled), and `code_revenue_minor`, those orders' totals less refunds.
The control group leaves at the holdout step, before any offer step, so its counts
are 0 by design: what the offer earns shows in the conversion and revenue lift."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce import codes
from afterward.commerce.models import Order
from afterward.journeys.engine import CONTROL, TREATMENT
from afterward.journeys.models import Enrolment, Journey

Z95 = 1.959963984540054
BOOTSTRAP_SEED = 20240607
BOOTSTRAP_DRAWS = 2_000_000  # resamples x customers: bounds the work on big journeys


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class Group:
    customers: int
    converted: int
    revenue_minor: int
    conversion: Interval | None  # the rate with its Wilson interval
    codes_issued: int = 0  # personal offer codes the journey gave these customers
    codes_redeemed: int = 0  # ... used by an order in the window
    code_revenue_minor: int = 0  # those orders' totals less refunds

    @property
    def revenue_per_customer_minor(self) -> float | None:
        return self.revenue_minor / self.customers if self.customers else None


@dataclass(frozen=True)
class Results:
    journey_key: str
    window_days: int
    treatment: Group
    control: Group
    pending: int  # enrolled in a group, window still open
    conversion_lift: Interval | None  # treatment minus control, in rate points (0-1)
    revenue_per_customer_lift: Interval | None  # in minor units
    bootstrap_resamples: int


def wilson(successes: int, n: int, z: float = Z95) -> Interval | None:
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # The bounds hold the rate itself: at 0% the rounding of centre - half is ~1e-17.
    return Interval(p, max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half)))


def newcombe(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> Interval | None:
    """Difference p1 - p2 with Newcombe's hybrid score interval (method 10)."""
    first, second = wilson(k1, n1, z), wilson(k2, n2, z)
    if first is None or second is None:
        return None
    p1, p2 = first.estimate, second.estimate
    below = math.sqrt((p1 - first.low) ** 2 + (second.high - p2) ** 2)
    above = math.sqrt((first.high - p1) ** 2 + (p2 - second.low) ** 2)
    return Interval(p1 - p2, p1 - p2 - below, p1 - p2 + above)


def resamples_for(n: int) -> int:
    return max(200, min(2000, BOOTSTRAP_DRAWS // max(n, 1)))


def bootstrap_mean_difference(treated: list[int], control: list[int], *, seed: int = BOOTSTRAP_SEED,
                              resamples: int | None = None) -> Interval | None:
    if not treated or not control:
        return None
    resamples = resamples or resamples_for(len(treated) + len(control))
    rng = random.Random(seed)
    differences = sorted(
        sum(rng.choices(treated, k=len(treated))) / len(treated)
        - sum(rng.choices(control, k=len(control))) / len(control)
        for _ in range(resamples))
    estimate = sum(treated) / len(treated) - sum(control) / len(control)
    return Interval(estimate, _percentile(differences, 0.025), _percentile(differences, 0.975))


def _percentile(ordered: list[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def _aware(value: Any) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Outcomes:
    revenue: dict[str, list[int]]  # by group: each customer's revenue in the window
    converted: dict[str, int]  # by group: customers with an order in the window
    pending: int
    codes: dict[str, tuple[int, int, int]]  # by group: issued, redeemed, their revenue


def outcomes(session: Session, *, journey: Journey, window: timedelta, now: datetime
             ) -> Outcomes:
    rows = session.execute(
        select(Enrolment.customer_id, Enrolment.holdout_group, Enrolment.enrolled_at,
               Enrolment.id)
        .where(Enrolment.journey_id == journey.id, Enrolment.holdout_group.is_not(None),
               Enrolment.customer_id.is_not(None))
        .order_by(Enrolment.enrolled_at, Enrolment.id)).all()
    first: dict[int, tuple[str, datetime]] = {}
    counted: dict[int, int] = {}  # enrolment -> its customer
    pending = 0
    for customer_id, group, enrolled_at, enrolment_id in rows:
        if customer_id is None or group is None or customer_id in first:
            continue
        if enrolled_at + window > now:
            pending += 1
            continue
        first[customer_id] = (group, enrolled_at)
        counted[enrolment_id] = customer_id
    revenue: dict[int, int | None] = dict.fromkeys(first)  # None: no order in the window
    ids = sorted(first)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for customer_id, placed_at, total, refunded in session.execute(
                select(Order.customer_id, Order.placed_at, Order.total_minor,
                       Order.refunded_minor)
                .where(Order.store_id == journey.store_id, Order.customer_id.in_(chunk),
                       Order.status != "cancelled")):
            if customer_id is None:
                continue
            _, enrolled_at = first[customer_id]
            if enrolled_at < _aware(placed_at) <= enrolled_at + window:
                revenue[customer_id] = (revenue[customer_id] or 0) + total - refunded
    by_group: dict[str, list[int]] = {TREATMENT: [], CONTROL: []}
    converted: dict[str, int] = {TREATMENT: 0, CONTROL: 0}
    for customer_id, (group, _) in first.items():
        value = revenue[customer_id]
        by_group[group].append(value or 0)
        converted[group] += value is not None
    return Outcomes(by_group, converted, pending,
                    offer_codes(session, journey=journey, counted=counted, first=first,
                                window=window))


def offer_codes(session: Session, *, journey: Journey, counted: dict[int, int],
                first: dict[int, tuple[str, datetime]], window: timedelta
                ) -> dict[str, tuple[int, int, int]]:
    """By group: (codes issued, codes used by an order in the window, its revenue)."""
    tally = {TREATMENT: [0, 0, 0], CONTROL: [0, 0, 0]}
    issued = codes.for_enrolments(session, store_id=journey.store_id,
                                  enrolment_ids=sorted(counted))
    used = {c.used_order_id: c for c in issued if c.used_order_id is not None}
    orders = {row.id: row for start in range(0, len(used), 500)
              for row in session.execute(
                  select(Order.id, Order.placed_at, Order.total_minor, Order.refunded_minor,
                         Order.status)
                  .where(Order.store_id == journey.store_id,
                         Order.id.in_(sorted(used)[start:start + 500])))}
    for code in issued:
        customer_id = counted.get(code.enrolment_id or 0)
        if customer_id is None:
            continue
        group, enrolled_at = first[customer_id]
        tally[group][0] += 1
        order = orders.get(code.used_order_id or 0)
        if order is not None and order.status != "cancelled" \
                and enrolled_at < _aware(order.placed_at) <= enrolled_at + window:
            tally[group][1] += 1
            tally[group][2] += order.total_minor - order.refunded_minor
    return {group: (a, b, c) for group, (a, b, c) in tally.items()}


def journey_results(session: Session, *, journey: Journey, window_days: int,
                    now: datetime) -> Results:
    found = outcomes(session, journey=journey, window=timedelta(days=window_days), now=now)
    treated, control = found.revenue[TREATMENT], found.revenue[CONTROL]
    k_t, k_c = found.converted[TREATMENT], found.converted[CONTROL]
    n = len(treated) + len(control)
    return Results(
        journey_key=journey.key, window_days=window_days,
        treatment=Group(len(treated), k_t, sum(treated), wilson(k_t, len(treated)),
                        *found.codes[TREATMENT]),
        control=Group(len(control), k_c, sum(control), wilson(k_c, len(control)),
                      *found.codes[CONTROL]),
        pending=found.pending,
        conversion_lift=newcombe(k_t, len(treated), k_c, len(control)),
        revenue_per_customer_lift=bootstrap_mean_difference(treated, control),
        bootstrap_resamples=resamples_for(n) if treated and control else 0)
