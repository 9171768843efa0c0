"""What each customer is worth and where they stand, recomputed for a store from its
orders: a service (takes a session, never commits; the job `insights.recompute` and
`afterward insights recompute` wrap it) that writes one new run (customer_models.py)
and keeps the last KEEP_RUNS.

The run is a list of steps (STEPS), each `fn(ctx)` reading and adding to one Context,
in order; another part of insights appends its own (e.g. recommendations) and finds
the store's buyers, the run and `ctx.notes` there. The run is marked finished after
the last step, so readers (stored.py) see it whole or not at all.

- `read`: every customer's orders (cancelled ones left out), merged by day (UTC);
  value = total less refunds, in the store's currency (orders in another currency
  count as purchases, not as spend);
- `fit`: Pareto/NBD's P(alive) (which falls for a one-time buyer as time passes) and
  its expected orders in the next 90 days, Gamma-Gamma's expected spend and the
  discounted value of the next 52 weeks (10 % a year) in minor units (insights/clv.py;
  weeks, same-day orders merged): one model for all three, so a customer judged gone
  is not expected to buy. BG/NBD gives the expectations where Pareto/NBD's s is 1
  (its formula is undefined there). Too little data for the models (fewer than
  MIN_CUSTOMERS customers, fewer than MIN_REPEAT_BUYERS who bought on two days, all
  orders on one day, no numpy/scipy, a fit that gives no finite answer): the run
  says why (`notes["reason"]`) and every customer gets the heuristic below. Too few
  repeat buyers with a spend for Gamma-Gamma (MIN_SPEND_BUYERS): each customer's own
  mean order value (`notes["spend"]`);
- `segments`: RFM quintiles, named segments and churn bands (insights/segments.py);
- `replenishment`: per customer and SKU, when they run out (insights/replenish.py),
  counted from delivery where a delivered outbound shipment says when; a SKU gets
  dates when its product declares `replenishment_days` or the store's data gives it
  a typical interval, or the customer has two intervals of their own;
- `write`: the rows;
- `subscriptions`: products bought on a schedule, their next renewal and its risk
  (insights/subscriptions.py, subscription_step.py).

The heuristic (no model): a customer's interval is the median of their own gaps
between purchase days, else the store's median of those, else 90 days;
P(alive) = 0.5 ^ (days since the last order / (2 x interval)) (half-alive two
intervals after the last order); the rate is the purchase days over (days since the
first + one interval); expected orders in 90 days = P(alive) x rate x 90; the value
of a year = P(alive) x rate x 365 x their mean order value, discounted half a year.
No NaN or infinity is ever stored: every figure is checked and bounded."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from statistics import median
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from afterward.commerce.models import Order, OrderLine, Product, Store
from afterward.insights import replenish, segments
from afterward.insights.customer_models import (
    CustomerInsight,
    CustomerSubscription,
    InsightRun,
    ReplenishmentDate,
)
from afterward.insights.subscription_step import subscriptions_step
from afterward.storage import bulk, locks
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment

MIN_CUSTOMERS = 20
MIN_REPEAT_BUYERS = 5
MIN_SPEND_BUYERS = 10
HORIZON_DAYS = 90
CLV_WEEKS = 52
ANNUAL_DISCOUNT = 0.10
DEFAULT_INTERVAL_DAYS = 90.0
DUE_GRACE_DAYS = 7  # a date this many days past is still "due"; older ones are not
KEEP_RUNS = 2
BATCH = 2000

# progress(step, done, total)
Progress = Callable[[str, int, int], None]


@dataclass
class Buyer:
    customer_id: int
    days: dict[date, int]  # purchase day -> value in minor units (store currency)
    orders: int = 0

    @property
    def first(self) -> date:
        return min(self.days)

    @property
    def last(self) -> date:
        return max(self.days)

    @property
    def spend_minor(self) -> int:
        return sum(self.days.values())

    @property
    def repeat(self) -> int:
        return len(self.days) - 1

    def gaps(self) -> list[int]:
        return [(b - a).days for a, b in pairwise(sorted(self.days))]


@dataclass
class Figures:
    p_alive: float = 0.0
    expected_90d: float = 0.0
    clv_minor: int = 0
    rfm: segments.Rfm = field(default_factory=lambda: segments.Rfm(1, 1, 1))
    segment: str = "active"
    churn_risk: str = "high"
    next_due: date | None = None


@dataclass
class Context:
    session: Session
    store_id: int
    currency: str
    now: datetime
    run: InsightRun
    buyers: list[Buyer] = field(default_factory=list)
    figures: dict[int, Figures] = field(default_factory=dict)
    due: dict[int, list[tuple[str, replenish.Due]]] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.now.astimezone(UTC).date()


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[Context], None]


@dataclass(frozen=True)
class Outcome:
    run_id: int
    customers: int
    model: str
    reason: str | None
    replenishment_dates: int

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "customers": self.customers, "model": self.model,
                "reason": self.reason, "replenishment_dates": self.replenishment_dates}


def finite(value: Any, low: float, high: float, default: float) -> float:
    """`value` as a float in [low, high]; `default` when it is not a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    if not math.isfinite(number):
        return default
    return min(max(number, low), high)


