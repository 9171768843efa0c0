"""Replenishment dates, pure: when a customer will run out of a product they buy
again, from their own intervals between purchases of it and the product's typical
interval across the store's customers; each purchase counted from its delivery where
known (the customer starts using it then), else from when it was placed.

- the product's typical interval: the median of every customer's intervals for it,
  once there are at least MIN_PRODUCT_INTERVALS of them (else none);
- a customer's interval: the median of their own once they have two or more; one of
  their own blended half and half with the product's; none of their own: the
  product's;
- the due date: the last purchase (delivery) plus that interval; none without an
  interval to go by."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

MIN_PRODUCT_INTERVALS = 3
MIN_INTERVAL_DAYS = 1.0  # purchases a day apart are one need met twice, not a cycle


@dataclass(frozen=True)
class Purchase:
    at: datetime  # placed
    delivered_at: datetime | None = None

    @property
    def start(self) -> datetime:
        return self.delivered_at or self.at


@dataclass(frozen=True)
class Due:
    at: datetime
    interval_days: float
    basis: str  # "own", "blended" or "product"


def intervals(purchases: Sequence[Purchase]) -> list[float]:
    """Days between consecutive purchases (from their starts), in order; gaps below a
    day left out."""
    starts = sorted(p.start for p in purchases)
    gaps = ((b - a).total_seconds() / 86400 for a, b in pairwise(starts))
    return [g for g in gaps if g >= MIN_INTERVAL_DAYS]


def typical_interval(per_customer: Iterable[Sequence[Purchase]]) -> float | None:
    found = [gap for purchases in per_customer for gap in intervals(purchases)]
    return median(found) if len(found) >= MIN_PRODUCT_INTERVALS else None


def next_due(purchases: Sequence[Purchase], typical: float | None) -> Due | None:
    if not purchases:
        return None
    last = max(p.start for p in purchases)
    own = intervals(purchases)
    if len(own) >= 2:
        days, basis = median(own), "own"
    elif own and typical is not None:
        days, basis = (own[0] + typical) / 2, "blended"
    elif own:
        days, basis = own[0], "own"
    elif typical is not None:
        days, basis = typical, "product"
    else:
        return None
    return Due(last + timedelta(days=days), days, basis)
