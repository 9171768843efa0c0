"""The personalization context a template sees. Real and sample contexts have the
same keys (missing things are None or empty lists, never absent), so a template
that renders against the sample at save time renders against real data too,
unless it assumes something the real message lacks."""

from __future__ import annotations

import copy
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, aliased, lazyload

from afterward import modules
from afterward.commerce.models import Customer, Order, OrderLine, Product, Store, full_name
from afterward.storage.db import engine_of, remembers_contents
from afterward.storage.queries import one_of
from afterward.storage.types import utcnow
from afterward.tracking import lateness
from afterward.tracking import service as tracking
from afterward.tracking.models import Shipment

RECOMMENDATIONS = 3
CARRIER_NAMES = {
    "ups": "UPS", "usps": "USPS", "dhl": "DHL", "dhl_express": "DHL Express", "fedex": "FedEx",
    "dpd": "DPD", "gls": "GLS", "hermes": "Hermes", "royal_mail": "Royal Mail",
    "postnl": "PostNL", "colissimo": "Colissimo", "correios": "Correios",
    "canada_post": "Canada Post", "australia_post": "Australia Post",
}


@dataclass(frozen=True)
class Links:
    unsubscribe: str | None = None
    preferences: str | None = None  # the shopper's preference centre (every email)


def store_part(store: Store) -> dict[str, Any]:
    return {"name": store.name, "brand_primary": store.brand_primary,
            "brand_accent": store.brand_accent, "logo_url": store.logo_url,
            "support_email": store.support_email, "currency": store.currency}


class CustomerRow(NamedTuple):
    """The columns of a customer that a message needs (its policy and its context)."""

    id: int
    store_id: int
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    locale: str | None
    timezone: str | None
    orders_count: int

    @property
    def name(self) -> str:
        return full_name(self.first_name, self.last_name)


CUSTOMER_COLUMNS = [getattr(Customer, name) for name in CustomerRow._fields]