# --- read --------------------------------------------------------------------------

def read_orders(ctx: Context) -> None:
    rows = ctx.session.execute(select(
        Order.customer_id, Order.placed_at, Order.total_minor, Order.refunded_minor,
        Order.currency).where(
        Order.store_id == ctx.store_id, Order.customer_id.is_not(None),
        Order.status != "cancelled", Order.placed_at <= ctx.now))
    found: dict[int, Buyer] = {}
    for customer_id, placed_at, total, refunded, currency in rows:
        if customer_id is None:
            continue
        buyer = found.get(customer_id)
        if buyer is None:
            buyer = found[customer_id] = Buyer(customer_id, {})
        day = _aware(placed_at).date()
        value = max(int(total or 0) - int(refunded or 0), 0) if currency == ctx.currency else 0
        buyer.days[day] = buyer.days.get(day, 0) + value
        buyer.orders += 1
    ctx.buyers = [found[key] for key in sorted(found)]
    ctx.figures = {b.customer_id: Figures() for b in ctx.buyers}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- fit ---------------------------------------------------------------------------

def too_little(buyers: list[Buyer]) -> str | None:
    """Why the models cannot be fitted to these buyers, or None."""
    if not buyers:
        return "no orders with a customer yet"
    days = {d for b in buyers for d in b.days}
    if len(days) == 1:
        return "all orders were placed on one day"
    if len(buyers) < MIN_CUSTOMERS:
        return (f"{len(buyers)} customers with orders: the models need at least "
                f"{MIN_CUSTOMERS}")
    repeat = sum(1 for b in buyers if b.repeat > 0)
    if repeat == 0:
        return "no customer has bought on two different days"
    if repeat < MIN_REPEAT_BUYERS:
        return (f"{repeat} customers bought on two different days: the models need at "
                f"least {MIN_REPEAT_BUYERS}")
    return None


def fit_models(ctx: Context) -> None:
    reason = too_little(ctx.buyers)
    if reason is None:
        try:
            reason = _fit_btyd(ctx)
        except ImportError as exc:  # numpy/scipy: the `models` extra
            reason = f"numpy/scipy are not installed (the models extra): {exc}"
    if reason is not None:
        ctx.notes.update({"model": "heuristic", "reason": reason})
        _heuristic(ctx)


