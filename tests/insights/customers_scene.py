"""Stores with known orders for the customer insights' tests: customers, products
and orders written straight into the tables at chosen times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from afterward.commerce.models import Customer, Order, OrderLine, Product, Variant
from afterward.storage.db import Database

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def add_products(db: Database, store_id: int, specs: Sequence[tuple[str, int | None]]
                 ) -> dict[str, int]:
    """(sku, replenishment_days) -> {sku: product id}."""
    ids = {}
    with db.transaction() as session:
        for sku, days in specs:
            product = Product(store_id=store_id, title=f"Product {sku}",
                              external_id=f"p-{sku}", replenishment_days=days)
            product.variants.append(Variant(store_id=store_id, sku=sku, price_minor=1000,
                                            currency="USD"))
            session.add(product)
            session.flush()
            ids[sku] = product.id
    return ids


def add_customer(db: Database, store_id: int, email: str,
                 orders: Sequence[tuple[float, int] | tuple[float, int, str]],
                 products: dict[str, int] | None = None, currency: str = "USD") -> int:
    """A customer with orders placed `days` before NOW, each of `total_minor`, with a
    line of `sku` (if given; else a SKU of its own, bought once); their id."""
    with db.transaction() as session:
        customer = Customer(store_id=store_id, email=email, first_name="Ada")
        session.add(customer)
        session.flush()
        for n, spec in enumerate(orders):
            days_ago, total = spec[0], spec[1]
            sku = spec[2] if len(spec) > 2 else None  # type: ignore[misc]
            order = Order(store_id=store_id, number=f"{email}-{n}", customer_id=customer.id,
                          email=email, currency=currency,
                          placed_at=NOW - timedelta(days=days_ago), subtotal_minor=total,
                          total_minor=total)
            order.lines.append(OrderLine(
                store_id=store_id, position=0, sku=sku or f"ONCE-{email}-{n}", title="Item",
                product_id=(products or {}).get(sku or ""), quantity=1,
                unit_price_minor=total, total_minor=total))
            session.add(order)
        session.flush()
        return customer.id