def customer_part(customer: Customer | CustomerRow | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {"id": customer.id, "first_name": customer.first_name,
            "last_name": customer.last_name, "name": customer.name, "email": customer.email,
            "phone": customer.phone, "orders_count": customer.orders_count}


class OrderLineRow(NamedTuple):
    order_id: int
    title: str
    sku: str | None
    quantity: int
    unit_price_minor: int
    total_minor: int
    product_id: int | None


class OrderRow(NamedTuple):
    """The columns of an order that a context shows, with its lines in their order."""

    id: int
    number: str
    placed_at: datetime
    currency: str
    subtotal_minor: int
    shipping_minor: int
    tax_minor: int
    discount_minor: int
    total_minor: int
    ship_name: str | None
    ship_address1: str | None
    ship_city: str | None
    ship_postal_code: str | None
    ship_country: str | None
    lines: list[OrderLineRow]


def order_part(order: Order | OrderRow | None) -> dict[str, Any] | None:
    if order is None:
        return None
    lines = [{"title": line.title, "sku": line.sku, "quantity": line.quantity,
              "unit_price_minor": line.unit_price_minor, "total_minor": line.total_minor,
              "product_id": line.product_id} for line in order.lines]
    return {"id": order.id, "number": order.number, "placed_at": order.placed_at,
            "currency": order.currency, "subtotal_minor": order.subtotal_minor,
            "shipping_minor": order.shipping_minor, "tax_minor": order.tax_minor,
            "discount_minor": order.discount_minor, "total_minor": order.total_minor,
            "lines": lines, "ship_name": order.ship_name, "ship_address1": order.ship_address1,
            "ship_city": order.ship_city, "ship_postal_code": order.ship_postal_code,
            "ship_country": order.ship_country}


def shipment_part(shipment: Shipment | None, public_url: str, *, store_timezone: str | None,
                  now: datetime) -> dict[str, Any] | None:
    if shipment is None:
        return None
    carrier = shipment.carrier or ""
    return {"id": shipment.id, "carrier": shipment.carrier,
            "carrier_name": CARRIER_NAMES.get(carrier, carrier.replace("_", " ").title()),
            "tracking_number": shipment.tracking_number, "status": shipment.status,
            "tracking_url": public_url.rstrip("/") + tracking.tracking_path(shipment),
            "expected_by": shipment.promised_at, "shipped_at": shipment.shipped_at,
            "delivered_at": shipment.delivered_at,
            **late_part(lateness.of_parcel(shipment, zone=lateness.store_zone(store_timezone),
                                           now=now))}


def late_part(verdict: lateness.Lateness) -> dict[str, Any]:
    """The same verdict as the tracking page's delay notice (tracking/lateness.py): late
    or not, the promised day and the window, as days in the store's time zone."""
    window = verdict.window if verdict.late else None
    return {"late": verdict.late, "promised_day": verdict.promised_day,
            "window_first": window.first if window else None,
            "window_last": window.last if window else None}


@dataclass(frozen=True)
class Loaded:
    """What contexts read from the database, loaded once for many messages of a store."""

    shipments: dict[int, Shipment]  # by id, as the messages' refs name them
    orders: dict[int, OrderRow]  # with their lines
    latest_shipment: dict[int, Shipment]  # order id -> its newest parcel
    care_products: dict[int, CareRow]  # products with care or how-to content


def load(session: Session, *, store_id: int, refs: list[dict[str, Any]]) -> Loaded:
    """A few queries for all `refs` (each a message's {order_id, shipment_id})."""
    quiet = (lazyload(Shipment.events), lazyload(Shipment.lines))  # only columns are read
    shipment_ids = {int(r["shipment_id"]) for r in refs if r.get("shipment_id")}
    # By key alone, the store checked on the rows (see _orders).
    shipments = {s.id: s for s in session.scalars(select(Shipment).options(*quiet).where(
        one_of(session, Shipment.id, shipment_ids))) if s.store_id == store_id
    } if shipment_ids else {}
    order_ids = {int(oid) for oid in (_order_id(r, shipments) for r in refs) if oid}
    orders = _orders(session, store_id, order_ids) if order_ids else {}
    latest: dict[int, Shipment] = {}
    if orders:
        for shipment in session.scalars(select(Shipment).options(*quiet).where(
                Shipment.store_id == store_id, one_of(session, Shipment.order_id, orders))
                .order_by(Shipment.id.desc())):
            if shipment.order_id is not None:
                latest.setdefault(shipment.order_id, shipment)
    product_ids = {line.product_id for order in orders.values() for line in order.lines
                   if line.product_id}
    products = {row[0]: CareRow._make(row[1:]) for row in session.connection().execute(
        select(Product.id, *_CARE_COLUMNS).where(
            Product.store_id == store_id, Product.id.in_(product_ids),
            (Product.care_content.is_not(None)) | (Product.howto_content.is_not(None))))
    } if product_ids else {}
    return Loaded(shipments, orders, latest, products)


class CareRow(NamedTuple):
    """What a message tells of a product it was about: its care and how-to content."""

    title: str
    care_content: str | None
    howto_content: str | None


# Plain rows: the ORM spent ~1.5 % of a worker making Product objects for these.
_CARE_COLUMNS = [getattr(Product, name) for name in CareRow._fields]


_ORDER_COLUMNS = [getattr(Order, name) for name in OrderRow._fields if name != "lines"]
_LINE_COLUMNS = [getattr(OrderLine, name) for name in OrderLineRow._fields]


def _orders(session: Session, store_id: int, ids: set[int]) -> dict[int, OrderRow]:
    """Orders and their lines as plain rows: two queries, and no ORM objects to build
    (about 0.1 ms a message as Order objects with their lines). Both look up by key
    alone and check the store on the rows: SQLite, with no statistics, preferred an
    index on store_id for `store_id = ? AND id IN (...)`, and read every order and
    line of the store for each batch (a third of a worker's time at 100,000 orders)."""
    conn = session.connection()
    lines: dict[int, list[OrderLineRow]] = {}
    for line in conn.execute(select(OrderLine.store_id, *_LINE_COLUMNS).where(
            one_of(session, OrderLine.order_id, ids))
            .order_by(OrderLine.order_id, OrderLine.position, OrderLine.id)):
        if line[0] == store_id:
            lines.setdefault(line.order_id, []).append(OrderLineRow(*line[1:]))
    return {row.id: OrderRow._make((*row[1:], lines.get(row.id, []))) for row in conn.execute(
        select(Order.store_id, *_ORDER_COLUMNS).where(one_of(session, Order.id, ids)))
        if row[0] == store_id}


def _order_id(refs: dict[str, Any], shipments: dict[int, Shipment]) -> int | None:
    if refs.get("order_id"):
        return int(refs["order_id"])
    shipment = shipments.get(int(refs["shipment_id"])) if refs.get("shipment_id") else None
    return shipment.order_id if shipment is not None else None


def build_context(session: Session, *, store: Store, customer: Customer | CustomerRow | None,
                  refs: dict[str, Any], data: dict[str, Any], locale: str, timezone: str,
                  public_url: str, links: Links, secret_key: str = "") -> dict[str, Any]:
    loaded = load(session, store_id=store.id, refs=[refs])
    return assemble(session, loaded, store=store, customer=customer, refs=refs, data=data,
                    locale=locale, timezone=timezone, public_url=public_url, links=links,
                    secret_key=secret_key)


def module_parts() -> tuple[Any, ...]:
    """The installed modules' parts of the context (Module.message_parts)."""
    return modules.resolved("message_parts")


def _module_values(session: Session, *, store_id: int, refs: dict[str, Any],
                   public_url: str, secret_key: str, customer_id: int | None = None,
                   needs: frozenset[str] | None = None) -> dict[str, Any]:
    """Each module's part: what its REF in `refs` names, else None (the key is always
    there, as in the sample); None too when `needs` says the template never reads it.
    A part about the customer (REF `customer_id`) is the message's customer's."""
    values: dict[str, Any] = {}
    for part in module_parts():
        if needs is not None and part.NAME not in needs:
            values[part.NAME] = None  # the template never reads it: spare its queries
            continue
        ref = refs.get(part.REF)
        if ref is None and part.REF == "customer_id" and (needs is None or part.NAME in needs):
            ref = customer_id
        values[part.NAME] = part.load(session, store_id=store_id, id=int(ref),
                                      public_url=public_url, secret_key=secret_key) \
            if ref else None
    return values


def assemble(session: Session, loaded: Loaded, *, store: Store,
             customer: Customer | CustomerRow | None,
             refs: dict[str, Any], data: dict[str, Any], locale: str, timezone: str,
             public_url: str, links: Links, needs: frozenset[str] | None = None,
             now: datetime | None = None, secret_key: str = "") -> dict[str, Any]:
    """One message's context from what `load` found, as of `now` (default: the clock).
    `needs` (the names its template uses, None: all) spares the queries behind parts
    the template never reads."""
    shipment = loaded.shipments.get(int(refs["shipment_id"])) \
        if refs.get("shipment_id") else None
    order_id = _order_id(refs, loaded.shipments)
    order = loaded.orders.get(order_id) if order_id else None
    if shipment is None and order is not None:  # the order's latest parcel, if any
        shipment = loaded.latest_shipment.get(order.id)
    product_ids = sorted({line.product_id for line in order.lines if line.product_id}) \
        if order else []
    used = needs if needs is not None else frozenset({"recommendations", "care"})
    return {
        "locale": locale, "timezone": timezone, "store": store_part(store),
        "customer": customer_part(customer), "order": order_part(order),
        "shipment": shipment_part(shipment, public_url, store_timezone=store.timezone,
                                  now=now or utcnow()),
        "recommendations": recommended(session, store_id=store.id, product_ids=product_ids)
        if "recommendations" in used else [],
        "care": [{"title": p.title, "care": p.care_content, "howto": p.howto_content}
                 for p in (loaded.care_products.get(i) for i in product_ids) if p is not None]
        if "care" in used else [],
        "links": {"unsubscribe": links.unsubscribe, "preferences": links.preferences},
        "data": data,
        **_module_values(session, store_id=store.id, refs=refs, public_url=public_url,
                         secret_key=secret_key, needs=needs,
                         customer_id=customer.id if customer is not None else None),
    }


# Co-purchase counts scan the store's order lines: a send burst for orders of the
# same products would repeat that per message. They move slowly, so each process
# keeps an answer for a short while, per database.
RECOMMENDATIONS_TTL = 60.0
_RECOMMENDED: weakref.WeakKeyDictionary[Engine, dict[tuple[int, tuple[int, ...]],
                                                      tuple[float, list[dict[str, Any]]]]] = (
    weakref.WeakKeyDictionary())
_RECOMMENDED_MAX = 4096
_recommended_lock = threading.Lock()
remembers_contents(lambda: _RECOMMENDED.clear())


def recommended(session: Session, *, store_id: int, product_ids: list[int]
                ) -> list[dict[str, Any]]:
    """bought_together, remembered for RECOMMENDATIONS_TTL seconds."""
    if not product_ids:
        return []
    engine = engine_of(session)
    key = (store_id, tuple(product_ids))
    now = time.monotonic()
    with _recommended_lock:
        found = _RECOMMENDED.get(engine, {}).get(key)
    if found is not None and now - found[0] < RECOMMENDATIONS_TTL:
        return copy.deepcopy(found[1])
    fresh = bought_together(session, store_id=store_id, product_ids=product_ids)
    with _recommended_lock:
        kept = _RECOMMENDED.setdefault(engine, {})
        if len(kept) >= _RECOMMENDED_MAX:
            kept.clear()
        kept[key] = (now, copy.deepcopy(fresh))
    return fresh


def care_content(session: Session, *, store_id: int, product_ids: list[int]
                 ) -> list[dict[str, Any]]:
    if not product_ids:
        return []
    products = session.scalars(select(Product).where(
        Product.store_id == store_id, Product.id.in_(product_ids),
        (Product.care_content.is_not(None)) | (Product.howto_content.is_not(None)),
    ).order_by(Product.id))
    return [{"title": p.title, "care": p.care_content, "howto": p.howto_content}
            for p in products]


def bought_together(session: Session, *, store_id: int, product_ids: list[int],
                    limit: int = RECOMMENDATIONS) -> list[dict[str, Any]]:
    """Products most often in the same orders as these, then the store's best sellers;
    never one the customer is buying now. The insights module will do better."""
    if not product_ids:
        return []
    mine, other = aliased(OrderLine), aliased(OrderLine)
    together = func.count(func.distinct(other.order_id))
    # The lines of the orders with these products, looked up by order (the subquery
    # keeps to the store): SQLite otherwise walks every line of the store, looking up
    # each one's order (about 5 ms a message with 6,000 lines).
    ranked = list(session.execute(
        select(other.product_id, together)
        .where(other.order_id.in_(select(mine.order_id).where(
                   mine.store_id == store_id, mine.product_id.in_(product_ids))),
               other.product_id.is_not(None), other.product_id.not_in(product_ids))
        .group_by(other.product_id).order_by(together.desc(), other.product_id).limit(limit)))
    chosen: list[int] = [row[0] for row in ranked if row[0] is not None]
    if len(chosen) < limit:
        sold = func.sum(OrderLine.quantity)
        best = session.execute(
            select(OrderLine.product_id, sold)
            .where(OrderLine.store_id == store_id, OrderLine.product_id.is_not(None),
                   OrderLine.product_id.not_in([*product_ids, *chosen]))
            .group_by(OrderLine.product_id).order_by(sold.desc(), OrderLine.product_id)
            .limit(limit - len(chosen)))
        chosen += [row[0] for row in best if row[0] is not None]
    if not chosen:
        return []
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.store_id == store_id, Product.id.in_(chosen)))}
    out = []
    for product_id in chosen:
        product = products.get(product_id)
        if product is None:
            continue
        variant = product.variants[0] if product.variants else None
        out.append({"id": product.id, "title": product.title, "category": product.category,
                    "image_url": product.image_url,
                    "price_minor": variant.price_minor if variant else None,
                    "currency": variant.currency if variant else None})
    return out


