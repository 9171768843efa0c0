"""Subscriptions, pure: which products a customer buys on a schedule, when the next
renewal is expected, and how likely it is not to happen.

Which purchases count: a customer's purchase *days* of one SKU (UTC; two orders of it
on one day are one purchase), cancelled orders left out.

- **flagged**: some purchase of it was bought on a subscription (OrderLine.subscription:
  the API's `subscription`, Shopify's selling plans and subscription-contract orders).
  Its purchases from the first flagged one on count; the interval is the median of
  their gaps, else (one purchase so far) the product's `replenishment_days`, else
  there is no renewal to expect and it is left out.
- **detected**: at least MIN_ORDERS purchase days, and over the latest WINDOW gaps the
  median gap is between MIN_INTERVAL_DAYS and MAX_INTERVAL_DAYS and their spread
  (coefficient of variation: population standard deviation / mean) at most
  MAX_SPREAD. The interval is that median.

The next renewal is the last purchase plus the interval (rounded to whole days). A
subscription is **lapsed** once that renewal is missed by more than its grace
(GRACE_SHARE of the interval, at least GRACE_MIN_DAYS), else **active**.

**Renewal risk** in [0, 1]: the sum of weighted signals, capped at 1; each signal that
adds at least REASON_FLOOR is a reason, the largest first:

| reason | adds |
|---|---|
| `churn_risk` | 0.4 x (1 - the customer's P(alive) in the run); nothing when unknown |
| `overdue` | 0.4 x min(days past the expected renewal / the interval, 1) |
| `irregular` | 0.2 x min(spread / 0.5, 1); nothing with fewer than two gaps |
| `returned_last_order` | 0.2: a return (not rejected) on the latest order of it |
| `low_survey_score` | 0.2: a detractor's survey answer on that order |
| `late_delivery` | 0.1: its parcel was late (a delay recorded, or delivered after the promise) |

A renewal is **at risk** from AT_RISK (0.4): a return and a detractor's answer, or
P(alive) 0 alone, or P(alive) 0.5 with a return."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from statistics import median, pstdev

MIN_ORDERS = 3
WINDOW = 6  # the latest gaps a detected cadence is judged on
MIN_INTERVAL_DAYS = 7
MAX_INTERVAL_DAYS = 180
MAX_SPREAD = 0.25
GRACE_SHARE = 0.5
GRACE_MIN_DAYS = 7
AT_RISK = 0.4
REASON_FLOOR = 0.05
IRREGULAR_SPREAD = 0.5  # the spread that counts as fully irregular
WEIGHTS = {"churn_risk": 0.4, "overdue": 0.4, "irregular": 0.2,
           "returned_last_order": 0.2, "low_survey_score": 0.2, "late_delivery": 0.1}


@dataclass(frozen=True)
class Found:
    source: str  # "flagged" or "detected"
    orders: int  # purchase days counted
    interval_days: float
    last: date
    next_renewal: date
    spread: float | None  # of the gaps judged; None with fewer than two


@dataclass(frozen=True)
class Signals:
    p_alive: float | None = None
    returned: bool = False
    low_survey: bool = False
    late: bool = False


def gaps(days: Sequence[date]) -> list[int]:
    return [(b - a).days for a, b in pairwise(sorted(set(days)))]


def spread(values: Sequence[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    return pstdev(values) / mean if mean > 0 else None


def detect(days: Sequence[date], flagged: Sequence[date],
           declared_days: int | None = None) -> Found | None:
    """The subscription these purchase days make, or None (rules in the docstring)."""
    if flagged:
        first = min(flagged)
        used = sorted({d for d in days if d >= first} | set(flagged))
        own = gaps(used)
        if own:
            interval = float(median(own))
        elif declared_days is not None and declared_days > 0:
            interval = float(declared_days)
        else:
            return None
        return _found("flagged", used, interval, spread(own[-WINDOW:]))
    used = sorted(set(days))
    if len(used) < MIN_ORDERS:
        return None
    recent = gaps(used)[-WINDOW:]
    interval = float(median(recent))
    found_spread = spread(recent)
    if not (MIN_INTERVAL_DAYS <= interval <= MAX_INTERVAL_DAYS) or found_spread is None \
            or found_spread > MAX_SPREAD:
        return None
    return _found("detected", used, interval, found_spread)


def _found(source: str, used: list[date], interval: float, gap_spread: float | None
           ) -> Found:
    last = used[-1]
    return Found(source, len(used), interval, last,
                 last + timedelta(days=round(interval)), gap_spread)


def days_overdue(found: Found, today: date) -> int:
    return max((today - found.next_renewal).days, 0)


def grace_days(interval_days: float) -> float:
    return max(GRACE_MIN_DAYS, GRACE_SHARE * interval_days)


def status(found: Found, today: date) -> str:
    return "lapsed" if days_overdue(found, today) > grace_days(found.interval_days) \
        else "active"


def renewal_risk(found: Found, today: date, signals: Signals) -> tuple[float, list[str]]:
    """(risk in [0, 1] rounded to 4 places, the reasons that drove it, largest first)."""
    parts = {
        "churn_risk": 0.0 if signals.p_alive is None or not math.isfinite(signals.p_alive)
        else 1 - _unit(signals.p_alive),
        "overdue": _unit(days_overdue(found, today) / found.interval_days),
        "irregular": 0.0 if found.spread is None
        else _unit(found.spread / IRREGULAR_SPREAD),
        "returned_last_order": float(signals.returned),
        "low_survey_score": float(signals.low_survey),
        "late_delivery": float(signals.late),
    }
    added = {name: WEIGHTS[name] * share for name, share in parts.items()}
    risk = round(_unit(sum(added.values())), 4)
    reasons = [name for name, value in sorted(added.items(), key=lambda kv: (-kv[1], kv[0]))
               if value >= REASON_FLOOR - 1e-12]
    return risk, reasons


def _unit(value: float) -> float:
    """`value` in [0, 1]; 0 when it is not a finite number."""
    return min(max(value, 0.0), 1.0) if math.isfinite(value) else 0.0
