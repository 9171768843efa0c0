"""What the tracking page reads for a token, as plain values from a few Core
statements: the parcel with its order and customer in one joined query, then its
events, its lines, the order's lines and the order's other parcels. The ORM loaded
the same through about ten queries, most of a page view's time."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select

from afterward.commerce.models import Customer, Order, OrderLine
from afterward.tracking.models import Shipment, ShipmentLine
from afterward.tracking.parcel_rows import StoredEvent, events_of

SHIPMENTS = cast(Table, Shipment.__table__)
SHIPMENT_LINES = cast(Table, ShipmentLine.__table__)
ORDERS = cast(Table, Order.__table__)
ORDER_LINES = cast(Table, OrderLine.__table__)
CUSTOMERS = cast(Table, Customer.__table__)
MAX_SIBLINGS = 20


@dataclass(frozen=True)
class ParcelLine:
    order_line_id: int
    quantity: int


@dataclass(frozen=True)
class PageParcel:
    """The shipment the page is about (view.ShipmentLike)."""

    id: int
    store_id: int
    order_id: int | None
    token: str
    direction: str
    carrier: str | None
    tracking_number: str | None
    status: str
    substatus: str | None
    exception_reason: str | None
    last_message: str | None
    last_location: str | None
    signed_by: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    promised_at: datetime | None
    carrier_estimated_at: datetime | None
    eta_earliest: datetime | None
    eta_latest: datetime | None
    events: tuple[StoredEvent, ...] = ()
    lines: tuple[ParcelLine, ...] = ()


@dataclass(frozen=True)
class SiblingParcel:
    """Another parcel of the order, as its tab shows it (view.TabParcel)."""

    id: int
    token: str
    direction: str
    status: str
    substatus: str | None
    exception_reason: str | None
    carrier: str | None


@dataclass(frozen=True)
class PageLine:
    id: int
    product_id: int | None
    variant_id: int | None
    title: str
    quantity: int


@dataclass(frozen=True)
class PageOrder:
    id: int
    store_id: int
    number: str
    status: str
    customer_id: int | None
    email: str | None
    placed_at: datetime
    ship_city: str | None
    ship_country: str | None
    ship_postal_code: str | None
    lines: tuple[PageLine, ...] = ()


@dataclass(frozen=True)
class PageCustomer:
    locale: str | None
    timezone: str | None


def _names(kind: type) -> list[str]:
    return [f.name for f in fields(kind) if f.name not in ("events", "lines")]


_PARCEL, _ORDER, _SIBLING, _LINE = (_names(PageParcel), _names(PageOrder),
                                    _names(SiblingParcel), _names(PageLine))
_BY_TOKEN = (
    select(*(SHIPMENTS.c[n] for n in _PARCEL), *(ORDERS.c[n] for n in _ORDER),
           CUSTOMERS.c.id, CUSTOMERS.c.locale, CUSTOMERS.c.timezone)
    .select_from(SHIPMENTS
                 .outerjoin(ORDERS, (ORDERS.c.id == SHIPMENTS.c.order_id)
                            & (ORDERS.c.store_id == SHIPMENTS.c.store_id))
                 .outerjoin(CUSTOMERS, (CUSTOMERS.c.id == ORDERS.c.customer_id)
                            & (CUSTOMERS.c.store_id == SHIPMENTS.c.store_id)))
    .where(SHIPMENTS.c.token == bindparam("token")).limit(1))
_PARCEL_LINES = (select(SHIPMENT_LINES.c.order_line_id, SHIPMENT_LINES.c.quantity)
                 .where(SHIPMENT_LINES.c.shipment_id == bindparam("shipment_id"))
                 .order_by(SHIPMENT_LINES.c.id))
_ORDER_LINES = (select(*(ORDER_LINES.c[n] for n in _LINE))
                .where(ORDER_LINES.c.order_id == bindparam("order_id"))
                .order_by(ORDER_LINES.c.position))
_SIBLINGS = (select(*(SHIPMENTS.c[n] for n in _SIBLING))
             .where(SHIPMENTS.c.store_id == bindparam("store_id"),
                    SHIPMENTS.c.order_id == bindparam("order_id"))
             .order_by(SHIPMENTS.c.id).limit(MAX_SIBLINGS))


@dataclass(frozen=True)
class TokenRows:
    parcel: PageParcel
    order: PageOrder | None
    customer: PageCustomer | None
    siblings: tuple[SiblingParcel, ...]


def by_token(conn: Connection, token: str) -> TokenRows | None:
    """The parcel with this token, its events and lines, its order (with lines, when
    it has one in the parcel's store), the order's customer and the order's parcels."""
    row = conn.execute(_BY_TOKEN, {"token": token}).first()
    if row is None:
        return None
    values: tuple[Any, ...] = tuple(row)
    parcel_values, rest = values[:len(_PARCEL)], values[len(_PARCEL):]
    order_values, (customer_id, locale, timezone) = rest[:len(_ORDER)], rest[len(_ORDER):]
    shipment_id = parcel_values[0]
    events = events_of(conn, [shipment_id]).get(shipment_id, [])
    lines = conn.execute(_PARCEL_LINES, {"shipment_id": shipment_id})
    parcel = PageParcel(**dict(zip(_PARCEL, parcel_values, strict=True)), events=tuple(events),
                        lines=tuple(ParcelLine(*line) for line in lines))
    if order_values[0] is None:
        return TokenRows(parcel, None, None, (parcel_as_sibling(parcel),))
    order_lines = conn.execute(_ORDER_LINES, {"order_id": order_values[0]})
    order = PageOrder(**dict(zip(_ORDER, order_values, strict=True)),
                      lines=tuple(PageLine(*line) for line in order_lines))
    customer = PageCustomer(locale, timezone) if customer_id is not None else None
    siblings = tuple(SiblingParcel(*r) for r in conn.execute(
        _SIBLINGS, {"store_id": order.store_id, "order_id": order.id}))
    return TokenRows(parcel, order, customer, siblings)


def parcel_as_sibling(parcel: PageParcel) -> SiblingParcel:
    return SiblingParcel(parcel.id, parcel.token, parcel.direction, parcel.status,
                         parcel.substatus, parcel.exception_reason, parcel.carrier)
