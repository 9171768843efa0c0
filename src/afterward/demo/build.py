"""`build_demo(db, ...)`: the demo store, its admin, key and webhook secrets, and two
years of history written with bulk Core inserts in one transaction. A second call
finds the store and only describes it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from afterward.commerce import stores
from afterward.commerce.models import ApiKey, Customer, Order, Store, WebhookSecret
from afterward.demo import accounts, history, writer
from afterward.journeys import builtins as journeys
from afterward.journeys.consumer import consumer_name
from afterward.journeys.models import EventConsumer
from afterward.storage import registry
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment
from afterward.tracking.statuses import Status

DEMO_SLUG = "demo"
STORE_NAME = "Northwind Goods"
DEFAULT_CUSTOMERS = 6000
DEFAULT_ORDERS = 21000
DEFAULT_SEED = 20240917
STEPS = ("Catalogue", "Customers", "Orders", "Baskets", "Parcels", "Refunds and cancellations",
         "Writing catalogue and customers", "Writing orders", "Writing shipments",
         "Writing tracking events", "Writing domain events", "Committing")

Step = Callable[[str], None]


@dataclass(frozen=True)
class DemoSummary:
    slug: str
    store_id: int
    created: bool
    admin_email: str
    admin_password: str | None  # None when it was set with another secret key
    api_key: str | None  # likewise
    webhook_secrets: dict[str, str]
    tracking_token: str | None  # a parcel still on its way, else the latest one
    tracking_status: str | None
    counts: dict[str, int]
    seconds: float


def build_demo(db: Database, *, secret_key: str, customers: int = DEFAULT_CUSTOMERS,
               orders: int = DEFAULT_ORDERS, seed: int = DEFAULT_SEED,
               now: datetime | None = None, reset: bool = False,
               step: Step | None = None) -> DemoSummary:
    started = time.perf_counter()
    with db.reading() as session:
        existing = stores.get_by_slug(session, DEMO_SLUG)
        if existing is not None and not reset:
            return describe(session, existing, secret_key=secret_key, created=False,
                            seconds=time.perf_counter() - started)
    report = step or (lambda _label: None)
    trade = history.generate(customers=customers, orders=orders, seed=seed,
                             now=now or utcnow(), step=report)
    with db.transaction() as session:
        old = stores.get_by_slug(session, DEMO_SLUG)
        if old is not None:
            if not reset:  # built by someone else meanwhile
                return describe(session, old, secret_key=secret_key, created=False,
                                seconds=time.perf_counter() - started)
            delete_store_data(session, old.id)
        store = create_demo_store(session, secret_key=secret_key,
                                  since=datetime.combine(trade.start, datetime.min.time(),
                                                         tzinfo=trade.now.tzinfo)
                                  - timedelta(days=60))
        writer.write_history(session, store_id=store.id, currency=store.currency,
                             trade=trade, step=report)
        journeys.install(session, store_id=store.id)  # on from now: history is not replayed
        report("Committing")
        session.flush()
        summary = describe(session, store, secret_key=secret_key, created=True, seconds=0.0)
    return replace(summary, seconds=time.perf_counter() - started)


def create_demo_store(session: Session, *, secret_key: str, since: datetime) -> Store:
    secrets = accounts.demo_secrets(secret_key)
    store = stores.create_store(
        session, slug=DEMO_SLUG, name=STORE_NAME, currency="EUR", timezone="Europe/Berlin",
        locale="en", brand_primary="#2f4a3a", brand_accent="#d9822b",
        logo_url=f"/media/stores/{DEMO_SLUG}/logo.svg",
        support_email="support@northwind.example")
    store.created_at = since
    session.add(ApiKey(store_id=store.id, name="demo", prefix=secrets.api_key[:10],
                       key_hash=stores.hash_key(secrets.api_key)))
    for provider, value in secrets.webhooks.items():
        stores.set_webhook_secret(session, store=store, provider=provider, secret=value)
    accounts.ensure_admin(session, store=store, email=accounts.ADMIN_EMAIL,
                          password=secrets.password)
    session.flush()
    return store


def delete_store_data(session: Session, store_id: int) -> None:
    """Every row of the store, children before parents, then the store itself."""
    metadata = registry.metadata()
    for table in reversed(metadata.sorted_tables):
        if table.name != "stores" and "store_id" in table.c:
            session.execute(delete(table).where(table.c.store_id == store_id))
    # The journeys cursor is keyed by name, not by store_id column.
    session.execute(delete(EventConsumer).where(
        EventConsumer.name == consumer_name(store_id)))
    session.execute(delete(Store).where(Store.id == store_id))
    session.expire_all()


def describe(session: Session, store: Store, *, secret_key: str, created: bool,
             seconds: float) -> DemoSummary:
    secrets = accounts.demo_secrets(secret_key)
    key_ok = session.scalar(select(ApiKey.id).where(
        ApiKey.store_id == store.id, ApiKey.key_hash == stores.hash_key(secrets.api_key),
        ApiKey.revoked_at.is_(None))) is not None
    password_ok = accounts.password_matches(session, email=accounts.ADMIN_EMAIL,
                                            password=secrets.password)
    webhooks = dict(session.execute(select(WebhookSecret.provider, WebhookSecret.secret)
                                    .where(WebhookSecret.store_id == store.id)
                                    .order_by(WebhookSecret.provider)).tuples().all())
    moving = Shipment.status.in_([Status.in_transit.value, Status.out_for_delivery.value])
    example = session.execute(
        select(Shipment.token, Shipment.status).where(Shipment.store_id == store.id)
        .order_by(moving.desc(), Shipment.last_event_at.desc(), Shipment.id.desc())
        .limit(1)).first()
    counts = {name: int(session.scalar(select(func.count()).select_from(model)
                                       .where(model.store_id == store.id)) or 0)
              for name, model in (("customers", Customer), ("orders", Order),
                                  ("shipments", Shipment))}
    return DemoSummary(slug=store.slug, store_id=store.id, created=created,
                       admin_email=accounts.ADMIN_EMAIL,
                       admin_password=secrets.password if password_ok else None,
                       api_key=secrets.api_key if key_ok else None, webhook_secrets=webhooks,
                       tracking_token=example.token if example else None,
                       tracking_status=example.status if example else None,
                       counts=counts, seconds=seconds)
