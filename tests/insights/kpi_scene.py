"""A tiny hand-built store for the cohort and KPI tests: four customers, eight orders
(one cancelled), two returns (one rejected) and four delivered parcels, with every
figure worked out by hand in test_kpis.py. NOW is 15 March 2026, 12:00 UTC."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from afterward.commerce.models import Customer, Order, OrderLine
from afterward.returns.models import Return, ReturnLine
from afterward.storage.db import Database
from afterward.tracking.models import Shipment

NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


# customer, placed, total, units, status, currency
ORDERS = (
    ("A", "2026-01-10", 1000, 1, "open", "USD"),
    ("A", "2026-02-12", 3000, 3, "open", "USD"),
    ("A", "2026-03-05", 2000, 1, "open", "USD"),
    ("A", "2026-03-11", 9999, 1, "cancelled", "USD"),  # left out everywhere
    ("B", "2026-01-20", 4000, 1, "open", "USD"),
    ("C", "2026-02-03", 1500, 1, "open", "USD"),
    ("C", "2026-03-10", 2500, 1, "open", "USD"),
    ("guest@example.com", "2026-03-12", 600, 1, "open", "USD"),  # a guest, by email
)


def build(db: Database, store_id: int) -> dict[str, int]:
    """The scene in `store_id`; the ids of the orders by 'customer-day'."""
    ids: dict[str, int] = {}
    with db.transaction() as session:
        people = {}
        for name in ("A", "B", "C"):
            person = Customer(store_id=store_id, email=f"{name.lower()}@example.com",
                              first_name=name)
            session.add(person)
            session.flush()
            people[name] = person
        lines = {}
        for n, (who, day, total, units, status, currency) in enumerate(ORDERS):
            person = people.get(who)
            order = Order(store_id=store_id, number=f"K-{n}", currency=currency,
                          customer_id=person.id if person else None,
                          email=person.email if person else who, total_minor=total,
                          subtotal_minor=total, status=status, placed_at=at(day))
            order.lines.append(OrderLine(store_id=store_id, title="Tea", sku="TEA",
                                         quantity=units, unit_price_minor=total // units,
                                         total_minor=total))
            session.add(order)
            session.flush()
            ids[f"{who}-{day}"] = order.id
            lines[f"{who}-{day}"] = order.lines[0].id
        for number, key, created, status in (
                ("R-1", "C-2026-03-10", "2026-03-12", "approved"),
                ("R-2", "A-2026-03-05", "2026-03-06", "rejected")):
            back = Return(store_id=store_id, number=number, order_id=ids[key],
                          status=status, resolution="refund", currency="USD",
                          value_minor=1000, window_basis="delivery",
                          label_token=secrets.token_urlsafe(32), created_at=at(created))
            back.lines.append(ReturnLine(store_id=store_id, order_line_id=lines[key], sku="TEA",
                                         title="Tea", quantity=1, unit_paid_minor=1000,
                                         reason="too_small"))
            session.add(back)
        # delivered, promised: on time / late / by the carrier's estimate / no promise
        for key, delivered, promised, estimated in (
                ("A-2026-03-05", "2026-03-07", "2026-03-08", None),
                ("C-2026-03-10", "2026-03-12", "2026-03-11", None),
                ("guest@example.com-2026-03-12", "2026-03-13", None, "2026-03-14"),
                ("A-2026-02-12", "2026-03-13", None, None)):
            session.add(Shipment(
                store_id=store_id, order_id=ids[key], token=secrets.token_urlsafe(32),
                direction="outbound", status="delivered", delivered_at=at(delivered),
                promised_at=at(promised) if promised else None,
                carrier_estimated_at=at(estimated) if estimated else None))
    return ids
