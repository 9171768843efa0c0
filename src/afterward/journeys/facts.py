"""What conditions see: an event's references (customer, order, shipment) and the
facts about them, read fresh each time (so a branch after a 30-day wait sees the
orders placed meanwhile), and only when a condition asks. Keys match
conditions.FIELDS; the installed modules add roots of their own (Module.facts:
`loyalty`), so journeys never import a module that comes after them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterward import modules
from afterward.commerce.models import Customer, Order, Product, Store
from afterward.commerce.service import customer_exists
from afterward.events import Event
from afterward.messaging.facts import first_zone
from afterward.storage.queries import held
from afterward.tracking import lateness
from afterward.tracking.models import Shipment


@dataclass(frozen=True)
class Refs:
    customer_id: int | None = None
    order_id: int | None = None
    shipment_id: int | None = None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def refs_of(session: Session, event: Event) -> Refs:
    """Who and what an event is about, whatever its subject; only references to rows
    that exist in the event's store."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    customer_id, order_id, shipment_id = (_int(payload.get("customer_id")),
                                          _int(payload.get("order_id")),
                                          _int(payload.get("shipment_id")))
    if event.subject_type == "customer":
        customer_id = event.subject_id
    elif event.subject_type == "order":
        order_id = event.subject_id
    elif event.subject_type == "shipment":
        shipment_id = event.subject_id
    store_id = event.store_id
    if shipment_id is not None:
        row = session.execute(select(Shipment.order_id).where(
            Shipment.id == shipment_id, Shipment.store_id == store_id)).first()
        shipment_id = shipment_id if row is not None else None
        order_id = order_id or (row.order_id if row is not None else None)
    if order_id is not None:
        found = session.execute(select(Order.customer_id).where(
            Order.id == order_id, Order.store_id == store_id)).first()
        order_id = order_id if found is not None else None
        customer_id = customer_id or (found.customer_id if found is not None else None)
    if customer_id is not None and not customer_exists(session, store_id=store_id,
                                                       customer_id=customer_id):
        customer_id = None
    if event.subject_type == "customer" and order_id is None:
        order_id = last_order_id(session, store_id=store_id, customer_id=customer_id)
    return Refs(customer_id, order_id, shipment_id)


def last_order_id(session: Session, *, store_id: int, customer_id: int | None) -> int | None:
    if customer_id is None:
        return None
    return session.scalar(select(Order.id).where(
        Order.store_id == store_id, Order.customer_id == customer_id,
        Order.status != "cancelled").order_by(Order.placed_at.desc(), Order.id.desc()).limit(1))


class Facts(Mapping[str, Any]):
    """What conditions see: each root (customer, order...) is read from the database
    the first time a condition asks for it, so a journey that only looks at
    `shipment.direction` reads the shipment and nothing else."""

    def __init__(self, loaders: dict[str, Callable[[], Any]]) -> None:
        self._loaders = loaders
        self._values: dict[str, Any] = {}

    def __getitem__(self, root: str) -> Any:
        if root not in self._values:
            self._values[root] = self._loaders[root]()
        return self._values[root]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)


def gather(session: Session, *, store_id: int, refs: Refs,
           event: Event | Callable[[], Event | None] | None, now: datetime,
           enrolment: dict[str, Any] | None = None) -> Facts:
    """`event`, or how to read it when a condition asks for it."""
    order: list[tuple[dict[str, Any], dict[str, Any]]] = []
    read: list[Event | None] = []

    def order_and_product() -> tuple[dict[str, Any], dict[str, Any]]:
        if not order:
            order.append(_order(session, store_id, refs.order_id))
        return order[0]

    def the_event() -> Event | None:
        if not read:
            read.append(event() if callable(event) else event)
        return read[0]

    def payload() -> dict[str, Any]:
        found = the_event()
        return dict(found.payload) if found is not None and found.payload else {}

    return Facts({
        "event": lambda: event_part(the_event()),
        "payload": payload,
        "customer": lambda: _customer(session, store_id, refs.customer_id, now),
        "order": lambda: order_and_product()[0],
        "product": lambda: order_and_product()[1],
        "shipment": lambda: _shipment(session, store_id, refs.shipment_id, now),
        "enrolment": lambda: enrolment or {},
        **{provider.NAME: _module_root(provider, session, store_id, refs, now)
           for provider in modules.resolved("facts")},
    })


def _module_root(provider: Any, session: Session, store_id: int, refs: Refs,
                 now: datetime) -> Callable[[], Any]:
    """A module's root (Module.facts), read when a condition first asks for it: about
    the customer, or (a provider with BY_ORDER) about the enrolment's order."""
    def load() -> Any:
        if getattr(provider, "BY_ORDER", False):
            if refs.order_id is None:
                return {}
            return provider.load(session, store_id=store_id, customer_id=refs.customer_id,
                                 now=now, order_id=refs.order_id)
        if refs.customer_id is None:
            return {}
        return provider.load(session, store_id=store_id, customer_id=refs.customer_id,
                             now=now)
    return load