def _fit_btyd(ctx: Context) -> str | None:
    """Pareto/NBD (and Gamma-Gamma); BG/NBD where Pareto/NBD's s is 1 (its
    expectation is undefined there). None when they gave every figure, else the reason
    they could not (nothing is kept from them then)."""
    import numpy as np

    from afterward.insights import clv

    today, buyers = ctx.today, ctx.buyers
    x = np.array([b.repeat for b in buyers], dtype=np.float64)
    t_x = np.array([(b.last - b.first).days / 7 for b in buyers], dtype=np.float64)
    T = np.array([(today - b.first).days / 7 for b in buyers], dtype=np.float64)
    m = np.array([_repeat_mean(b) for b in buyers], dtype=np.float64)
    summary = clv.Summary(x, t_x, T, m)
    notes: dict[str, Any] = {}
    with np.errstate(all="ignore"):
        try:
            pareto = clv.fit_pareto(summary)
            if not _usable(pareto.params):
                return "Pareto/NBD's fitted parameters are not usable"
            notes["pareto_nbd"] = _rounded(pareto.params)
            p_alive = clv.pareto_p_alive(pareto.params, summary)
            spend, notes["spend"] = _spend(summary, buyers)
            if abs(pareto.params["s"] - 1) > 1e-6:
                notes["expected"] = "pareto_nbd"
                expected = clv.pareto_expected(pareto.params, summary, HORIZON_DAYS / 7)
                value = clv.pareto_discounted_clv(pareto.params, summary, spend,
                                                  weeks=CLV_WEEKS,
                                                  annual_discount=ANNUAL_DISCOUNT,
                                                  p_alive=p_alive)
            else:
                bgnbd = clv.fit_bgnbd(summary)
                if not _usable(bgnbd.params) or abs(bgnbd.params["a"] - 1) < 1e-9:
                    return "neither Pareto/NBD (s = 1) nor BG/NBD gives an expectation"
                notes.update({"expected": "bgnbd", "bgnbd": _rounded(bgnbd.params)})
                expected = clv.bgnbd_expected(bgnbd.params, summary, HORIZON_DAYS / 7)
                value = clv.discounted_clv(bgnbd.params, summary, spend, weeks=CLV_WEEKS,
                                           annual_discount=ANNUAL_DISCOUNT)
        except (ValueError, FloatingPointError, ArithmeticError) as exc:
            return f"the models could not be fitted: {exc}"
    if not (np.isfinite(p_alive).all() and np.isfinite(expected).all()
            and np.isfinite(value).all()):
        return "the models gave figures that are not finite for some customers"
    if (expected < -1e-9).any() or (value < -1e-6).any():
        return "the models gave negative expectations for some customers"
    for buyer, alive, orders, worth in zip(buyers, p_alive, expected, value, strict=True):
        held = ctx.figures[buyer.customer_id]
        held.p_alive = finite(alive, 0.0, 1.0, 0.0)
        held.expected_90d = finite(orders, 0.0, 1e6, 0.0)
        held.clv_minor = round(finite(worth, 0.0, 1e15, 0.0))
    ctx.notes.update({"model": "btyd", "reason": None, **notes})
    return None


def _usable(params: dict[str, float]) -> bool:
    return all(math.isfinite(v) and v > 0 for v in params.values())


def _spend(summary: Any, buyers: list[Buyer]) -> tuple[Any, str]:
    """Each customer's expected spend per purchase: Gamma-Gamma's where enough repeat
    buyers have a spend, else their own mean order value."""
    import numpy as np

    from afterward.insights import clv

    own = np.array([b.spend_minor / len(b.days) for b in buyers], dtype=np.float64)
    spenders = int(((summary.x > 0) & (summary.m > 0)).sum())
    if spenders < MIN_SPEND_BUYERS:
        return own, (f"each customer's mean order value ({spenders} repeat buyers with a "
                     f"spend; Gamma-Gamma needs {MIN_SPEND_BUYERS})")
    gamma = clv.fit_gamma_gamma(summary)
    if not all(math.isfinite(v) and v > 0 for v in gamma.params.values()) \
            or gamma.params["q"] <= 1:
        return own, "each customer's mean order value (Gamma-Gamma's fit is not usable)"
    spend = clv.expected_spend(gamma.params, summary, fallback=float(own.mean()))
    if not np.isfinite(spend).all():
        return own, "each customer's mean order value (Gamma-Gamma gave no finite spend)"
    return spend, "gamma-gamma " + ", ".join(f"{k} = {v:.3f}"
                                             for k, v in gamma.params.items())


def _repeat_mean(buyer: Buyer) -> float:
    later = [buyer.days[d] for d in sorted(buyer.days)[1:]]
    return sum(later) / len(later) if later else 0.0


def _rounded(params: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 6) for k, v in params.items()}


