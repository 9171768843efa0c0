"""Two years of trade as plain rows: who bought what, when, what it cost, how it
travelled, and what was cancelled or refunded. No database here: rows refer to
each other by list index and the writer swaps in the ids. `add_order` makes one
more order the same way while the history is being replayed (a shopper answering
a journey's message, see responses.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np

from afterward.demo import baskets, parcels, people, returns, timeline
from afterward.demo.catalog import PRODUCTS, VARIANT_SETS, ProductSpec, variant_price
from afterward.tracking.statuses import Status

# Shipping fee, free-shipping threshold and tax on top of prices (EU prices include VAT).
SHIPPING = {"DE": (495, 4900), "AT": (695, 6900), "NL": (695, 6900), "BE": (695, 6900),
            "FR": (695, 6900), "CH": (1295, 12000), "GB": (995, 9000), "US": (995, 7500),
            "BR": (2495, 25000)}
TAX_RATE = {"CH": 0.081, "GB": 0.20, "US": 0.07}
CANCEL_REASONS = ("customer", "customer", "customer", "inventory", "fraud", "declined")


@dataclass(frozen=True)
class VariantRow:
    product: int
    sku: str
    title: str
    price_minor: int


@dataclass
class History:
    start: date
    now: datetime
    products: tuple[ProductSpec, ...]
    variants: list[VariantRow]
    people: people.People
    customer_since: list[datetime]
    orders: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)  # "scans": up to now
    refunds: list[dict[str, Any]] = field(default_factory=list)
    returns: list[dict[str, Any]] = field(default_factory=list)  # demo/returns.py
    returns_rng: np.random.Generator | None = None
    # What add_order needs to fill one more basket like the others.
    catalogue: baskets.Catalogue | None = None
    tastes: np.ndarray | None = None


def catalogue_variants(products: tuple[ProductSpec, ...]) -> list[VariantRow]:
    rows = []
    for index, spec in enumerate(products):
        for label, suffix, factor in VARIANT_SETS[spec.variants]:
            title = spec.title if label == "Default" else f"{spec.title} \u2013 {label}"
            rows.append(VariantRow(index, f"{spec.code}-{suffix}", title,
                                   variant_price(spec, factor)))
    return rows


def generate(*, customers: int, orders: int, seed: int, now: datetime,
             days: int = timeline.DAYS, step: Callable[[str], None] | None = None) -> History:
    """`days` of trade up to `now`; step(label) is called as each stage starts (for a
    progress bar)."""
    report = step or (lambda _label: None)
    rng = np.random.default_rng(seed)
    start = (now - timedelta(days=days)).date()
    report("Catalogue")
    variants = catalogue_variants(PRODUCTS)
    catalogue = baskets.Catalogue(PRODUCTS, rng)
    report("Customers")
    who = people.make_people(customers, rng, today=now.date())
    report("Orders")
    bought = timeline.simulate(customers, orders, start=start, days=days, rng=rng)
    placed = _placed_at(bought.day, bought.customer, who, start, now, rng)
    by_time = np.argsort(placed, kind="stable")
    order_customer, order_rank = bought.customer[by_time], bought.rank[by_time]
    placed = placed[by_time]
    report("Baskets")
    tastes = baskets.customer_tastes(customers, rng)
    lines = baskets.make_lines(catalogue, order_customer, order_rank, tastes, rng)
    history = History(start, now, PRODUCTS, variants, who, [], catalogue=catalogue,
                      tastes=tastes, returns_rng=np.random.default_rng([seed, 13]))
    _orders(history, order_customer, order_rank, placed, lines, rng)
    report("Parcels")
    _ship(history, rng)
    report("Refunds and cancellations")
    _refund(history, rng)
    history.customer_since = _customer_since(history, customers, rng)
    return history


def _placed_at(day: np.ndarray, customer: np.ndarray, who: people.People, start: date,
               now: datetime, rng: np.random.Generator) -> np.ndarray:
    seconds = timeline.hours_of_day(len(day), rng)
    early = rng.integers(120, 4 * 3600, len(day))
    out = np.empty(len(day), dtype=object)
    midnight = datetime.combine(start, time(0))
    for i in range(len(day)):
        zone = parcels.zone_named(who.timezone[customer[i]])
        local = midnight + timedelta(days=int(day[i]), seconds=int(seconds[i]))
        moment = local.replace(tzinfo=zone).astimezone(UTC)
        out[i] = moment if moment < now - timedelta(minutes=2) else now - timedelta(
            seconds=int(early[i]))
    return out


def add_order(history: History, *, customer: int, placed_at: datetime,
              rng: np.random.Generator) -> int:
    """One more order of a customer, with its basket, parcel and refund drawn as for
    the others; returns its index. Orders are appended, so indexes stay valid."""
    assert history.catalogue is not None and history.tastes is not None
    first_order, first_shipment = len(history.orders), len(history.shipments)
    rank = sum(1 for order in history.orders if order["customer"] == customer)
    who, rank_of = np.array([customer]), np.array([rank])
    lines = baskets.make_lines(history.catalogue, who, rank_of, history.tastes, rng)
    placed = np.empty(1, dtype=object)
    placed[0] = placed_at
    _orders(history, who, rank_of, placed, lines, rng)
    _ship(history, rng, first=first_order)
    _refund(history, rng, first=first_shipment)
    return first_order


def _first_variants() -> np.ndarray:
    return np.cumsum([0] + [len(VARIANT_SETS[p.variants]) for p in PRODUCTS])[:-1]


def _orders(history: History, order_customer: np.ndarray, order_rank: np.ndarray,
            placed: np.ndarray, lines: baskets.Lines, rng: np.random.Generator) -> None:
    """Appends the orders (lines.order counts from 0, for the first of these)."""
    who, first_variant, offset = history.people, _first_variants(), len(history.orders)
    bounds = np.searchsorted(lines.order, np.arange(len(placed) + 1))
    promo = rng.random(len(placed))
    for i in range(len(placed)):
        c = int(order_customer[i])
        subtotal = 0
        for position, j in enumerate(range(bounds[i], bounds[i + 1])):
            v = int(first_variant[lines.product[j]] + lines.variant[j])
            variant = history.variants[v]
            quantity = int(lines.quantity[j])
            subtotal += quantity * variant.price_minor
            history.lines.append({"order": offset + i, "position": position, "variant": v,
                                  "product": int(lines.product[j]), "sku": variant.sku,
                                  "title": variant.title, "quantity": quantity,
                                  "unit_price_minor": variant.price_minor,
                                  "total_minor": quantity * variant.price_minor,
                                  "refunded_quantity": 0})
        country = who.country[c]
        discount = round(subtotal * _discount_rate(placed[i], int(order_rank[i]), promo[i]))
        fee, free_from = SHIPPING[country]
        shipping = 0 if subtotal - discount >= free_from else fee
        tax = round((subtotal - discount) * TAX_RATE.get(country, 0.0))
        history.orders.append({
            "customer": c, "placed_at": placed[i], "email": who.email[c], "phone": who.phone[c],
            "subtotal_minor": subtotal, "shipping_minor": shipping, "tax_minor": tax,
            "discount_minor": discount, "total_minor": subtotal + shipping + tax - discount,
            "refunded_minor": 0, "status": "open", "financial_status": "paid",
            "fulfillment_status": None, "cancelled_at": None, "cancel_reason": None,
            "ship_name": f"{who.first_name[c]} {who.last_name[c]}",
            "ship_address1": who.address1[c], "ship_city": who.city[c],
            "ship_region": who.region[c], "ship_postal_code": who.postal_code[c],
            "ship_country": country})


def _discount_rate(placed: datetime, rank: int, u: float) -> float:
    if timeline.is_black_week(placed.date()):
        return 0.20 if u < 0.55 else 0.0
    if rank == 0:
        return 0.10 if u < 0.25 else 0.0
    return 0.15 if u < 0.03 else (0.10 if u < 0.09 else 0.0)


def _ship(history: History, rng: np.random.Generator, first: int = 0) -> None:
    """Cancel ~2% before they ship; every other order ships once its label exists."""
    who, now = history.people, history.now
    n = len(history.orders) - first
    u = rng.random((n, 20))
    z = rng.standard_normal(n)
    cancel = rng.random(n)
    cancel_after = rng.uniform(0.3, 20.0, n)
    for k in range(n):
        i = first + k
        order = history.orders[i]
        c = order["customer"]
        zone = parcels.zone_named(who.timezone[c])
        parcel = parcels.journey(placed=order["placed_at"], country=who.country[c],
                                 city=who.city[c], zone=zone,
                                 signer=f"{who.first_name[c][0]}. {who.last_name[c]}",
                                 u=u[k], z=float(z[k]), rng=rng)
        label_at = parcel.scans[0].at
        cancelled_at = order["placed_at"] + timedelta(hours=float(cancel_after[k]))
        if cancel[k] < 0.02 and cancelled_at < label_at and cancelled_at <= now:
            order.update(status="cancelled", cancelled_at=cancelled_at, financial_status="voided",
                         cancel_reason=CANCEL_REASONS[int(u[k, 6] * len(CANCEL_REASONS))])
            continue
        if label_at > now:
            continue
        order["fulfillment_status"] = "fulfilled"
        history.shipments.append({"order": i, "parcel": parcel,
                                   "scans": [s for s in parcel.scans if s.at <= now]})


def _refund(history: History, rng: np.random.Generator, first: int = 0) -> None:
    """Returned parcels are refunded in full; about 8% of delivered orders come back in
    part through a return (demo/returns.py), refunded when the return is settled."""
    first_line = np.searchsorted([line["order"] for line in history.lines],
                                 np.arange(len(history.orders) + 1))
    for shipment in history.shipments[first:]:
        scans = shipment["scans"]
        last = scans[-1]
        order = history.orders[shipment["order"]]
        lines = history.lines[first_line[shipment["order"]]:first_line[shipment["order"] + 1]]
        if last.status is Status.returned_to_sender:
            _refund_all(history, shipment["order"], order, lines, last.at + timedelta(days=1))
            continue
        if last.status is not Status.delivered:
            continue
        if rng.random() >= 0.04:
            returns.maybe_add(history, shipment["order"], lines, last.at)
            continue
        at = last.at + timedelta(days=float(rng.uniform(3, 25)))
        if at > history.now:
            continue
        returns.add(history, shipment["order"], lines, int(rng.integers(0, len(lines))), at)


def _refund_all(history: History, index: int, order: dict[str, Any],
                lines: list[dict[str, Any]], at: datetime) -> None:
    if at > history.now:
        return
    for line in lines:
        line["refunded_quantity"] = line["quantity"]
    order["refunded_minor"] = order["total_minor"]
    order["financial_status"] = "refunded"
    history.refunds.append({"order": index, "at": at, "amount_minor": order["total_minor"],
                            "lines": [{"sku": ln["sku"], "quantity": ln["quantity"]}
                                      for ln in lines]})


def _customer_since(history: History, customers: int,
                    rng: np.random.Generator) -> list[datetime]:
    """Accounts are created at checkout, a few minutes before the first order."""
    first: list[datetime | None] = [None] * customers
    for order in history.orders:
        c = order["customer"]
        if first[c] is None:
            first[c] = order["placed_at"]
    lead = rng.integers(60, 1800, customers)
    return [moment - timedelta(seconds=int(lead[c])) if moment else history.now
            for c, moment in enumerate(first)]
