"""When people buy: a BG/NBD-like process (each customer's purchase rate drawn
from a Gamma, their chance of dropping out after each purchase from a Beta) run
in "shop time", where a day's length is its share of trade: November and
December are long, Monday evenings longer than Saturday mornings, and the
business grows. Pure numpy; the caller turns days into datetimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

# Relative trade per month (Jan..Dec): a European gift and consumables shop.
MONTH = np.array([0.82, 0.84, 0.95, 0.95, 0.96, 0.90, 0.87, 0.86, 0.97, 1.05, 1.45, 1.55])
# Per weekday, Monday first; from Instacart's order_dow shares (Sunday and Monday peak).
WEEKDAY = np.array([1.27, 0.98, 0.87, 0.85, 0.97, 0.84, 1.22])
# Local hour of day (0..23), Instacart's order_hour_of_day shares with a stronger evening.
HOUR = np.array([0.008, 0.004, 0.002, 0.001, 0.002, 0.003, 0.009, 0.024, 0.042, 0.066,
                 0.072, 0.072, 0.072, 0.070, 0.070, 0.069, 0.067, 0.064, 0.062, 0.066,
                 0.070, 0.060, 0.041, 0.024])
HOUR = HOUR / HOUR.sum()
DAYS = 730  # two years of history
NEW_CUSTOMER_GROWTH = 2.2  # new customers per day, last day over first day


@dataclass(frozen=True)
class Purchases:
    customer: np.ndarray  # int, customer index of each purchase
    day: np.ndarray  # int, day index from the start of the window
    rank: np.ndarray  # 0 for a customer's first purchase, 1 for the second...


def trade_per_day(start: date, days: int) -> np.ndarray:
    """Relative trade of each day in the window (mean 1)."""
    dates = [start + timedelta(days=d) for d in range(days)]
    month = MONTH[[d.month - 1 for d in dates]]
    weekday = WEEKDAY[[d.weekday() for d in dates]]
    factor = month * weekday
    for i, d in enumerate(dates):
        if is_black_week(d):
            factor[i] *= 2.1
        elif d.month == 12 and 22 <= d.day <= 31:
            factor[i] *= 0.55  # too late for Christmas delivery
    return np.asarray(factor / factor.mean())


def is_black_week(d: date) -> bool:
    """Black Friday (the day after the fourth Thursday of November) to Cyber Monday."""
    first = date(d.year, 11, 1)
    friday = first + timedelta(days=(3 - first.weekday()) % 7 + 22)
    return friday <= d <= friday + timedelta(days=3)


def _shop_clock(weights: np.ndarray) -> np.ndarray:
    """Cumulative shop time at each day boundary (len(weights) + 1 points)."""
    return np.concatenate([[0.0], np.cumsum(weights)])


def _to_days(clock: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.interp(u, clock, np.arange(len(clock), dtype=float))


@dataclass(frozen=True)
class BuyerModel:
    """Tuned so ~60% buy once and the top 10% place over half of the orders. The
    rates' scale is solved for, so that the window holds exactly the orders asked."""

    r: float = 0.35  # Gamma shape of the purchase rate: small = very uneven customers
    a: float = 0.6  # Beta(a, b): chance of dropping out after a purchase
    b: float = 0.8
    max_purchases: int = 120  # a customer's cap is drawn between a third of this and this


def simulate(n_customers: int, n_orders: int, *, start: date, days: int,
             rng: np.random.Generator, model: BuyerModel | None = None) -> Purchases:
    """Exactly n_orders purchases by n_customers who each buy at least once."""
    if n_orders < n_customers:
        raise ValueError("every demo customer buys at least once: orders >= customers")
    model = model or BuyerModel()
    trade = trade_per_day(start, days)
    growth = NEW_CUSTOMER_GROWTH ** (np.arange(days) / max(1, days - 1))
    acquisition_clock = _shop_clock(trade * growth)
    repeat_clock = _shop_clock(trade)
    first = _to_days(acquisition_clock, rng.random(n_customers) * acquisition_clock[-1])
    rate = rng.gamma(model.r, 1.0, n_customers)
    dropout = rng.beta(model.a, model.b, n_customers)
    # Purchases before dropping out, counting the first: Geometric(p) on 1, 2, ...
    # A per-customer cap keeps the heaviest buyers from piling up on one number.
    cap = rng.integers(model.max_purchases // 3, model.max_purchases + 1, n_customers)
    lifetime = np.minimum(rng.geometric(dropout), cap)
    gaps = rng.exponential(1.0, (n_customers, model.max_purchases - 1))
    start_u = np.interp(first, np.arange(days + 1, dtype=float), repeat_clock)
    steps = np.cumsum(gaps, axis=1)
    # Repeat j of customer i happens inside the window iff the rate scale exceeds
    # critical[i, j]; taking the k smallest gives exactly k repeat purchases.
    room = np.maximum(repeat_clock[-1] - start_u, 1e-9)
    critical = steps / (rate[:, None] * room[:, None])
    alive = np.arange(1, model.max_purchases)[None, :] < lifetime[:, None]
    critical = np.where(alive, critical, np.inf)
    wanted = n_orders - n_customers
    if wanted > int(np.isfinite(critical).sum()):
        raise ValueError("too many orders for these customers: raise customers")
    chosen = _smallest(critical.ravel(), wanted)
    rows, cols = np.divmod(chosen, model.max_purchases - 1)
    repeat_u = start_u[rows] + steps[rows, cols] / (rate[rows] * _scale(critical, wanted))
    customer = np.concatenate([np.arange(n_customers), rows])
    rank = np.concatenate([np.zeros(n_customers, dtype=int), cols + 1])
    day = np.concatenate([first, _to_days(repeat_clock, repeat_u)])
    order = np.lexsort((rank, customer))
    return Purchases(customer=customer[order], rank=rank[order],
                     day=np.minimum(day[order].astype(int), days - 1))


def _smallest(values: np.ndarray, k: int) -> np.ndarray:
    if k == 0:
        return np.zeros(0, dtype=int)
    return np.argpartition(values, k - 1)[:k]


def _scale(critical: np.ndarray, k: int) -> float:
    """A rate scale between the k-th and (k+1)-th critical values."""
    flat = np.sort(np.partition(critical.ravel(), min(k, critical.size - 1))[: k + 1])
    if k == 0:
        return float(flat[0]) / 2
    upper = flat[k] if k < len(flat) and np.isfinite(flat[k]) else flat[k - 1] * 2
    return float((flat[k - 1] + upper) / 2)


def hours_of_day(n: int, rng: np.random.Generator) -> np.ndarray:
    """Local time of day in seconds, following HOUR."""
    hour = rng.choice(24, size=n, p=HOUR)
    return hour * 3600 + rng.integers(0, 3600, size=n)