def event_part(event: Event | None) -> dict[str, Any]:
    if event is None:
        return {}
    return {"name": event.name, "subject_type": event.subject_type,
            "subject_id": event.subject_id, "occurred_at": event.occurred_at,
            "payload": dict(event.payload or {})}


def _customer(session: Session, store_id: int, customer_id: int | None,
              now: datetime) -> dict[str, Any]:
    if customer_id is None:
        return {}
    customer = session.scalar(select(Customer).where(
        Customer.id == customer_id, Customer.store_id == store_id))
    if customer is None:
        return {}
    # Counted now, not read from the customer row: its totals are refreshed by a job
    # that may not have run yet.
    count, first, last = session.execute(
        select(func.count(Order.id), func.min(Order.placed_at), func.max(Order.placed_at))
        .where(Order.store_id == store_id, Order.customer_id == customer_id,
               Order.status != "cancelled")).one()
    last_at = _aware(last) or customer.last_order_at
    consent = {(c.channel, c.purpose): c.granted for c in customer.consents}
    return {
        "id": customer.id, "email": customer.email, "phone": customer.phone,
        "first_name": customer.first_name, "last_name": customer.last_name,
        "locale": customer.locale, "timezone": customer.timezone, "birthday": customer.birthday,
        "orders_count": int(count), "total_spent_minor": customer.total_spent_minor,
        "first_order_at": _aware(first) or customer.first_order_at, "last_order_at": last_at,
        "days_since_last_order": (now - last_at).total_seconds() / 86400 if last_at else None,
        "marketing_email": consent.get(("email", "marketing")),
        "marketing_sms": consent.get(("sms", "marketing")),
    }


def _aware(value: Any) -> datetime | None:
    # Aggregates bypass the column type on SQLite and come back naive (or as text).
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _order(session: Session, store_id: int, order_id: int | None
           ) -> tuple[dict[str, Any], dict[str, Any]]:
    if order_id is None:
        return {}, {}
    order = session.scalar(select(Order).where(Order.id == order_id, Order.store_id == store_id))
    if order is None:
        return {}, {}
    product_ids = [line.product_id for line in order.lines if line.product_id]
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.store_id == store_id, Product.id.in_(product_ids)))} if product_ids else {}
    categories = sorted({p.category for p in products.values() if p.category})
    ranked = sorted(order.lines, key=lambda ln: (-ln.total_minor, ln.position))
    main = next((products[ln.product_id].category for ln in ranked
                 if ln.product_id in products and products[ln.product_id].category), None)
    facts = {
        "id": order.id, "number": order.number, "source": order.source, "status": order.status,
        "currency": order.currency, "total_minor": order.total_minor,
        "subtotal_minor": order.subtotal_minor, "discount_minor": order.discount_minor,
        "refunded_minor": order.refunded_minor, "placed_at": order.placed_at,
        "lines_count": len(order.lines), "items_count": sum(ln.quantity for ln in order.lines),
        "categories": categories, "main_category": main,
        "skus": [ln.sku for ln in order.lines if ln.sku], "ship_country": order.ship_country,
    }
    return facts, _product_part(order, products)


def _product_part(order: Order, products: dict[int, Product]) -> dict[str, Any]:
    """The order's product that runs out first (it has replenishment_days), else its
    first line's product."""
    refillable = [(p.replenishment_days, ln.position, p, ln.sku) for ln in order.lines
                  if (p := products.get(ln.product_id or 0)) and p.replenishment_days]
    if refillable:
        _, _, product, sku = min(refillable, key=lambda r: (r[0], r[1]))
    else:
        first = next(((products[ln.product_id], ln.sku) for ln in order.lines
                      if ln.product_id in products), None)
        if first is None:
            return {}
        product, sku = first
    return {"id": product.id, "title": product.title, "category": product.category,
            "replenishment_days": product.replenishment_days, "sku": sku}


# What the shipment facts and the lateness verdict read (lateness.Judged): the
# columns, not a Shipment object.
_SHIPMENT_COLUMNS = (Shipment.id, Shipment.status, Shipment.carrier, Shipment.direction,
                     Shipment.order_id, Shipment.substatus, Shipment.promised_at,
                     Shipment.eta_earliest, Shipment.eta_latest)


def _shipment(session: Session, store_id: int, shipment_id: int | None,
              now: datetime) -> dict[str, Any]:
    if shipment_id is None:
        return {}
    shipment = session.execute(select(*_SHIPMENT_COLUMNS).where(
        Shipment.id == shipment_id, Shipment.store_id == store_id)).first()
    if shipment is None:
        return {}
    store = held(session, Store, store_id)
    verdict = lateness.of_parcel(shipment, now=now, zone=lateness.store_zone(
        store.timezone if store is not None else None))
    return {"id": shipment.id, "status": shipment.status, "carrier": shipment.carrier,
            "direction": shipment.direction, "order_id": shipment.order_id,
            "substatus": shipment.substatus, "late": verdict.late}


def timezone_for(session: Session, *, store_id: int, customer_id: int | None) -> str:
    store = held(session, Store, store_id)
    assert store is not None
    zone = session.scalar(select(Customer.timezone).where(
        Customer.id == customer_id)) if customer_id is not None else None
    return first_zone(zone, store.timezone)
