"""A coffee shop with history, for the tracking page tests (web and browser):
orders that are delivered, in transit, held at customs, split into two parcels,
or not shipped yet, each reachable by its token or by lookup."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from afterward.commerce import service as commerce
from afterward.commerce import stores
from afterward.commerce.models import Order
from afterward.commerce.schemas import (
    AddressIn,
    CustomerIn,
    OrderIn,
    OrderLineIn,
    ProductIn,
    VariantIn,
)
from afterward.storage.db import Database
from afterward.tracking import service as tracking
from afterward.tracking.service import CarrierEvent, ShipmentDraft
from afterward.tracking.statuses import Status

SLUG = "brew"
EMAIL = "ada@example.com"
POSTAL_CODE = "10115"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


# sku -> (title, price, care, how-to)
CATALOGUE = {
    "BEAN": ("House espresso beans", 1450, "Keep the bag closed, away from light.",
             "18 g in, 36 g out in 28 seconds."),
    "GRND": ("Hand grinder", 8900, "Brush the burrs dry; never wash them.",
             "About 12 clicks for espresso."),
    "FILT": ("Paper filters", 450, None, None),
    "KETL": ("Gooseneck kettle", 6900, "Descale monthly.", None),
    "SCAL": ("Brew scale", 3900, None, None),
    "MUG": ("Stoneware mug", 1800, None, None),
    "TEA": ("Sencha tea", 1100, None, None),
}
# Past baskets that teach the recommender what goes with what.
HISTORY = ([("BEAN", "FILT")] * 5 + [("BEAN", "KETL")] * 3 + [("GRND", "SCAL")] * 2
           + [("BEAN", "MUG")] * 1 + [("TEA", "MUG")] * 6)


@dataclass
class Scene:
    store_id: int
    tokens: dict[str, str] = field(default_factory=dict)
    orders: dict[str, int] = field(default_factory=dict)


def build(db: Database, *, brand_primary: str = "#f4b400", store_locale: str = "en",
          customer_locale: str | None = None, customer_timezone: str | None = None,
          extra_store: bool = False) -> Scene:
    with db.transaction() as session:
        store = stores.create_store(
            session, slug=SLUG, name="Brew & Co", currency="EUR", timezone="Europe/Berlin",
            locale=store_locale, brand_primary=brand_primary, brand_accent="#2e7d32",
            logo_url=f"/media/stores/{SLUG}/logo.svg", support_email="help@brew.example")
        if extra_store:
            stores.create_store(session, slug="other", name="Other shop")
        scene = Scene(store.id)
        for sku, (title, price, care, howto) in CATALOGUE.items():
            commerce.upsert_product(session, store_id=store.id, data=ProductIn(
                external_id=sku, title=title, care_content=care, howto_content=howto,
                variants=[VariantIn(sku=sku, price_minor=price, currency="EUR")]))
        for n, basket in enumerate(HISTORY):
            add_order(session, store.id, f"H{n}", basket, email=f"past{n}@example.com")
        _delivered(session, scene, customer_locale, customer_timezone)
        _in_transit(session, scene)
        _exception(session, scene)
        _two_parcels(session, scene)
        order = add_order(session, store.id, "1005", ("TEA",))
        scene.orders["pending"] = order.id
        return scene


def add_order(session, store_id: int, number: str, skus, *, email: str = EMAIL,
           locale: str | None = None, timezone: str | None = None) -> Order:
    data = OrderIn(
        number=number, placed_at=at(1, 9), currency="EUR", email=email,
        customer=CustomerIn(email=email, first_name="Ada", locale=locale, timezone=timezone),
        lines=[OrderLineIn(sku=s, title=CATALOGUE[s][0], quantity=1,
                           unit_price_minor=CATALOGUE[s][1]) for s in skus],
        shipping_address=AddressIn(name="Ada Lovelace", city="Berlin", postal_code=POSTAL_CODE,
                                   country="DE"))
    order, _ = commerce.save_order(session, store_id=store_id, data=data)
    return order


def add_parcel(session, scene: Scene, name: str, order: Order, number: str, carrier: str,
          events: list[tuple[datetime, Status, str | None, str | None, str | None]],
          lines: tuple[tuple[int, int], ...] = ()) -> None:
    shipment, _ = tracking.upsert_shipment(
        session, store_id=scene.store_id, order_id=order.id, draft=ShipmentDraft(
            external_id=f"f-{name}", carrier=carrier, service=None, tracking_number=number,
            shipped_at=events[0][0], status=Status.pending, lines=lines))
    tracking.add_events(session, shipment=shipment, events=[
        CarrierEvent(occurred_at=when, status=status, provider="aftership",
                     provider_status=status.value, message=message, location=location,
                     substatus=substatus,
                     signed_by="A. Lovelace" if status == Status.delivered else None)
        for when, status, substatus, message, location in events])
    scene.tokens[name] = shipment.token
    scene.orders[name] = order.id


def _delivered(session, scene: Scene, locale: str | None, timezone: str | None) -> None:
    order = add_order(session, scene.store_id, "1001", ("BEAN", "GRND"), locale=locale,
                   timezone=timezone)
    add_parcel(session, scene, "delivered", order, "JJD0099999999", "dhl_express", [
        (at(2, 8), Status.info_received, "InfoReceived_001", "Shipment information received",
         None),
        (at(2, 17), Status.in_transit, "InTransit_001", "Departed facility", "Leipzig, DE"),
        (at(4, 6, 30), Status.out_for_delivery, None, "With delivery courier", "Berlin, DE"),
        (at(4, 13, 5), Status.delivered, "Delivered_001", "Delivered", "Berlin, DE"),
    ])


def _in_transit(session, scene: Scene) -> None:
    order = add_order(session, scene.store_id, "1002", ("BEAN",))
    add_parcel(session, scene, "in_transit", order, "1Z999AA10123456784", "ups", [
        (at(5, 10), Status.info_received, None, "Label created", None),
        (at(5, 19), Status.in_transit, None, "Arrived at facility", "Köln, DE"),
    ])


def _exception(session, scene: Scene) -> None:
    order = add_order(session, scene.store_id, "1003", ("GRND",))
    add_parcel(session, scene, "exception", order, "RR123456785GB", "royal_mail", [
        (at(6, 9), Status.in_transit, None, "Accepted at origin", "London, GB"),
        (at(7, 11), Status.exception, "Exception_004", "Held by customs", "Frankfurt, DE"),
    ])


def _two_parcels(session, scene: Scene) -> None:
    order = add_order(session, scene.store_id, "1004", ("KETL", "SCAL"))
    kettle, scale = order.lines
    add_parcel(session, scene, "parcel_a", order, "JJD0088888888", "dhl_express", [
        (at(8, 9), Status.in_transit, None, "Departed facility", "Leipzig, DE"),
        (at(9, 8), Status.failed_attempt, "AttemptFail_002", "Recipient not home",
         "Berlin, DE"),
    ], lines=((kettle.id, 1),))
    add_parcel(session, scene, "parcel_b", order, "1Z999AA10123456791", "ups", [
        (at(8, 10), Status.in_transit, None, "Origin scan", "Hamburg, DE"),
    ], lines=((scale.id, 1),))