def _heuristic(ctx: Context) -> None:
    today = ctx.today
    own_gaps = [median(b.gaps()) for b in ctx.buyers if b.repeat > 0]
    store_gap = float(median(own_gaps)) if own_gaps else DEFAULT_INTERVAL_DAYS
    discount = (1 + ANNUAL_DISCOUNT) ** -0.5
    for buyer in ctx.buyers:
        interval = max(float(median(buyer.gaps())) if buyer.repeat else store_gap, 1.0)
        recency = max((today - buyer.last).days, 0)
        alive = 0.5 ** (recency / (2 * interval))
        rate = len(buyer.days) / (max((today - buyer.first).days, 0) + interval)
        mean_order = buyer.spend_minor / len(buyer.days)
        held = ctx.figures[buyer.customer_id]
        held.p_alive = finite(alive, 0.0, 1.0, 0.0)
        held.expected_90d = finite(alive * rate * HORIZON_DAYS, 0.0, 1e6, 0.0)
        held.clv_minor = round(finite(alive * rate * 365 * mean_order * discount,
                                      0.0, 1e15, 0.0))


# --- segments ----------------------------------------------------------------------

def assign_segments(ctx: Context) -> None:
    today, buyers = ctx.today, ctx.buyers
    scores = segments.rfm([(today - b.last).days for b in buyers],
                          [len(b.days) for b in buyers], [b.spend_minor for b in buyers])
    for buyer, score in zip(buyers, scores, strict=True):
        held = ctx.figures[buyer.customer_id]
        held.rfm = score
        held.segment = segments.segment(orders=len(buyer.days),
                                        days_since_first=(today - buyer.first).days,
                                        p_alive=held.p_alive, score=score)
        held.churn_risk = segments.churn_band(held.p_alive)


# --- replenishment -----------------------------------------------------------------

def replenishment_dates(ctx: Context) -> None:
    session, store_id = ctx.session, ctx.store_id
    delivered = dict(session.execute(select(Shipment.order_id, func.min(
        Shipment.delivered_at)).where(
        Shipment.store_id == store_id, Shipment.direction == "outbound",
        Shipment.delivered_at.is_not(None)).group_by(Shipment.order_id)).all())
    declared: dict[str, int] = {}
    bought: dict[str, dict[int, list[replenish.Purchase]]] = defaultdict(
        lambda: defaultdict(list))
    for sku, customer_id, order_id, placed_at, days in session.execute(select(
            OrderLine.sku, Order.customer_id, Order.id, Order.placed_at,
            Product.replenishment_days)
            .join(Order, Order.id == OrderLine.order_id)
            .outerjoin(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.store_id == store_id, Order.store_id == store_id,
                   Order.customer_id.is_not(None), Order.status != "cancelled",
                   OrderLine.sku.is_not(None), Order.placed_at <= ctx.now)):
        if sku is None or customer_id is None:
            continue
        at = delivered.get(order_id)
        bought[sku][customer_id].append(replenish.Purchase(
            _aware(placed_at), _aware(at) if isinstance(at, datetime) else _parsed(at)))
        if days:
            declared[sku] = int(days)
    ctx.due = {}
    for sku in sorted(bought):
        per_customer = bought[sku]
        typical = replenish.typical_interval(per_customer.values())
        if typical is None and sku in declared:
            typical = float(declared[sku])
        for customer_id, purchases in per_customer.items():
            if typical is None and len(replenish.intervals(purchases)) < 2:
                continue
            found = replenish.next_due(purchases, typical)
            if found is None or not (finite(found.interval_days, 0, 1e5, 0) > 0):
                continue
            ctx.due.setdefault(customer_id, []).append((sku, found))
    grace = ctx.today - timedelta(days=DUE_GRACE_DAYS)
    for buyer in ctx.buyers:
        dates = sorted(d.at.date() for _, d in ctx.due.get(buyer.customer_id, ())
                       if d.at.date() >= grace)
        due = dates[0] if dates else None
        if due is None and buyer.repeat >= 2:  # their own cadence
            cadence = buyer.last + timedelta(days=float(median(buyer.gaps())))
            due = cadence if cadence >= grace else None
        ctx.figures[buyer.customer_id].next_due = due


def _parsed(value: Any) -> datetime | None:
    # min() over a column comes back as text on SQLite
    if isinstance(value, str):
        return _aware(datetime.fromisoformat(value))
    return None