def sample_context(store: Store, *, locale: str = "en", public_url: str = "",
                   data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Plausible data for previews and for checking a template before it is saved."""
    now = datetime.now(UTC).replace(microsecond=0)
    currency = store.currency or "USD"
    lines = [{"title": "Organic green tea", "sku": "TEA-1", "quantity": 2,
              "unit_price_minor": 450, "total_minor": 900, "product_id": 1},
             {"title": "Stoneware mug", "sku": "MUG-1", "quantity": 1,
              "unit_price_minor": 1200, "total_minor": 1200, "product_id": 2}]
    return {
        "locale": locale, "timezone": store.timezone or "UTC", "store": store_part(store),
        "customer": {"id": 0, "first_name": "Ada", "last_name": "Lovelace",
                     "name": "Ada Lovelace", "email": "ada@example.com",
                     "phone": "+15555550123", "orders_count": 2},
        "order": {"id": 0, "number": "1001", "placed_at": now - timedelta(days=3),
                  "currency": currency, "subtotal_minor": 2100, "shipping_minor": 495,
                  "tax_minor": 0, "discount_minor": 0, "total_minor": 2595, "lines": lines,
                  "ship_name": "Ada Lovelace", "ship_address1": "12 Example Street",
                  "ship_city": "Berlin", "ship_postal_code": "10115", "ship_country": "DE"},
        "shipment": {"id": 0, "carrier": "dhl", "carrier_name": "DHL",
                     "tracking_number": "JD014600006281234567", "status": "in_transit",
                     "tracking_url": f"{public_url.rstrip('/')}/t/sample",
                     "expected_by": now + timedelta(days=2), "shipped_at": now,
                     "delivered_at": None, "late": True,
                     "promised_day": (now + timedelta(days=2)).date(),
                     "window_first": (now + timedelta(days=3)).date(),
                     "window_last": (now + timedelta(days=5)).date()},
        "recommendations": [{"id": 3, "title": "Bamboo tea whisk", "category": "tea",
                             "image_url": None, "price_minor": 1500, "currency": currency}],
        "care": [{"title": "Organic green tea", "care": "Keep dry and away from light.",
                  "howto": "Steep 2 minutes at 80 °C."}],
        "links": {"unsubscribe": f"{public_url.rstrip('/')}/m/u/sample",
                  "preferences": f"{public_url.rstrip('/')}/preferences/sample"},
        "data": data or {},
        **{part.NAME: part.sample(currency=currency, public_url=public_url)
           for part in module_parts()},
    }
