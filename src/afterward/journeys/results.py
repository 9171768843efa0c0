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
are 0 by design: what the offer earns shows in the conversion and revenue lift.

How soon a lift can be seen (`Detection`), so a small shop knows when to look: the
smallest conversion lift the customers counted so far would detect (two-sided 5%,
80% power, the groups' actual sizes), and at this journey's volume (customers
reaching its holdout step per week over the last LOOKBACK_WEEKS) how many weeks more
it needs to detect a lift of TARGET_RELATIVE_LIFT (10%) on the control's conversion.
A lift is called significant only when its 95% interval leaves out zero."""

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
Z80_POWER = 0.8416212335729143  # the normal quantile for 80% power
LOOKBACK_WEEKS = 8
TARGET_RELATIVE_LIFT = 0.10
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
    detection: Detection | None = None

    @property
    def significant(self) -> bool:
        """Whether the conversion lift's 95% interval leaves out zero."""
        lift = self.conversion_lift
        return lift is not None and (lift.low > 0 or lift.high < 0)


@dataclass(frozen=True)
class Detection:
    baseline: float  # the control's conversion rate
    detectable_lift: float | None  # absolute, in rate points (0-1), with the counts so far
    weekly_customers: float  # reaching the holdout step, per week (last LOOKBACK_WEEKS)
    target_lift: float  # absolute: TARGET_RELATIVE_LIFT of the baseline
    customers_needed: int | None  # in both groups, to detect target_lift
    weeks_needed: float | None  # more weeks at weekly_customers (0: enough already)


def customers_needed(baseline: float, lift: float, control_share: float) -> int | None:
    """Customers in both groups to detect an absolute `lift` on `baseline` with a
    two-sided 5% test at 80% power, `control_share` of them held out."""
    variance = baseline * (1 - baseline)
    if variance <= 0 or lift <= 0 or not 0 < control_share < 1:
        return None
    n = (Z95 + Z80_POWER) ** 2 * variance / (lift ** 2 * control_share * (1 - control_share))
    return math.ceil(n)


def detectable_lift(baseline: float, treated: int, control: int) -> float | None:
    """The smallest absolute lift `treated` and `control` customers detect (5%, 80%)."""
    variance = baseline * (1 - baseline)
    if variance <= 0 or treated <= 0 or control <= 0:
        return None
    return (Z95 + Z80_POWER) * math.sqrt(variance * (1 / treated + 1 / control))


def detection(control: Group, treatment: Group, weekly: float) -> Detection | None:
    if control.conversion is None or treatment.customers == 0:
        return None
    baseline = control.conversion.estimate
    total = control.customers + treatment.customers
    target = TARGET_RELATIVE_LIFT * baseline
    needed = customers_needed(baseline, target, control.customers / total)
    weeks = None
    if needed is not None:
        missing = max(0, needed - total)
        weeks = 0.0 if missing == 0 else (missing / weekly if weekly > 0 else None)
    return Detection(baseline, detectable_lift(baseline, treatment.customers,
                                               control.customers),
                     weekly, target, needed, weeks)


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
    weekly: float = 0.0  # customers reaching the holdout step per week, lately


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
    lately: set[int] = set()
    since = now - timedelta(weeks=LOOKBACK_WEEKS)
    for customer_id, group, enrolled_at, enrolment_id in rows:
        if customer_id is not None and group is not None and enrolled_at > since:
            lately.add(customer_id)
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
                                window=window), len(lately) / LOOKBACK_WEEKS)


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
    treatment = Group(len(treated), k_t, sum(treated), wilson(k_t, len(treated)),
                      *found.codes[TREATMENT])
    held_out = Group(len(control), k_c, sum(control), wilson(k_c, len(control)),
                     *found.codes[CONTROL])
    return Results(
        journey_key=journey.key, window_days=window_days,
        treatment=treatment, control=held_out,
        detection=detection(held_out, treatment, found.weekly),
        pending=found.pending,
        conversion_lift=newcombe(k_t, len(treated), k_c, len(control)),
        revenue_per_customer_lift=bootstrap_mean_difference(treated, control),
        bootstrap_resamples=resamples_for(n) if treated and control else 0)