# --- write -------------------------------------------------------------------------

def write_rows(ctx: Context) -> None:
    run_id = ctx.run.id
    rows = [{"run_id": run_id, "customer_id": b.customer_id, "store_id": ctx.store_id,
             "segment": f.segment, "rfm_recency": f.rfm.recency,
             "rfm_frequency": f.rfm.frequency, "rfm_monetary": f.rfm.monetary,
             "p_alive": round(f.p_alive, 6), "churn_risk": f.churn_risk,
             "expected_orders_90d": round(f.expected_90d, 6), "clv_minor": f.clv_minor,
             "currency": ctx.currency, "next_order_due": f.next_due, "computed_at": ctx.now}
            for b in ctx.buyers for f in (ctx.figures[b.customer_id],)]
    for start in range(0, len(rows), BATCH):
        bulk.insert(ctx.session, CustomerInsight, rows[start:start + BATCH])
    dates = [{"run_id": run_id, "customer_id": customer_id, "sku": sku,
              "store_id": ctx.store_id, "due_at": due.at, "basis": due.basis,
              "interval_days": round(due.interval_days, 4)}
             for customer_id in sorted(ctx.due) for sku, due in ctx.due[customer_id]]
    for start in range(0, len(dates), BATCH):
        bulk.insert(ctx.session, ReplenishmentDate, dates[start:start + BATCH])
    ctx.notes["replenishment_dates"] = len(dates)


def recommendations(ctx: Context) -> None:
    """The store's recommendations fitted again (recs_store.py: a run of their own)."""
    from afterward.insights import recs_store

    outcome = recs_store.recompute_recommendations(ctx.session, store_id=ctx.store_id,
                                                   now=ctx.now)
    ctx.notes["recommendations"] = outcome.as_dict()


STEPS: list[Step] = [Step("read", read_orders), Step("fit", fit_models),
                     Step("segments", assign_segments),
                     Step("replenishment", replenishment_dates), Step("write", write_rows),
                     Step("subscriptions", subscriptions_step),
                     Step("recommendations", recommendations)]


# --- the run -----------------------------------------------------------------------

def recompute(session: Session, store_id: int, *, progress: Progress | None = None,
              now: datetime | None = None, steps: list[Step] | None = None) -> Outcome:
    """A new run of the store's insights, finished and the older ones pruned, in the
    caller's transaction."""
    report = progress or (lambda step, done, total: None)
    now = now or utcnow()
    locks.hold(session, "insights-recompute", store_id)
    store = session.get(Store, store_id)
    if store is None:
        raise LookupError(f"no store {store_id}")
    run = InsightRun(store_id=store_id, started_at=now, status="running", customers=0,
                     notes={})
    session.add(run)
    session.flush()
    ctx = Context(session, store_id, store.currency, now, run)
    chosen = STEPS if steps is None else steps
    for done, step in enumerate(chosen):
        report(step.name, done, len(chosen))
        step.run(ctx)
    report("done", len(chosen), len(chosen))
    run.status, run.finished_at, run.customers = "finished", utcnow(), len(ctx.buyers)
    run.notes = {**ctx.notes, "steps": [s.name for s in chosen]}
    session.flush()
    prune(session, store_id)
    return Outcome(run.id, len(ctx.buyers), str(ctx.notes.get("model", "heuristic")),
                   ctx.notes.get("reason"), int(ctx.notes.get("replenishment_dates", 0)))


def prune(session: Session, store_id: int, keep: int = KEEP_RUNS) -> int:
    """Delete the store's runs older than its `keep` latest finished ones."""
    kept = list(session.scalars(select(InsightRun.id).where(
        InsightRun.store_id == store_id, InsightRun.status == "finished")
        .order_by(InsightRun.id.desc()).limit(keep)))
    if not kept:
        return 0
    old = list(session.scalars(select(InsightRun.id).where(
        InsightRun.store_id == store_id, InsightRun.id < min(kept))))
    if old:
        for table in (CustomerInsight, ReplenishmentDate, CustomerSubscription):
            session.execute(delete(table).where(table.run_id.in_(old)))
        session.execute(delete(InsightRun).where(InsightRun.id.in_(old)))
    return len(old)
