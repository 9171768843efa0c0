"""A tiny tea shop for the recommendations' tests: seven orders, four customers and a
guest. Tea went with cups in 2 orders and with pots in 2; beans with filters in 2;
Ann bought tea twice (it is replenished) and a cup once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from afterward.commerce.models import Customer, Order, OrderLine, Product, Variant
from afterward.storage.db import Database

TITLES = {"TEA": "Green tea", "CUP": "Tea cup", "POT": "Teapot", "WHISK": "Bamboo whisk",
          "BEANS": "Coffee beans", "FILTER": "Paper filters", "MUG": "Mug"}
ORDERS = [("ann", ("TEA", "CUP")), ("bob", ("TEA", "CUP", "WHISK")), ("cy", ("TEA", "POT")),
          ("dee", ("TEA", "POT")), (None, ("BEANS", "FILTER")),
          (None, ("BEANS", "FILTER", "MUG")), ("ann", ("TEA",))]
START = datetime(2026, 3, 1, 9, tzinfo=UTC)


@dataclass(frozen=True)
class Shop:
    store_id: int
    customers: dict[str, int]
    orders: list[int]  # in ORDERS' order
    products: dict[str, int]


def build(db: Database, store_id: int) -> Shop:
    with db.transaction() as session:
        products, variants = {}, {}
        for sku, title in TITLES.items():
            product = Product(store_id=store_id, title=title, external_id=f"p-{sku}")
            product.variants.append(Variant(store_id=store_id, sku=sku, price_minor=500,
                                            currency="EUR"))
            session.add(product)
            session.flush()
            products[sku], variants[sku] = product.id, product.variants[0].id
        customers = {}
        for name in ("ann", "bob", "cy", "dee"):
            customer = Customer(store_id=store_id, email=f"{name}@example.com",
                                first_name=name.title())
            session.add(customer)
            session.flush()
            customers[name] = customer.id
        orders = []
        for n, (name, skus) in enumerate(ORDERS):
            order = Order(store_id=store_id, number=str(1001 + n), currency="EUR",
                          customer_id=customers[name] if name else None,
                          email=f"{name or 'guest'}@example.com",
                          placed_at=START + timedelta(days=n), total_minor=500 * len(skus))
            for position, sku in enumerate(skus):
                order.lines.append(OrderLine(store_id=store_id, position=position,
                                             product_id=products[sku],
                                             variant_id=variants[sku], sku=sku,
                                             title=TITLES[sku], quantity=1,
                                             unit_price_minor=500, total_minor=500))
            session.add(order)
            session.flush()
            orders.append(order.id)
    return Shop(store_id, customers, orders, products)


def out_of_stock(db: Database, store_id: int, sku: str) -> None:
    with db.transaction() as session:
        session.query(Variant).filter_by(store_id=store_id, sku=sku).update(
            {"inventory_quantity": 0})
